import Foundation

/// The PostgreSQL schema, as versioned migrations that run in order, each once per database.
/// Version 1 is the embedded store's schema as of its migration v29 (SQLite's history of
/// table rebuilds is not repeated); later changes go in both stores, each in its own words.
/// Times are `timestamptz`, flags `boolean`, lists `text[]`: rows read back into the same
/// records the SQLite store gives.
enum PostgresSchema {
    struct Migration {
        let version: Int
        let name: String
        let sql: String

        /// The statements one by one (a prepared statement holds one): each ends with `;` at
        /// the end of a line, which no statement here has inside it.
        var statements: [String] {
            sql.components(separatedBy: ";\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        }
    }

    static let migrations: [Migration] = [
        Migration(version: 1, name: "the schema of the embedded store's v29", sql: """
            -- Text as searches compare it, as String.searchFolded folds it in Swift: lower case in
            -- every alphabet (ICU's rules, whatever the server's locale), no diacritics, ё as е
            -- (unaccent's rules map it).
            CREATE EXTENSION IF NOT EXISTS unaccent;
            CREATE FUNCTION edc_fold(text) RETURNS text LANGUAGE sql STABLE STRICT
                AS $$ SELECT btrim(lower(unaccent($1) COLLATE "und-x-icu")) $$;
            CREATE TABLE school (
                id text PRIMARY KEY, name text NOT NULL UNIQUE, created_at timestamptz NOT NULL,
                transcription text NOT NULL DEFAULT 'auto', teacher_view boolean NOT NULL DEFAULT true, lti_roles jsonb);
            CREATE TABLE api_token (
                id text PRIMARY KEY, school_id text NOT NULL REFERENCES school(id) ON DELETE CASCADE,
                name text NOT NULL, role text NOT NULL, secret_hash text NOT NULL UNIQUE,
                created_at timestamptz NOT NULL, last_used_at timestamptz, expires_at timestamptz);
            CREATE TABLE teacher (
                id text PRIMARY KEY, school_id text NOT NULL REFERENCES school(id) ON DELETE CASCADE,
                name text NOT NULL, created_at timestamptz NOT NULL, voice_profile text, email text);
            CREATE INDEX teacher_by_email ON teacher(school_id, email);
            CREATE TABLE "user" (
                id text PRIMARY KEY, school_id text NOT NULL REFERENCES school(id) ON DELETE CASCADE,
                email text NOT NULL, name text NOT NULL, role text NOT NULL, password_hash text NOT NULL,
                created_at timestamptz NOT NULL, teacher_id text REFERENCES teacher(id) ON DELETE SET NULL,
                UNIQUE (school_id, email));
            CREATE INDEX user_by_email ON "user"(email);
            CREATE TABLE dashboard_session (
                secret_hash text PRIMARY KEY, user_id text NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
                csrf_token text NOT NULL, created_at timestamptz NOT NULL, expires_at timestamptz NOT NULL);
            CREATE INDEX dashboard_session_by_expiry ON dashboard_session(expires_at);
            CREATE TABLE sign_in_failure (key text NOT NULL, at timestamptz NOT NULL, attempt text);
            CREATE INDEX sign_in_failure_by_key ON sign_in_failure(key, at);
            CREATE TABLE lesson (
                id text PRIMARY KEY, school_id text NOT NULL REFERENCES school(id) ON DELETE CASCADE,
                teacher_id text REFERENCES teacher(id) ON DELETE SET NULL,
                title text NOT NULL, original_filename text NOT NULL, media_bytes bigint NOT NULL,
                media_file text, duration_seconds double precision NOT NULL, has_video boolean NOT NULL,
                recorded_at timestamptz, recorded_at_has_time boolean NOT NULL DEFAULT true,
                uploaded_at timestamptz NOT NULL, uploaded_by text NOT NULL,
                flag text, incident_count integer, teacher_talk_percent double precision, speaker_count integer,
                teacher_negative_share double precision, peak_intensity double precision, teacher_incident_count integer,
                summary_version integer NOT NULL DEFAULT 1, analysed_at timestamptz, transcription text, results_set text);
            CREATE INDEX lesson_by_school ON lesson(school_id, uploaded_at);
            CREATE INDEX lesson_by_date ON lesson(school_id, COALESCE(recorded_at, uploaded_at));
            CREATE TABLE configuration_version (
                name text PRIMARY KEY, sha256 text NOT NULL UNIQUE, document text NOT NULL,
                registered_by text NOT NULL, registered_at timestamptz NOT NULL, reason text NOT NULL);
            CREATE TABLE job (
                id text PRIMARY KEY, lesson_id text NOT NULL REFERENCES lesson(id) ON DELETE CASCADE,
                school_id text NOT NULL REFERENCES school(id) ON DELETE CASCADE,
                kind text NOT NULL DEFAULT 'analysis', teacher_id text, speaker text, configuration_version text,
                state text NOT NULL, stage text, progress double precision NOT NULL DEFAULT 0,
                attempts integer NOT NULL DEFAULT 0, max_attempts integer NOT NULL,
                last_error text, failure_reason text,
                created_at timestamptz NOT NULL, started_at timestamptz, finished_at timestamptz,
                worker_id text, lease_expires_at timestamptz, heartbeat_at timestamptz);
            CREATE INDEX job_by_state ON job(state, created_at);
            CREATE INDEX job_by_lesson ON job(lesson_id, created_at);
            CREATE INDEX job_waiting ON job((kind <> 'shadow') DESC, created_at) WHERE state = 'queued';
            CREATE INDEX job_leases ON job(lease_expires_at) WHERE state = 'running';
            CREATE UNIQUE INDEX job_one_active_per_lesson ON job(lesson_id) WHERE state IN ('queued', 'running') AND kind <> 'shadow';
            CREATE UNIQUE INDEX job_one_active_shadow_per_lesson ON job(lesson_id) WHERE state IN ('queued', 'running') AND kind = 'shadow';
            CREATE UNIQUE INDEX job_one_active_enrolment_per_teacher ON job(teacher_id) WHERE state IN ('queued', 'running') AND kind = 'voice_enrolment';
            CREATE TABLE webhook (
                id text PRIMARY KEY, school_id text NOT NULL REFERENCES school(id) ON DELETE CASCADE,
                url text NOT NULL, secret text NOT NULL, created_at timestamptz NOT NULL);
            CREATE TABLE webhook_delivery (
                id text PRIMARY KEY, webhook_id text NOT NULL REFERENCES webhook(id) ON DELETE CASCADE,
                school_id text NOT NULL, lesson_id text, event text NOT NULL, payload text NOT NULL, state text NOT NULL,
                attempts integer NOT NULL DEFAULT 0, next_attempt_at timestamptz, last_status integer, last_error text,
                created_at timestamptz NOT NULL, delivered_at timestamptz);
            CREATE INDEX webhook_delivery_due ON webhook_delivery(state, next_attempt_at);
            CREATE INDEX webhook_delivery_by_hook ON webhook_delivery(webhook_id, created_at);
            CREATE INDEX webhook_delivery_by_lesson ON webhook_delivery(lesson_id);
            CREATE TABLE incident_review (
                id text PRIMARY KEY, lesson_id text NOT NULL REFERENCES lesson(id) ON DELETE CASCADE,
                school_id text NOT NULL, incident_index integer NOT NULL, start double precision NOT NULL, "end" double precision NOT NULL,
                person text NOT NULL, role text NOT NULL, modality text NOT NULL, verdict text NOT NULL, note text,
                reviewer text NOT NULL, reviewed_at timestamptz NOT NULL,
                corrected_start double precision, corrected_end double precision, corrected_person text, corrected_modality text,
                UNIQUE (lesson_id, incident_index, start, "end"));
            CREATE INDEX incident_review_by_school ON incident_review(school_id, reviewed_at);
            CREATE TABLE audit_event (
                id text PRIMARY KEY, school_id text NOT NULL, actor text NOT NULL, action text NOT NULL,
                target text NOT NULL, detail text, at timestamptz NOT NULL);
            CREATE INDEX audit_event_by_school ON audit_event(school_id, at);
            CREATE TABLE champion_change (
                id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name text NOT NULL REFERENCES configuration_version(name),
                previous text, action text NOT NULL, changed_by text NOT NULL, changed_at timestamptz NOT NULL, reason text NOT NULL);
            CREATE TABLE experiment (
                id text PRIMARY KEY, created_at timestamptz NOT NULL, created_by text NOT NULL, metric text NOT NULL,
                corpus_hash text NOT NULL, champion_hash text NOT NULL, challenger_hash text NOT NULL,
                verdict text NOT NULL, result text NOT NULL);
            CREATE INDEX experiment_by_time ON experiment(created_at);
            CREATE TABLE lesson_features (
                lesson_id text PRIMARY KEY REFERENCES lesson(id) ON DELETE CASCADE,
                school_id text NOT NULL REFERENCES school(id) ON DELETE CASCADE,
                analysed_at timestamptz NOT NULL, features text NOT NULL);
            CREATE INDEX lesson_features_by_time ON lesson_features(analysed_at);
            CREATE TABLE shadow_run (
                id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name text NOT NULL REFERENCES configuration_version(name),
                share double precision NOT NULL, started_by text NOT NULL, started_at timestamptz NOT NULL, stopped_at timestamptz);
            CREATE TABLE shadow_result (
                lesson_id text NOT NULL REFERENCES lesson(id) ON DELETE CASCADE,
                school_id text NOT NULL REFERENCES school(id) ON DELETE CASCADE,
                challenger text NOT NULL, champion text NOT NULL, analysed_at timestamptz NOT NULL,
                champion_flag text NOT NULL, challenger_flag text NOT NULL,
                champion_incidents text NOT NULL, challenger_incidents text NOT NULL,
                PRIMARY KEY (lesson_id, challenger));
            CREATE INDEX shadow_result_by_challenger ON shadow_result(challenger, analysed_at);
            CREATE TABLE transcript_line (
                id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                lesson_id text NOT NULL REFERENCES lesson(id) ON DELETE CASCADE,
                school_id text NOT NULL REFERENCES school(id) ON DELETE CASCADE,
                start double precision NOT NULL, "end" double precision NOT NULL, speaker text, role text,
                text text NOT NULL, folded tsvector NOT NULL);
            CREATE INDEX transcript_line_by_lesson ON transcript_line(lesson_id, start);
            CREATE INDEX transcript_line_search ON transcript_line USING gin (folded);
            CREATE TABLE lti_platform (
                id text PRIMARY KEY, school_id text NOT NULL REFERENCES school(id) ON DELETE CASCADE,
                issuer text NOT NULL, client_id text NOT NULL, deployment_ids text[] NOT NULL,
                authorization_url text NOT NULL, token_url text NOT NULL, keys_url text NOT NULL,
                frame_origins text[] NOT NULL, created_at timestamptz NOT NULL, UNIQUE (issuer, client_id));
            CREATE INDEX lti_platform_by_school ON lti_platform(school_id);
            CREATE TABLE lti_tool_key (
                id text PRIMARY KEY, private_key_pem text NOT NULL, created_at timestamptz NOT NULL, retired_at timestamptz);
            CREATE TABLE lti_login (
                state_hash text PRIMARY KEY, nonce text NOT NULL,
                platform_id text NOT NULL REFERENCES lti_platform(id) ON DELETE CASCADE,
                target_link_uri text NOT NULL, expires_at timestamptz NOT NULL);
            CREATE TABLE lti_nonce (
                issuer text NOT NULL, nonce text NOT NULL, expires_at timestamptz NOT NULL, PRIMARY KEY (issuer, nonce));
            CREATE TABLE lti_user (
                platform_id text NOT NULL REFERENCES lti_platform(id) ON DELETE CASCADE, subject text NOT NULL,
                user_id text NOT NULL REFERENCES "user"(id) ON DELETE CASCADE, PRIMARY KEY (platform_id, subject));
            CREATE INDEX lti_user_by_user ON lti_user(user_id);
            CREATE TABLE lti_teacher (
                platform_id text NOT NULL REFERENCES lti_platform(id) ON DELETE CASCADE, subject text NOT NULL,
                teacher_id text NOT NULL REFERENCES teacher(id) ON DELETE CASCADE, PRIMARY KEY (platform_id, subject));
            CREATE TABLE lti_deep_link_request (
                id text PRIMARY KEY, user_id text NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
                platform_id text NOT NULL REFERENCES lti_platform(id) ON DELETE CASCADE,
                deployment_id text NOT NULL, return_url text NOT NULL, data text, expires_at timestamptz NOT NULL);
            CREATE TABLE lti_course (
                platform_id text NOT NULL REFERENCES lti_platform(id) ON DELETE CASCADE, context_id text NOT NULL,
                title text NOT NULL, memberships_url text, seen_at timestamptz NOT NULL, PRIMARY KEY (platform_id, context_id));
            CREATE TABLE lti_registration_invite (
                secret_hash text PRIMARY KEY, school_id text NOT NULL REFERENCES school(id) ON DELETE CASCADE,
                expires_at timestamptz NOT NULL);
            """),
    ]
}
