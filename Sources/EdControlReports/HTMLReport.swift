import EdControlEngine
import Foundation

/// `report.html`: one self-contained page (inline CSS, SVG and a few lines of script; no
/// network access) with the recording's player, the lesson's flag, a timeline of speakers,
/// faces' emotions and incidents that seeks the player when clicked, the incident list,
/// talk-time figures and the emotions of each role.
public enum HTMLReport {
    /// - Parameter mediaSource: the player's `src`, e.g. the recording's path relative to the page.
    public static func render(_ report: LessonReport, mediaSource: String) -> String {
        let duration = ReportCharts.duration(of: report)
        let isVideo = !report.input.media.video.isEmpty
        let m = report.talkMetrics
        var html = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(report.input.file)) — EdControl lesson report</title>
        <style>
        body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:16px;color:#1d1d1f}
        h1{font-size:1.4em;margin:.2em 0}h2{font-size:1.1em;margin:1.2em 0 .4em}
        .meta{color:#555}.player{width:100%;max-height:420px;background:#000;border-radius:6px}
        svg text{font-size:12px;fill:#333}.lane-label{font-weight:600}svg text.on-light{fill:#000}svg text.on-dark{fill:#fff}
        table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:4px 8px;border-bottom:1px solid #e3e3e3}
        button.seek{font:inherit;background:none;border:0;color:#0b57d0;cursor:pointer;padding:0;text-decoration:underline}
        .figures{display:grid;grid-template-columns:repeat(auto-fit,minmax(180px,1fr));gap:8px}
        .figure{background:#f5f5f7;border-radius:6px;padding:8px}.figure b{display:block;font-size:1.3em}
        .flag{padding:6px 10px;border-radius:6px;border-left:6px solid}.flag-ok{border-color:#009E73;background:#e8f6f1}
        .flag-review{border-color:#E69F00;background:#fdf4e3}.flag-alert{border-color:#D55E00;background:#fbe9e1}.flag-inconclusive{border-color:#767676;background:#f0f0f0}
        </style></head><body>
        <h1>\(escape(report.input.file))</h1>
        <p class="meta">\(formatDuration(duration)) · \(report.speakers.count) speakers · \(report.incidents.count) incidents · analysed \(escape(report.generatedAt)) by EdControl \(escape(report.lineage.softwareVersion))</p>
        <p class="flag flag-\(report.summary.flag.rawValue)"><b>\(report.summary.flag.rawValue.uppercased())</b> — \(escape(report.summary.reason))</p>
        <\(isVideo ? "video" : "audio") id="player" class="player" controls preload="metadata" src="\(escape(mediaSource))"></\(isVideo ? "video" : "audio")>
        <h2>Timeline</h2>
        \(ReportCharts.timeline(report))
        <h2>Incidents</h2>
        """
        if report.incidents.isEmpty {
            html += "<p>No incidents.</p>\n"
        } else {
            html += "<table><thead><tr><th>When</th><th>Who</th><th>How</th><th>Length</th><th>Intensity (peak / mean)</th><th>Evidence</th></tr></thead><tbody>\n"
            for incident in report.incidents {
                html += "<tr><td><button class=\"seek\" data-seek=\"\(incident.start)\">\(ClockTime.format(incident.start))</button></td>"
                    + "<td>\(escape(incident.person)) (\(incident.role.rawValue))</td><td>\(incident.modality.rawValue)</td>"
                    + String(format: "<td>%.1f s</td><td>%.2f / %.2f</td>", incident.end - incident.start, incident.peakIntensity, incident.meanIntensity)
                    + "<td>\(escape(incident.evidence.joined(separator: "; ")))</td></tr>\n"
            }
            html += "</tbody></table>\n"
        }
        html += "<h2>Talk time</h2>\n"
        if let note = report.voice.note {
            // Without sound there is no talk to measure: zeros would read as a silent lesson.
            html += "<p>" + escape(note.prefix(1).uppercased() + note.dropFirst()) + ".</p>\n"
        } else {
            html += """
            <div class="figures">
            \(figure("Teacher talk", String(format: "%.0f %%", m.teacherTalkPercent)))
            \(figure("Student talk", String(format: "%.0f %%", m.studentTalkPercent)))
            \(figure("Silence", String(format: "%.0f %%", m.silencePercent)))
            \(figure("Turns", "\(m.turnCount)"))
            \(figure("Longest teacher monologue", ClockTime.format(m.longestTeacherMonologueSeconds)))
            \(figure("Mean student turn", String(format: "%.1f s", m.meanStudentTurnSeconds)))
            \(figure("Teacher→student exchanges", String(format: "%.1f / min", m.teacherToStudentExchangesPerMinute)))
            \(figure("Mean wait for an answer", String(format: "%.1f s", m.meanWaitAfterTeacherSeconds)))
            </div>
            \(ReportCharts.talkBars(report))

            """
        }
        html += """
        <h2>Expressions that stood out, by role</h2>
        <p>Each face is measured against its own usual expression over the lesson (the expression model reads some resting faces as sad or angry): a part of a bar is the share of the time on screen in which that expression rose clearly above the face's usual level.</p>
        \(ReportCharts.emotionBars(report) ?? "<p>" + (report.video.analysed ? "No faces were found in the video." : escape(report.video.note ?? "No video.")) + "</p>")
        <h2>How this report was made</h2>
        <table><tbody>
        """
        for model in report.lineage.models {
            html += "<tr><th>\(escape(model.id)) \(escape(model.version))</th><td><code>sha256 \(escape(model.sha256))</code></td></tr>\n"
        }
        html += """
        <tr><th>Configuration</th><td><code>sha256 \(escape(report.lineage.configurationSHA256))</code></td></tr>
        <tr><th>Incident rules \(escape(report.lineage.incidentRulesVersion))</th><td><code>sha256 \(escape(report.lineage.incidentRulesSHA256))</code></td></tr>
        </tbody></table>
        <script>
        \(ReportCharts.playerScript)
        </script>
        </body></html>

        """
        return html
    }

    private static func figure(_ label: String, _ value: String) -> String {
        "<div class=\"figure\">\(escape(label))<b>\(escape(value))</b></div>"
    }

    private static func formatDuration(_ seconds: Double) -> String { "\(ClockTime.format(seconds)) long" }

    static func escape(_ text: String) -> String { ReportCharts.escape(text) }
}
