import EdControlEngine
import Foundation
import GRDB

extension SQLiteStore {
    /// Schema changes, in order; each runs once per database.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: schools, tokens, teachers, lessons, jobs") { db in
            try db.execute(sql: """
                CREATE TABLE school (
                    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at REAL NOT NULL);
                CREATE TABLE api_token (
                    id TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id) ON DELETE CASCADE,
                    name TEXT NOT NULL, role TEXT NOT NULL, secret_hash TEXT NOT NULL UNIQUE,
                    created_at REAL NOT NULL, last_used_at REAL);
                CREATE TABLE teacher (
                    id TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id) ON DELETE CASCADE,
                    name TEXT NOT NULL, created_at REAL NOT NULL);
                CREATE TABLE lesson (
                    id TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id) ON DELETE CASCADE,
                    teacher_id TEXT REFERENCES teacher(id) ON DELETE SET NULL,
                    title TEXT NOT NULL, original_filename TEXT NOT NULL, media_bytes INTEGER NOT NULL,
                    media_file TEXT, duration_seconds REAL NOT NULL, has_video INTEGER NOT NULL,
                    recorded_at REAL, uploaded_at REAL NOT NULL, uploaded_by TEXT NOT NULL,
                    flag TEXT, incident_count INTEGER, teacher_talk_percent REAL, speaker_count INTEGER,
                    analysed_at REAL);
                CREATE INDEX lesson_by_school ON lesson(school_id, uploaded_at);
                CREATE TABLE job (
                    id TEXT PRIMARY KEY, lesson_id TEXT NOT NULL REFERENCES lesson(id) ON DELETE CASCADE,
                    school_id TEXT NOT NULL REFERENCES school(id) ON DELETE CASCADE,
                    state TEXT NOT NULL, stage TEXT, progress REAL NOT NULL DEFAULT 0,
                    attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL,
                    last_error TEXT, failure_reason TEXT,
                    created_at REAL NOT NULL, started_at REAL, finished_at REAL,
                    worker_id TEXT, lease_expires_at REAL, heartbeat_at REAL);
                CREATE INDEX job_by_state ON job(state, created_at);
                CREATE INDEX job_by_lesson ON job(lesson_id, created_at);
                """)
        }
        migrator.registerMigration("v2: webhooks and their deliveries") { db in
            try db.execute(sql: """
                CREATE TABLE webhook (
                    id TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id) ON DELETE CASCADE,
                    url TEXT NOT NULL, secret TEXT NOT NULL, created_at REAL NOT NULL);
                CREATE TABLE webhook_delivery (
                    id TEXT PRIMARY KEY, webhook_id TEXT NOT NULL REFERENCES webhook(id) ON DELETE CASCADE,
                    school_id TEXT NOT NULL, event TEXT NOT NULL, payload TEXT NOT NULL, state TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at REAL, last_status INTEGER, last_error TEXT,
                    created_at REAL NOT NULL, delivered_at REAL);
                CREATE INDEX webhook_delivery_due ON webhook_delivery(state, next_attempt_at);
                CREATE INDEX webhook_delivery_by_hook ON webhook_delivery(webhook_id, created_at);
                """)
        }
        migrator.registerMigration("v3: incident reviews") { db in
            try db.execute(sql: """
                CREATE TABLE incident_review (
                    id TEXT PRIMARY KEY, lesson_id TEXT NOT NULL REFERENCES lesson(id) ON DELETE CASCADE,
                    school_id TEXT NOT NULL, incident_index INTEGER NOT NULL, start REAL NOT NULL, "end" REAL NOT NULL,
                    person TEXT NOT NULL, role TEXT NOT NULL, modality TEXT NOT NULL, verdict TEXT NOT NULL, note TEXT,
                    reviewer TEXT NOT NULL, reviewed_at REAL NOT NULL,
                    UNIQUE (lesson_id, incident_index, start, "end"));
                CREATE INDEX incident_review_by_school ON incident_review(school_id, reviewed_at);
                """)
        }
        migrator.registerMigration("v4: the teacher's negative-emotion share per lesson") { db in
            try db.execute(sql: "ALTER TABLE lesson ADD COLUMN teacher_negative_share REAL")
        }
        migrator.registerMigration("v5: audit log") { db in
            try db.execute(sql: """
                CREATE TABLE audit_event (
                    id TEXT PRIMARY KEY, school_id TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
                    target TEXT NOT NULL, detail TEXT, at REAL NOT NULL);
                CREATE INDEX audit_event_by_school ON audit_event(school_id, at);
                """)
        }
        migrator.registerMigration("v6: teachers' voice profiles") { db in
            try db.execute(sql: "ALTER TABLE teacher ADD COLUMN voice_profile TEXT")
        }
        migrator.registerMigration("v7: dashboard users and their sessions") { db in
            try db.execute(sql: """
                CREATE TABLE user (
                    id TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id) ON DELETE CASCADE,
                    email TEXT NOT NULL UNIQUE, name TEXT NOT NULL, role TEXT NOT NULL,
                    password_hash TEXT NOT NULL, created_at REAL NOT NULL);
                CREATE TABLE dashboard_session (
                    secret_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
                    csrf_token TEXT NOT NULL, created_at REAL NOT NULL, expires_at REAL NOT NULL);
                CREATE INDEX dashboard_session_by_expiry ON dashboard_session(expires_at);
                """)
        }
        migrator.registerMigration("v8: failed sign-ins, for throttling") { db in
            try db.execute(sql: """
                CREATE TABLE sign_in_failure (key TEXT NOT NULL, at REAL NOT NULL);
                CREATE INDEX sign_in_failure_by_key ON sign_in_failure(key, at);
                """)
        }
        migrator.registerMigration("v9: job kinds (analysis, voice enrolment)") { db in
            try db.execute(sql: """
                ALTER TABLE job ADD COLUMN kind TEXT NOT NULL DEFAULT 'analysis';
                ALTER TABLE job ADD COLUMN teacher_id TEXT;
                ALTER TABLE job ADD COLUMN speaker TEXT;
                """)
        }
        migrator.registerMigration("v10: whether a lesson's recording time is known, and the lesson date's index") { db in
            try db.execute(sql: """
                ALTER TABLE lesson ADD COLUMN recorded_at_has_time INTEGER NOT NULL DEFAULT 1;
                CREATE INDEX lesson_by_date ON lesson(school_id, COALESCE(recorded_at, uploaded_at));
                """)
        }
        migrator.registerMigration("v11: the lesson a webhook delivery is about") { db in
            try db.execute(sql: """
                ALTER TABLE webhook_delivery ADD COLUMN lesson_id TEXT;
                CREATE INDEX webhook_delivery_by_lesson ON webhook_delivery(lesson_id);
                """)
        }
        migrator.registerMigration("v12: the registry of analysis configurations, champion changes, experiments") { db in
            try db.execute(sql: """
                CREATE TABLE configuration_version (
                    name TEXT PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, document TEXT NOT NULL,
                    registered_by TEXT NOT NULL, registered_at REAL NOT NULL, reason TEXT NOT NULL);
                CREATE TABLE champion_change (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL REFERENCES configuration_version(name),
                    previous TEXT, action TEXT NOT NULL, changed_by TEXT NOT NULL, changed_at REAL NOT NULL, reason TEXT NOT NULL);
                CREATE TABLE experiment (
                    id TEXT PRIMARY KEY, created_at REAL NOT NULL, created_by TEXT NOT NULL, metric TEXT NOT NULL,
                    corpus_hash TEXT NOT NULL, champion_hash TEXT NOT NULL, challenger_hash TEXT NOT NULL,
                    verdict TEXT NOT NULL, result TEXT NOT NULL);
                CREATE INDEX experiment_by_time ON experiment(created_at);
                """)
        }
        migrator.registerMigration("v13: each analysed lesson's features, for drift monitoring") { db in
            try db.execute(sql: """
                CREATE TABLE lesson_features (
                    lesson_id TEXT PRIMARY KEY REFERENCES lesson(id) ON DELETE CASCADE,
                    school_id TEXT NOT NULL REFERENCES school(id) ON DELETE CASCADE,
                    analysed_at REAL NOT NULL, features TEXT NOT NULL);
                CREATE INDEX lesson_features_by_time ON lesson_features(analysed_at);
                """)
        }
        migrator.registerMigration("v14: shadow runs of a challenger and their results") { db in
            try db.execute(sql: """
                ALTER TABLE job ADD COLUMN configuration_version TEXT;
                CREATE TABLE shadow_run (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL REFERENCES configuration_version(name),
                    share REAL NOT NULL, started_by TEXT NOT NULL, started_at REAL NOT NULL, stopped_at REAL);
                CREATE TABLE shadow_result (
                    lesson_id TEXT NOT NULL REFERENCES lesson(id) ON DELETE CASCADE,
                    school_id TEXT NOT NULL REFERENCES school(id) ON DELETE CASCADE,
                    challenger TEXT NOT NULL, champion TEXT NOT NULL, analysed_at REAL NOT NULL,
                    champion_flag TEXT NOT NULL, challenger_flag TEXT NOT NULL,
                    champion_incidents TEXT NOT NULL, challenger_incidents TEXT NOT NULL,
                    PRIMARY KEY (lesson_id, challenger));
                CREATE INDEX shadow_result_by_challenger ON shadow_result(challenger, analysed_at);
                """)
        }
        migrator.registerMigration("v15: reviewers' corrections of confirmed incidents") { db in
            try db.execute(sql: """
                ALTER TABLE incident_review ADD COLUMN corrected_start REAL;
                ALTER TABLE incident_review ADD COLUMN corrected_end REAL;
                ALTER TABLE incident_review ADD COLUMN corrected_person TEXT;
                ALTER TABLE incident_review ADD COLUMN corrected_modality TEXT;
                """)
        }
        migrator.registerMigration("v16: transcription per school and per upload; searchable transcripts") { db in
            // The index's rows are the transcript's segments; lesson and school are stored
            // beside the text but not indexed. unicode61 folds case and Latin diacritics (not
            // ё: v29 indexes folded text).
            try db.execute(sql: """
                ALTER TABLE school ADD COLUMN transcription TEXT NOT NULL DEFAULT 'auto';
                ALTER TABLE lesson ADD COLUMN transcription TEXT;
                CREATE VIRTUAL TABLE transcript_line USING fts5(
                    text, lesson_id UNINDEXED, school_id UNINDEXED, start UNINDEXED, end UNINDEXED,
                    speaker UNINDEXED, role UNINDEXED, tokenize = 'unicode61 remove_diacritics 2');
                """)
        }
        migrator.registerMigration("v17: sign-in attempts counted before the password is checked") { db in
            try db.execute(sql: "ALTER TABLE sign_in_failure ADD COLUMN attempt TEXT")
        }
        migrator.registerMigration("v18: a user's email is unique within their school, not across schools") { db in
            // SQLite cannot drop a constraint: the table is rebuilt (its foreign keys are
            // checked when the migration ends).
            try db.execute(sql: """
                CREATE TABLE user_by_school (
                    id TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id) ON DELETE CASCADE,
                    email TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL,
                    password_hash TEXT NOT NULL, created_at REAL NOT NULL, UNIQUE (school_id, email));
                INSERT INTO user_by_school SELECT id, school_id, email, name, role, password_hash, created_at FROM user;
                DROP TABLE user;
                ALTER TABLE user_by_school RENAME TO user;
                CREATE INDEX user_by_email ON user(email);
                """)
        }
        migrator.registerMigration("v19: API tokens expire") { db in
            try db.execute(sql: "ALTER TABLE api_token ADD COLUMN expires_at REAL")
        }
        migrator.registerMigration("v20: per lesson, the strongest incident's intensity (severity order) and the teacher's incidents") { db in
            try db.execute(sql: """
                ALTER TABLE lesson ADD COLUMN peak_intensity REAL;
                ALTER TABLE lesson ADD COLUMN teacher_incident_count INTEGER;
                """)
        }
        migrator.registerMigration("v21: which way of working out the list figures each lesson's were made with") { db in
            // Lessons analysed before are at version 1 and are summarised again from their reports at the next start.
            try db.execute(sql: "ALTER TABLE lesson ADD COLUMN summary_version INTEGER NOT NULL DEFAULT 1")
        }
        migrator.registerMigration("v22: LMS platforms (LTI 1.3), the tool's keys, logins under way, launched users", migrate: createLTITables)
        migrator.registerMigration("v23: teachers who sign in from the LMS and see their own lessons; links being picked for an LMS") { db in
            try db.execute(sql: """
                ALTER TABLE school ADD COLUMN teacher_view INTEGER NOT NULL DEFAULT 1;
                ALTER TABLE user ADD COLUMN teacher_id TEXT REFERENCES teacher(id) ON DELETE SET NULL;
                ALTER TABLE teacher ADD COLUMN email TEXT;
                CREATE INDEX teacher_by_email ON teacher(school_id, email);
                CREATE TABLE lti_teacher (
                    platform_id TEXT NOT NULL REFERENCES lti_platform(id) ON DELETE CASCADE, subject TEXT NOT NULL,
                    teacher_id TEXT NOT NULL REFERENCES teacher(id) ON DELETE CASCADE, PRIMARY KEY (platform_id, subject));
                CREATE TABLE lti_deep_link_request (
                    id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
                    platform_id TEXT NOT NULL REFERENCES lti_platform(id) ON DELETE CASCADE,
                    deployment_id TEXT NOT NULL, return_url TEXT NOT NULL, data TEXT, expires_at REAL NOT NULL);
                """)
        }
        migrator.registerMigration("v24: LMS courses launches came from, whose teachers can be imported") { db in
            try db.execute(sql: """
                CREATE TABLE lti_course (
                    platform_id TEXT NOT NULL REFERENCES lti_platform(id) ON DELETE CASCADE, context_id TEXT NOT NULL,
                    title TEXT NOT NULL, memberships_url TEXT, seen_at REAL NOT NULL, PRIMARY KEY (platform_id, context_id));
                """)
        }
        migrator.registerMigration("v25: links with which an LMS registers itself (LTI dynamic registration)") { db in
            try db.execute(sql: """
                CREATE TABLE lti_registration_invite (
                    secret_hash TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id) ON DELETE CASCADE, expires_at REAL NOT NULL);
                """)
        }
        migrator.registerMigration("v26: a school's own table of LMS roles to EdControl roles") { db in
            try db.execute(sql: "ALTER TABLE school ADD COLUMN lti_roles TEXT")
        }
        // The queue's rules, checked by the database as well as by `enqueue…` (whose checks
        // give the refusals their words): at most one waiting or running job of the school's per
        // lesson, one shadow job per lesson, one voice enrolment per teacher.
        migrator.registerMigration("v27: one active job per lesson, shadow job per lesson and enrolment per teacher, as unique indexes") { db in
            try db.execute(sql: """
                CREATE UNIQUE INDEX job_one_active_per_lesson ON job(lesson_id) WHERE state IN ('queued', 'running') AND kind != 'shadow';
                CREATE UNIQUE INDEX job_one_active_shadow_per_lesson ON job(lesson_id) WHERE state IN ('queued', 'running') AND kind = 'shadow';
                CREATE UNIQUE INDEX job_one_active_enrolment_per_teacher ON job(teacher_id) WHERE state IN ('queued', 'running') AND kind = 'voice_enrolment';
                """)
        }
        migrator.registerMigration("v28: the set of results files a lesson's row names as published") { db in
            try db.execute(sql: "ALTER TABLE lesson ADD COLUMN results_set TEXT")
        }
        migrator.registerMigration("v29: transcripts searched with ё as е") { db in
            // unicode61 folds case and Latin diacritics but keeps ё apart from е (the store
            // conformance kit found it): the index holds the text folded as searches fold
            // words, and the text as said beside it, unindexed, for the hits.
            try db.execute(sql: """
                CREATE VIRTUAL TABLE transcript_line_folded USING fts5(
                    folded, text UNINDEXED, lesson_id UNINDEXED, school_id UNINDEXED, start UNINDEXED, end UNINDEXED,
                    speaker UNINDEXED, role UNINDEXED, tokenize = 'unicode61 remove_diacritics 2');
                INSERT INTO transcript_line_folded (folded, text, lesson_id, school_id, start, end, speaker, role)
                    SELECT replace(replace(text, 'ё', 'е'), 'Ё', 'Е'), text, lesson_id, school_id, start, end, speaker, role FROM transcript_line;
                DROP TABLE transcript_line;
                ALTER TABLE transcript_line_folded RENAME TO transcript_line;
                """)
        }
        return migrator
    }
}
