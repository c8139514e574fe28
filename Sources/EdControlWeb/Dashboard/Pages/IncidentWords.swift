import EdControlEngine
import EdControlReports
import EdControlService
import Foundation

/// An incident's evidence, and why a lesson got its flag, in the page's language: written
/// from the report's findings (numbers), not from its English sentences. Reports from before
/// findings existed keep their English sentences.
struct IncidentWords {
    let t: InterfaceText
    let words: ChartWords
    /// The lesson's teacher, so that the reason names them.
    var teacherName: String? = nil

    func evidence(_ incident: Incident) -> String {
        guard !incident.findings.isEmpty else { return incident.evidence.joined(separator: "; ") }
        return incident.findings.map(finding).joined(separator: "; ")
    }

    private func finding(_ finding: Finding) -> String {
        switch finding.kind {
        case .raisedVoice:
            let above = finding.aboveBaselineLU ?? 0
            return t.format("evidence_voice", (above < 0 ? "−" : "+") + t.number(abs(above), decimals: 1),
                            t.number(finding.seconds, decimals: 1), t.number(finding.arousal ?? 0, decimals: 2))
        case .negativeFace:
            let face = finding.face ?? ""
            let who = finding.speaker.map { t.format("evidence_face_of_speaker", face, $0) } ?? t.format("evidence_face", face)
            return t.format("evidence_negative_face", who, finding.emotion.flatMap { words.emotions[$0] } ?? "",
                            t.number(finding.meanNegative ?? 0, decimals: 2), t.number(finding.peakNegative ?? 0, decimals: 2),
                            t.number(finding.usualNegative ?? 0, decimals: 2), t.number(finding.seconds))
        case .verbal:
            return t.format("evidence_verbal", finding.said ?? "", t["verbal_\(finding.language?.rawValue ?? "sharp")"])
        }
    }

    /// The flag's reason for a manager: the strongest incident in one plain sentence that
    /// names the person ("At 0:23, Anna Petrova (the teacher) spoke far louder than usual for
    /// 7 s and looked angry for 5 s"), its numbers after it, and how many more there are.
    func reason(_ report: LessonReport) -> String {
        let incidents = report.incidents
        guard let strongest = report.strongestIncident?.incident else {
            return report.summary.flag == .inconclusive ? t["reason_inconclusive"] : t["reason_none"]
        }
        guard !strongest.findings.isEmpty else { return report.summary.reason }
        let what = strongest.findings.map(plain).joined(separator: t["plain_and"])
        let numbers = t.format("plain_numbers", t.number(strongest.peakIntensity, decimals: 2), strongest.findings.map(numbersOf).joined())
        let sentence = t.format("reason_plain", ClockTime.format(strongest.start), who(strongest), what, numbers)
        return incidents.count > 1 ? sentence + " " + t.count("reason_more", incidents.count - 1) : sentence
    }

    /// The person as a manager knows them: the teacher by name when the lesson has one.
    private func who(_ incident: Incident) -> String {
        switch incident.role {
        case .teacher: return teacherName.map { t.format("plain_named_teacher", $0) } ?? t["plain_the_teacher"]
        case .student: return t["plain_a_student"]
        case .unknown: return t["plain_someone"]
        }
    }

    /// What the person did, in words: how much louder than their own usual level, how they looked, what they said.
    private func plain(_ finding: Finding) -> String {
        let seconds = t.number(finding.seconds)
        switch finding.kind {
        case .raisedVoice:
            let above = finding.aboveBaselineLU ?? 0
            return t.format(above >= 12 ? "plain_voice_far" : above >= 6 ? "plain_voice_much" : "plain_voice", seconds)
        case .negativeFace:
            return t.format("plain_face", finding.emotion.map { t["look_\($0.rawValue)"] } ?? t["look_negative"], seconds)
        case .verbal:
            return t.format("plain_said", finding.said ?? "")
        }
    }

    private func numbersOf(_ finding: Finding) -> String {
        switch finding.kind {
        case .raisedVoice:
            let above = finding.aboveBaselineLU ?? 0
            return t.format("plain_voice_numbers", (above < 0 ? "−" : "+") + t.number(abs(above), decimals: 1), t.number(finding.arousal ?? 0, decimals: 2))
        case .negativeFace:
            return t.format("plain_face_numbers", t.number(finding.meanNegative ?? 0, decimals: 2), t.number(finding.usualNegative ?? 0, decimals: 2))
        case .verbal:
            return ""
        }
    }
}
