import EdControlCore
import Foundation

/// An incident's evidence, and why a lesson got its flag, in the page's language: written
/// from the report's findings (numbers), not from its English sentences. Reports from before
/// findings existed keep their English sentences.
struct IncidentWords {
    let t: InterfaceText
    let words: ChartWords

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

    /// The flag's reason, chosen as `IncidentDetector.summary` chooses it.
    func reason(_ report: LessonReport) -> String {
        let incidents = report.incidents
        guard let strongest = incidents.max(by: { $0.peakIntensity < $1.peakIntensity }) else {
            return report.summary.flag == .inconclusive ? t["reason_inconclusive"] : t["reason_none"]
        }
        guard !strongest.findings.isEmpty else { return report.summary.reason }
        let when = ReportCharts.formatClock(strongest.start), peak = t.number(strongest.peakIntensity, decimals: 2)
        if strongest.peakIntensity >= report.lineage.incidentRules.alertPeakIntensity {
            return t.format("reason_strongest", strongest.person, words.roles[strongest.role] ?? "", when, peak, finding(strongest.findings[0]))
        }
        if report.summary.flag == .alert {
            return t.count("reason_total", incidents.count, t.number(incidents.map { $0.end - $0.start }.reduce(0, +)))
        }
        return t.count("reason_review", incidents.count, when, peak)
    }
}
