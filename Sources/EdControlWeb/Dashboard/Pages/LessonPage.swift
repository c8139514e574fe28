import EdControlEngine
import EdControlReports
import EdControlService
import EdControlStorage
import Foundation
import Hummingbird

/// `/lessons/<id>`: the recording's player over a timeline that seeks it, the worst moment
/// first, the incidents with confirm/reject for reviewers, talk time, emotions per role,
/// what made the report, and its downloads.
struct LessonPage {
    let store: any LessonStore & ReviewStore & LTIStore & AuditStore & TranscriptStore
    let files: any LessonFiles
    let pages: PageRenderer
    let reports: ReportCache
    let lessons: LessonService

    struct IncidentRow {
        var index: Int
        var start: Double
        var clock: String
        var who: String
        var modality: String
        var length: String
        var peak: String
        var peakPercent: Int
        var mean: String
        var evidence: String
        var verdict: String?
        var verdictText: String?
        /// The reviewer's correction, in words.
        var correction: String?
        var worst: Bool
        /// The transcript's words around the incident.
        var said: String?
        /// The correction form's fields, filled with what the analysis said.
        var startClock: String
        var endClock: String
        var people: [Choice]
        var modalities: [Choice]
    }

    struct EnrolmentForm: Decodable { var teacher: String; var speaker: String }
    struct Choice { var value: String; var label: String; var selected: Bool }

    struct Figure {
        var label: String
        var value: String
        /// What the figure means, one tap or hover away.
        var help: String? = nil
    }
    /// A line of how the report was made; a model's line is labelled with its id, a name in no language.
    struct LineageRow { var label: String; var value: String; var labelIsName = false }
    struct Download { var label: String; var href: String }

    /// The transcript beside the player: every line seeks it, the line being played is marked.
    struct TranscriptPanel {
        struct Line { var start: Double; var end: Double; var clock: String; var who: String; var role: String; var text: String }
        var meta: String
        var note: String?
        var lines: [Line]
        /// The search within the lesson, when one was made.
        var query: String?
        var hits: [Line]?
        var hitsText: String?
    }
    struct Face { var src: String; var label: String }

    struct Model {
        var id: String
        var title: String
        var teacher: String?
        var teacherHref: String?
        var when: String
        var duration: String
        var recording: String?
        var isVideo: Bool
        var recordingGone: Bool
        var status: JobStatus
        var liveText: String
        var analysed: Bool
        var flag: String?
        var flagText: String?
        var reason: String?
        var worst: IncidentRow?
        /// Each chart twice: wide for screens, narrow for phones (CSS shows one).
        var timeline: String?
        var narrowTimeline: String?
        var incidents: [IncidentRow]
        var noIncidents: Bool
        var canReview: Bool
        /// Managers may analyse the lesson again (when it is not being analysed) and delete it.
        var canReanalyse: Bool
        var reviewed: String?
        var figures: [Figure]
        /// Why the figures drawn from the transcript are left out, when it is not to be trusted.
        var transcriptFiguresWithheld: String?
        /// The terms the evidence uses, explained.
        var glossary: [Figure] = []
        var talkChart: String?
        var narrowTalkChart: String?
        var emotionChart: String?
        var narrowEmotionChart: String?
        var noFaces: String?
        /// Each face track's picture, so "F1" has a face.
        var faces: [Face] = []
        /// The recording has no sound, so nobody's speech was analysed.
        var noSound = false
        var lineage: [LineageRow]
        var downloads: [Download]
        /// Managers may enrol a teacher's voice from an analysed lesson whose recording is kept.
        var canEnrol = false
        var enrolTeachers: [Choice] = []
        var enrolSpeakers: [Choice] = []
        var transcript: TranscriptPanel?
        /// Why there is no transcript.
        var noTranscript: String?
    }

    func add(to router: Router<APIContext>) {
        router.get("lessons/:lesson", use: show)
        router.post("lessons/:lesson/incidents/:index/review", use: review)
        router.post("lessons/:lesson/analyses") { request, context in
            let caller = try PageRenderer.signedIn(request, context, role: .manager)
            let id = try context.parameters.require("lesson")
            _ = try await lessons.reanalyse(id, by: caller)
            return Response.redirect(to: "/lessons/\(id)", type: .normal)
        }
        router.post("lessons/:lesson/enrolment") { request, context in
            let caller = try PageRenderer.signedIn(request, context, role: .manager)
            let body = String(buffer: try await request.body.collect(upTo: 64 << 10))
            guard let form = try? URLEncodedFormDecoder().decode(EnrolmentForm.self, from: body) else {
                throw HTTPError(.badRequest, message: pages.text(for: request)["enrol_invalid"])
            }
            _ = try await lessons.requestVoiceEnrolment(of: form.teacher, fromLesson: try context.parameters.require("lesson"),
                                                        speaker: form.speaker, by: caller)
            return Response.redirect(to: "/teachers/\(form.teacher)#voice", type: .normal)
        }
        router.post("lessons/:lesson/delete") { request, context in
            let caller = try PageRenderer.signedIn(request, context, role: .manager)
            try await lessons.erase(try context.parameters.require("lesson"), by: caller)
            return Response.redirect(to: "/lessons", type: .normal)
        }
    }

    @Sendable func show(_ request: Request, context: APIContext) async throws -> Response {
        let caller = try PageRenderer.signedIn(request, context, role: .teacher)
        let t = pages.text(for: request)
        let found = try await store.lesson(try context.parameters.require("lesson"), of: caller)
        let lesson = found.lesson
        let report = lesson.analysedAt == nil ? nil : await reports.report(of: lesson)
        var teacher: Teacher?
        if let id = lesson.teacherID { teacher = try await store.teacher(id: id, schoolID: caller.schoolID) }
        let verdicts = Dictionary(try await store.reviews(lessonID: lesson.id, schoolID: caller.schoolID).map { ($0.incidentIndex, $0) },
                                  uniquingKeysWith: { _, latest in latest })
        try await store.audit(caller, "lesson.read", "lesson \(lesson.id)", detail: "dashboard")

        var model = Model(
            id: lesson.id, title: lesson.title, teacher: teacher?.name, teacherHref: teacher.map { "/teachers/\($0.id)" },
            when: t.lessonDate(lesson), duration: ClockTime.format(lesson.durationSeconds),
            recording: lesson.mediaFile == nil ? nil : lesson.recordingAddress, isVideo: lesson.hasVideo,
            recordingGone: lesson.mediaFile == nil, status: JobStatus(found.job, t), liveText: JobStatus.liveText(t),
            analysed: report != nil, flag: nil, flagText: nil, reason: nil, worst: nil, timeline: nil, narrowTimeline: nil, incidents: [], noIncidents: false,
            canReview: caller.role >= .manager, canReanalyse: caller.role >= .manager && lesson.mediaFile != nil && !(found.job.map { !$0.state.isFinished } ?? false),
            reviewed: nil, figures: [], talkChart: nil, narrowTalkChart: nil, emotionChart: nil, narrowEmotionChart: nil, noFaces: nil,
            lineage: [], downloads: [])
        if let report {
            // The faces' pictures there are (none once retention has deleted the recording).
            let pictures = ((try? await files.list(under: FileName.results(of: lesson).appending(FaceThumbnails.folder))) ?? []).map(\.name.lastComponent)
            fill(&model, from: report, teacher: teacher?.name, verdicts: verdicts, pictures: Set(pictures), t)
            if var panel = model.transcript, let text = request.uri.queryParameters["q"].map(String.init), !text.isEmpty {
                let hits = try await TranscriptSearchQuery(text).hits(lessonID: lesson.id, limit: 200, for: caller, in: store)
                panel.query = text
                panel.hits = hits.map { hit in panel.lines.first { $0.start == hit.start && $0.text == hit.text } ?? Self.line(hit, t) }
                panel.hitsText = hits.isEmpty ? t["transcript_no_hits"] : t.count("transcript_hits", hits.count)
                model.transcript = panel
            }
            if model.canReview, lesson.mediaFile != nil, !report.speakers.isEmpty {
                model.enrolTeachers = try await store.teachers(schoolID: caller.schoolID).map {
                    Choice(value: $0.id, label: $0.name, selected: $0.id == lesson.teacherID)
                }
                model.enrolSpeakers = ReportCharts.speakersInOrder(report).map { speaker in
                    Choice(value: speaker.id, label: "\(speaker.id) · \(t["role_\(speaker.role.rawValue)"]) · \(ClockTime.format(speaker.talkSeconds))",
                           selected: speaker.role == .teacher)
                }
                model.canEnrol = !model.enrolTeachers.isEmpty
            }
        }
        return pages.render("lesson", title: lesson.title, model: model, request: request, context: context)
    }

    private func fill(_ model: inout Model, from report: LessonReport, teacher: String?, verdicts: [Int: IncidentReview], pictures: Set<String>,
                      _ t: InterfaceText) {
        var words = t.chartWords
        // The lesson's teacher by name, once the analysis has said which speaker teaches.
        if let teacher, let speaker = report.speakers.first(where: { $0.role == .teacher }) {
            words.speakerNames[speaker.id] = "\(teacher) (\(speaker.id))"
        }
        let sentences = IncidentWords(t: t, words: words, teacherName: teacher)
        model.flag = report.summary.flag.rawValue
        model.flagText = t["flag_\(report.summary.flag.rawValue)"]
        model.reason = sentences.reason(report)
        model.timeline = ReportCharts.timeline(report, words: words)
        model.narrowTimeline = ReportCharts.timeline(report, words: words, layout: .narrow)
        let strongest = report.strongestIncident?.index
        let people = ReportCharts.speakersInOrder(report).map(\.id) + report.video.tracks.map(\.id)
        let names = Self.peopleNames(report, teacher: teacher, t)
        model.incidents = report.incidents.enumerated().map { index, incident in
            IncidentRow(index: index, start: incident.start, clock: ClockTime.format(incident.start),
                        who: names[incident.person] ?? "\(incident.person) · \(words.roles[incident.role] ?? "")", modality: words.modality(of: incident),
                        length: t.number(incident.end - incident.start, decimals: 1) + " " + t["unit_seconds"],
                        peak: t.number(incident.peakIntensity, decimals: 2), peakPercent: Int(incident.peakIntensity * 100),
                        mean: t.number(incident.meanIntensity, decimals: 2), evidence: sentences.evidence(incident),
                        verdict: verdicts[index]?.verdict.rawValue, verdictText: verdicts[index].map { t["verdict_\($0.verdict.rawValue)"] },
                        correction: verdicts[index].flatMap { correctionWords($0, words: words, names: names, t) },
                        worst: index == strongest, startClock: Self.preciseClock(incident.start), endClock: Self.preciseClock(incident.end),
                        people: people.map { Choice(value: $0, label: names[$0] ?? $0, selected: $0 == incident.person) },
                        modalities: [Incident.Modality.voice, .face, .words, .both].map {
                            Choice(value: $0.rawValue, label: words.modalities[$0] ?? $0.rawValue, selected: $0 == incident.modality)
                        })
        }
        model.worst = strongest.map { model.incidents[$0] }
        if let transcript = report.transcript, transcript.analysed {
            func who(_ speaker: String?) -> String { speaker.map { names[$0] ?? $0 } ?? t["transcript_unknown_speaker"] }
            let lines = transcript.segments.map { segment in
                TranscriptPanel.Line(start: segment.start, end: segment.end, clock: ClockTime.format(segment.start),
                                     who: who(segment.speaker), role: segment.role?.rawValue ?? "unknown", text: segment.text)
            }
            let language = t.transcriptionName(transcript.language ?? "")
            let how = transcript.languageProbability.map { t.format("transcript_language_detected", t.percent($0)) } ?? transcript.model ?? ""
            // The report's note is in English; the only one an analysed transcript has is that its language was uncertain.
            let note = transcript.note.map { _ in t.format("transcript_uncertain", language, t.percent(transcript.languageProbability ?? 0)) }
            model.transcript = TranscriptPanel(meta: t.format("transcript_meta", language, how), note: note, lines: lines)
            for index in model.incidents.indices {
                let incident = report.incidents[index]
                let around = lines.filter { $0.end > incident.start - 3 && $0.start < incident.end + 3 }
                let said = around.map { "\($0.who): \($0.text)" }.joined(separator: " · ")
                // A long incident's words would fill the list: its beginning, the rest a click away (the transcript).
                let words = said.split(separator: " ")
                model.incidents[index].said = around.isEmpty ? nil : words.count > 60 ? words.prefix(60).joined(separator: " ") + " …" : said
            }
        } else if let transcript = report.transcript {
            model.noTranscript = transcript.note.map { Self.whyNoTranscript($0, t) }
        }
        model.noIncidents = report.incidents.isEmpty
        if !report.incidents.isEmpty {
            model.reviewed = t.format("lesson_reviewed", verdicts.count, report.incidents.count)
        }
        let m = report.talkMetrics
        func figure(_ name: String, _ value: String) -> Figure { Figure(label: t["figure_\(name)"], value: value, help: t["help_\(name)"]) }
        model.figures = [
            figure("teacher_talk", t.number(m.teacherTalkPercent) + " %"),
            figure("student_talk", t.number(m.studentTalkPercent) + " %"),
            figure("silence", t.number(m.silencePercent) + " %"),
            figure("turns", "\(m.turnCount)"),
            figure("monologue", ClockTime.format(m.longestTeacherMonologueSeconds)),
            // A mean of nothing is shown as a dash, not as 0.0 s.
            figure("student_turn", m.studentTalkPercent == 0 ? "—" : t.number(m.meanStudentTurnSeconds, decimals: 1) + " " + t["unit_seconds"]),
            figure("exchanges", t.number(m.teacherToStudentExchangesPerMinute, decimals: 1) + " " + t["unit_per_minute"]),
            figure("wait", m.teacherToStudentExchangesPerMinute == 0 ? "—" : t.number(m.meanWaitAfterTeacherSeconds, decimals: 1) + " " + t["unit_seconds"]),
        ]
        // Figures read from a transcript the model was unsure of would be figures about words
        // nobody said (the demo's transcript, detected "67 % sure", is mostly wrong).
        let languageCertainty = report.transcript?.languageProbability
        if report.teaching != nil, let certainty = languageCertainty, certainty < Self.trustedLanguageCertainty {
            model.transcriptFiguresWithheld = t.format("lesson_transcript_figures_withheld", t.percent(certainty))
        } else if let teaching = report.teaching {
            model.figures += [
                figure("questions", t.number(teaching.questionsPerHour) + " " + t["unit_per_hour"] + " (\(teaching.teacherQuestions))"),
                figure("open_questions", teaching.teacherQuestions == 0 ? "—"
                       : t.percent(Double(teaching.openQuestions) / Double(teaching.teacherQuestions)) + " (\(teaching.openQuestions))"),
                figure("answered", teaching.answeredShare.map { t.percent($0) } ?? "—"),
                figure("question_wait", teaching.medianWaitSeconds.map { t.number($0, decimals: 1) + " " + t["unit_seconds"] } ?? "—"),
                figure("student_words", teaching.studentWordShare.map { t.percent($0) } ?? "—"),
            ]
        }
        model.glossary = ["lu", "arousal", "intensity", "negative"].map { Figure(label: t["term_\($0)"], value: t["term_\($0)_meaning"]) }
        model.noSound = report.voice.note != nil
        model.talkChart = ReportCharts.talkBars(report, words: words)
        model.narrowTalkChart = ReportCharts.talkBars(report, words: words, layout: .narrow)
        model.emotionChart = ReportCharts.emotionBars(report, words: words)
        model.narrowEmotionChart = ReportCharts.emotionBars(report, words: words, layout: .narrow)
        if model.emotionChart == nil {
            // The one reason the analysis gives for not analysing a video is that there is none.
            model.noFaces = report.video.analysed ? t["lesson_no_faces"] : t["lesson_no_video"]
        }
        model.faces = report.video.tracks.compactMap { track in
            guard pictures.contains(FaceThumbnails.file(of: track.id)) else { return nil }
            let who = track.speaker.flatMap { words.speakerNames[$0] } ?? (words.roles[track.role] ?? "")
            return Face(src: "/api/v1/lessons/\(model.id)/faces/\(FaceThumbnails.file(of: track.id))", label: "\(track.id) · \(who)")
        }
        let lineage = report.lineage
        model.lineage = [LineageRow(label: t["lineage_software"], value: "\(lineage.software) \(lineage.softwareVersion)")]
            + lineage.models.map { LineageRow(label: "\($0.id) \($0.version)", value: "sha256 \($0.sha256)", labelIsName: true) }
            + [LineageRow(label: t["lineage_configuration"], value: "sha256 \(lineage.configurationSHA256)"),
               LineageRow(label: t.format("lineage_rules", lineage.incidentRulesVersion), value: "sha256 \(lineage.incidentRulesSHA256)"),
               LineageRow(label: t["lineage_generated"], value: report.generatedAt)]
        let base = "/api/v1/lessons/\(model.id)/"
        let transcriptFiles = report.transcript?.analysed == true
            ? [(ReportWriter.transcriptTextFile, "download_transcript_txt"), (ReportWriter.transcriptVTTFile, "download_transcript_vtt"),
               (ReportWriter.transcriptSRTFile, "download_transcript_srt")] : []
        model.downloads = ([("report.json", "download_json"), ("diarization.rttm", "download_rttm"),
                            ("timeline.vtt", "download_vtt"), ("incidents.csv", "download_csv")] + transcriptFiles)
            .map { Download(label: t[$0.1], href: base + $0.0) }
    }

    static func line(_ hit: TranscriptHit, _ t: InterfaceText) -> TranscriptPanel.Line {
        TranscriptPanel.Line(start: hit.start, end: hit.end, clock: ClockTime.format(hit.start),
                             who: hit.speaker ?? t["transcript_unknown_speaker"], role: hit.role ?? "unknown", text: hit.text)
    }

    /// Each speaker and face as a reviewer knows them: the teacher by name, the others by their
    /// role, each with the id the report and the timeline use ("Anna Petrova (teacher, S1)",
    /// "student S2", "face F3 of student S2"), instead of bare ids.
    /// Why a lesson has no transcript, in the reader's language: the report says it in English.
    static func whyNoTranscript(_ note: String, _ t: InterfaceText) -> String {
        switch note {
        case Transcript.Why.switchedOffForUpload: return t["transcript_off_upload"]
        case Transcript.Why.switchedOffForSchool: return t["transcript_off_school"]
        case Transcript.Why.switchedOffForAnalysis: return t["transcript_off_analysis"]
        case Transcript.Why.configurationPredatesTranscription: return t["transcript_predates"]
        default:
            if note.hasPrefix(Transcript.Why.noSpeechPrefix), let seconds = Double(note.dropFirst(Transcript.Why.noSpeechPrefix.count).prefix { $0.isNumber || $0 == "." }) {
                return t.format("transcript_no_speech", t.number(seconds, decimals: 1))
            }
            return note
        }
    }

    static func peopleNames(_ report: LessonReport, teacher: String?, _ t: InterfaceText) -> [String: String] {
        var names: [String: String] = [:]
        for speaker in report.speakers {
            if let teacher, speaker.role == .teacher {
                names[speaker.id] = t.format("person_named", teacher, t["person_role_teacher"], speaker.id)
            } else {
                names[speaker.id] = t.format("person_speaker", t["person_role_\(speaker.role.rawValue)"], speaker.id)
            }
        }
        for track in report.video.tracks {
            if let speaker = track.speaker.flatMap({ names[$0] }) {
                names[track.id] = t.format("person_face_of", track.id, speaker)
            } else {
                names[track.id] = track.role == .unknown ? t.format("person_face_alone", track.id)
                    : t.format("person_face", track.id, t["person_role_\(track.role.rawValue)"])
            }
        }
        return names
    }

    /// How sure the language detection must be for figures read from the transcript (questions,
    /// words) to be shown; a language given at upload is trusted.
    static let trustedLanguageCertainty = 0.8

    /// "1:23.4": a time to a tenth of a second, for the correction form (and read back by `ReviewForm`).
    static func preciseClock(_ seconds: Double) -> String {
        let tenths = Int((seconds * 10).rounded())
        return String(format: "%d:%02d.%d", tenths / 600, tenths / 10 % 60, tenths % 10)
    }

    /// "Corrected: 1:20–1:31, S2, voice" — the parts the reviewer changed.
    private func correctionWords(_ review: IncidentReview, words: ChartWords, names: [String: String], _ t: InterfaceText) -> String? {
        guard review.isCorrected else { return nil }
        var parts: [String] = []
        if review.correctedStart != nil {
            parts.append("\(ClockTime.format(review.labelledSpan.start))–\(ClockTime.format(review.labelledSpan.end))")
        }
        if let person = review.correctedPerson { parts.append(names[person] ?? person) }
        if let modality = review.correctedModality.flatMap(Incident.Modality.init) { parts.append(words.modalities[modality] ?? modality.rawValue) }
        return t["review_corrected"] + " " + parts.joined(separator: ", ")
    }

    /// A reviewer's verdict from the incident list's form; back to the same incident.
    @Sendable func review(_ request: Request, context: APIContext) async throws -> Response {
        let caller = try PageRenderer.signedIn(request, context, role: .manager)
        let lessonID = try context.parameters.require("lesson")
        let index = try context.parameters.require("index", as: Int.self)
        let body = String(buffer: try await request.body.collect(upTo: 64 << 10))
        guard let form = try? URLEncodedFormDecoder().decode(ReviewForm.self, from: body) else {
            throw HTTPError(.badRequest, message: "choose Confirm or Reject")
        }
        _ = try await lessons.review(form.verdict, note: form.note, correction: try form.correction(), lessonID: lessonID, index: index, by: caller)
        let back = LocalPath.checked(request.uri.queryParameters["back"])
        return Response.redirect(to: back == "/lessons" ? "/lessons/\(lessonID)#incident-\(index)" : back, type: .normal)
    }
}

/// The incident list's review form: its correction fields arrive as text, empty when unused;
/// times as seconds or as m:ss.
struct ReviewForm: Decodable {
    var verdict: IncidentReview.Verdict
    var note: String?
    var start: String?
    var end: String?
    var person: String?
    var modality: String?

    func correction() throws -> ReviewCorrection {
        func given(_ text: String?) -> String? { text.map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 } }
        func seconds(_ text: String?) throws -> Double? {
            guard let text = given(text) else { return nil }
            let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { Double($0.replacingOccurrences(of: ",", with: ".")) }
            guard (1...3).contains(parts.count), parts.allSatisfy({ $0 != nil && $0! >= 0 }) else {
                throw HTTPError(.badRequest, message: "'\(text)' is not a time: write seconds (83.5) or minutes and seconds (1:23.5)")
            }
            return parts.reduce(0) { $0 * 60 + $1! }
        }
        return ReviewCorrection(start: try seconds(start), end: try seconds(end), person: given(person), modality: given(modality))
    }
}
