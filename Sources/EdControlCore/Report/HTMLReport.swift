import Foundation

/// `report.html`: one self-contained page (inline CSS, SVG and a few lines of script; no
/// network access) with the recording's player, the lesson's flag, a timeline of speakers,
/// faces' emotions and incidents that seeks the player when clicked, the incident list,
/// talk-time figures and the emotions of each role.
public enum HTMLReport {
    /// Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
    static let palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
    static let alertColour = "#D55E00"
    /// Emotions in Okabe–Ito colours too; neutral is a light grey so the others stand out.
    static let emotionColours: [Emotion: String] = [.angry: "#D55E00", .disgust: "#009E73", .fear: "#CC79A7", .happy: "#F0E442",
                                                    .sad: "#0072B2", .surprise: "#56B4E9", .neutral: "#D9D9D9"]

    /// - Parameter mediaSource: the player's `src`, e.g. the recording's path relative to the page.
    public static func render(_ report: LessonReport, mediaSource: String) -> String {
        let duration = max(report.talkMetrics.durationSeconds, report.turns.last?.end ?? 0, 1)
        let speakers = report.speakers.sorted { ($0.role == .teacher ? 0 : 1, $0.id) < ($1.role == .teacher ? 0 : 1, $1.id) }
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
        svg text{font-size:12px;fill:#333}.lane-label{font-weight:600}
        table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:4px 8px;border-bottom:1px solid #e3e3e3}
        button.seek{font:inherit;background:none;border:0;color:#0b57d0;cursor:pointer;padding:0;text-decoration:underline}
        .figures{display:grid;grid-template-columns:repeat(auto-fit,minmax(180px,1fr));gap:8px}
        .figure{background:#f5f5f7;border-radius:6px;padding:8px}.figure b{display:block;font-size:1.3em}
        .flag{padding:6px 10px;border-radius:6px;border-left:6px solid}.flag-ok{border-color:#009E73;background:#e8f6f1}
        .flag-review{border-color:#E69F00;background:#fdf4e3}.flag-alert{border-color:#D55E00;background:#fbe9e1}
        </style></head><body>
        <h1>\(escape(report.input.file))</h1>
        <p class="meta">\(formatDuration(duration)) · \(report.speakers.count) speakers · \(report.incidents.count) incidents · analysed \(escape(report.generatedAt)) by EdControl \(escape(report.lineage.softwareVersion))</p>
        <p class="flag flag-\(report.summary.flag.rawValue)"><b>\(report.summary.flag.rawValue.uppercased())</b> — \(escape(report.summary.reason))</p>
        <\(isVideo ? "video" : "audio") id="player" class="player" controls preload="metadata" src="\(escape(mediaSource))"></\(isVideo ? "video" : "audio")>
        <h2>Timeline</h2>
        \(timeline(report, speakers: speakers, duration: duration))
        <h2>Incidents</h2>
        """
        if report.incidents.isEmpty {
            html += "<p>No incidents.</p>\n"
        } else {
            html += "<table><thead><tr><th>When</th><th>Who</th><th>How</th><th>Length</th><th>Intensity (peak / mean)</th><th>Evidence</th></tr></thead><tbody>\n"
            for incident in report.incidents {
                html += "<tr><td><button class=\"seek\" data-t=\"\(incident.start)\">\(formatClock(incident.start))</button></td>"
                    + "<td>\(escape(incident.person)) (\(incident.role.rawValue))</td><td>\(incident.modality.rawValue)</td>"
                    + String(format: "<td>%.1f s</td><td>%.2f / %.2f</td>", incident.end - incident.start, incident.peakIntensity, incident.meanIntensity)
                    + "<td>\(escape(incident.evidence.joined(separator: "; ")))</td></tr>\n"
            }
            html += "</tbody></table>\n"
        }
        html += """
        <h2>Talk time</h2>
        <div class="figures">
        \(figure("Teacher talk", String(format: "%.0f %%", m.teacherTalkPercent)))
        \(figure("Student talk", String(format: "%.0f %%", m.studentTalkPercent)))
        \(figure("Silence", String(format: "%.0f %%", m.silencePercent)))
        \(figure("Turns", "\(m.turnCount)"))
        \(figure("Longest teacher monologue", formatClock(m.longestTeacherMonologueSeconds)))
        \(figure("Mean student turn", String(format: "%.1f s", m.meanStudentTurnSeconds)))
        \(figure("Teacher→student exchanges", String(format: "%.1f / min", m.teacherToStudentExchangesPerMinute)))
        \(figure("Mean wait for an answer", String(format: "%.1f s", m.meanWaitAfterTeacherSeconds)))
        </div>
        \(talkBars(speakers, duration: duration))
        <h2>Emotions by role</h2>
        \(emotionBars(report))
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
        const player = document.getElementById('player');
        function seek(t) { player.currentTime = t; player.play && player.play().catch(() => {}); }
        document.querySelectorAll('[data-t]').forEach(el => el.addEventListener('click', () => seek(parseFloat(el.dataset.t))));
        const timeline = document.getElementById('timeline'), head = document.getElementById('playhead');
        const x0 = \(laneLabelWidth), width = \(plotWidth), duration = \(duration);
        timeline.addEventListener('click', e => {
          const box = timeline.getBoundingClientRect(), x = (e.clientX - box.left) * \(timelineWidth) / box.width;
          if (x >= x0) seek((x - x0) / width * duration);
        });
        player.addEventListener('timeupdate', () => {
          const x = x0 + player.currentTime / duration * width;
          head.setAttribute('x1', x); head.setAttribute('x2', x);
        });
        </script>
        </body></html>

        """
        return html
    }

    static let timelineWidth = 1000
    static let laneLabelWidth = 130
    /// Room right of the plot for the last axis label.
    static let plotWidth = timelineWidth - laneLabelWidth - 24
    static let laneHeight = 26

    private static func timeline(_ report: LessonReport, speakers: [Speaker], duration: Double) -> String {
        let width = Double(plotWidth)
        func x(_ t: Double) -> Double { Double(laneLabelWidth) + t / duration * width }
        let faces = report.video.tracks
        let lanes = speakers.count + faces.count + 1
        let height = lanes * laneHeight + 24 + (faces.isEmpty ? 0 : 22)
        var svg = "<svg id=\"timeline\" viewBox=\"0 0 \(timelineWidth) \(height)\" width=\"100%\" role=\"img\" aria-label=\"Timeline of speakers and incidents; click to seek\" style=\"cursor:pointer\">\n"
        for (lane, speaker) in speakers.enumerated() {
            let y = lane * laneHeight
            let colour = palette[lane % palette.count]
            svg += "<text class=\"lane-label\" x=\"0\" y=\"\(y + 17)\">\(escape(speaker.id)) \(speaker.role.rawValue)</text>\n"
            for turn in report.turns where turn.speaker == speaker.id {
                svg += String(format: "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%@\"><title>%@–%@</title></rect>\n",
                              x(turn.start), y + 4, max(0.5, x(turn.end) - x(turn.start)), laneHeight - 8, colour,
                              formatClock(turn.start), formatClock(turn.end))
            }
        }
        // Faces: each bin's mean emotion probabilities, stacked; no bar where no face was seen.
        let binSeconds = max(1, Int((duration / (width / 2)).rounded(.up)))
        for (index, track) in faces.enumerated() {
            let y = (speakers.count + index) * laneHeight
            let who = track.speaker.map { "\(track.id) \(track.role.rawValue) (\($0))" } ?? "\(track.id) face"
            svg += "<text class=\"lane-label\" x=\"0\" y=\"\(y + 17)\">\(escape(who))</text>\n"
            var bins: [Int: [EmotionProbabilities]] = [:]
            for second in track.timeline { if let emotions = second.emotions { bins[second.t / binSeconds, default: []].append(emotions) } }
            for (bin, values) in bins.sorted(by: { $0.key < $1.key }) {
                var top = Double(y + 4)
                let barHeight = Double(laneHeight - 8)
                for (k, emotion) in Emotion.allCases.enumerated() {
                    let share = values.reduce(0) { $0 + $1.values[k] } / Double(values.count)
                    guard share > 0.01 else { continue }
                    svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%@\"/>",
                                  x(Double(bin * binSeconds)), top, max(0.5, x(Double((bin + 1) * binSeconds)) - x(Double(bin * binSeconds))),
                                  share * barHeight, emotionColours[emotion]!)
                    top += share * barHeight
                }
            }
            svg += "\n"
        }
        let alertY = (speakers.count + faces.count) * laneHeight
        svg += "<text class=\"lane-label\" x=\"0\" y=\"\(alertY + 17)\">incidents</text>\n"
        for incident in report.incidents {
            svg += String(format: "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%@\" fill-opacity=\"%.2f\"><title>%@ %@, intensity %.2f</title></rect>\n",
                          x(incident.start), alertY + 4, max(3, x(incident.end) - x(incident.start)), laneHeight - 8,
                          alertColour, 0.4 + 0.6 * incident.peakIntensity, escape(incident.person), incident.modality.rawValue, incident.peakIntensity)
        }
        // Axis: about eight ticks at a round step.
        let step = [10.0, 30, 60, 120, 300, 600, 900, 1800].first { duration / $0 <= 10 } ?? 3600
        let axisY = lanes * laneHeight + 4
        svg += "<line x1=\"\(laneLabelWidth)\" y1=\"\(axisY)\" x2=\"\(laneLabelWidth + plotWidth)\" y2=\"\(axisY)\" stroke=\"#999\"/>\n"
        for tick in stride(from: 0.0, through: duration, by: step) {
            svg += String(format: "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%@</text>\n", x(tick), axisY + 16, formatClock(tick))
        }
        svg += "<line id=\"playhead\" x1=\"\(laneLabelWidth)\" y1=\"0\" x2=\"\(laneLabelWidth)\" y2=\"\(axisY)\" stroke=\"#000\" stroke-width=\"2\"/>\n"
        if !faces.isEmpty { svg += emotionLegend(y: axisY + 24) }
        return svg + "</svg>"
    }

    private static func emotionLegend(y: Int) -> String {
        Emotion.allCases.enumerated().map { k, emotion in
            let x = laneLabelWidth + k * 110
            return "<rect x=\"\(x)\" y=\"\(y)\" width=\"12\" height=\"12\" fill=\"\(emotionColours[emotion]!)\" stroke=\"#999\"/><text x=\"\(x + 16)\" y=\"\(y + 11)\">\(emotion.rawValue)</text>"
        }.joined() + "\n"
    }

    /// For each role with faces, the share of its face-seconds in each emotion, as one stacked bar.
    private static func emotionBars(_ report: LessonReport) -> String {
        let roles = report.summary.roles.filter { $0.faceSeconds > 0 }
        guard !roles.isEmpty else {
            return "<p>\(report.video.analysed ? "No faces were found in the video." : escape(report.video.note ?? "No video."))</p>"
        }
        let barWidth = Double(plotWidth), rowHeight = 26
        var svg = "<svg viewBox=\"0 0 \(timelineWidth) \(roles.count * rowHeight + 30)\" width=\"100%\" role=\"img\" aria-label=\"Share of time in each emotion, per role\">\n"
        for (row, figures) in roles.enumerated() {
            let y = row * rowHeight
            svg += "<text class=\"lane-label\" x=\"0\" y=\"\(y + 17)\">\(figures.role.rawValue) (\(formatClock(Double(figures.faceSeconds))))</text>\n"
            var left = Double(laneLabelWidth)
            for emotion in Emotion.allCases {
                let share = figures.emotionShares[emotion.rawValue] ?? 0
                guard share > 0 else { continue }
                svg += String(format: "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"18\" fill=\"%@\"><title>%@ %.0f %%</title></rect>",
                              left, y + 4, share * barWidth, emotionColours[emotion]!, emotion.rawValue, share * 100)
                if share >= 0.08 {
                    svg += String(format: "<text x=\"%.1f\" y=\"%d\">%@ %.0f%%</text>", left + 4, y + 17, emotion.rawValue, share * 100)
                }
                left += share * barWidth
            }
            svg += "\n"
        }
        return svg + emotionLegend(y: roles.count * rowHeight + 8) + "</svg>"
    }

    /// Each speaker's talk time as a labelled bar, in minutes.
    private static func talkBars(_ speakers: [Speaker], duration: Double) -> String {
        let barWidth = 600.0, rowHeight = 24
        let longest = max(speakers.map(\.talkSeconds).max() ?? 1, 1)
        var svg = "<svg viewBox=\"0 0 \(timelineWidth) \(speakers.count * rowHeight + 8)\" width=\"100%\" role=\"img\" aria-label=\"Talk time per speaker, minutes\">\n"
        for (row, speaker) in speakers.enumerated() {
            let y = row * rowHeight
            let length = speaker.talkSeconds / longest * barWidth
            svg += "<text x=\"0\" y=\"\(y + 16)\">\(escape(speaker.id)) \(speaker.role.rawValue)</text>\n"
            svg += String(format: "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"16\" fill=\"%@\"/>\n", laneLabelWidth, y + 4, length, palette[row % palette.count])
            svg += String(format: "<text x=\"%.1f\" y=\"%d\">%.1f min (%.0f %% of the lesson)</text>\n",
                          Double(laneLabelWidth) + length + 6, y + 16, speaker.talkSeconds / 60, 100 * speaker.talkSeconds / duration)
        }
        return svg + "</svg>"
    }

    private static func figure(_ label: String, _ value: String) -> String {
        "<div class=\"figure\">\(escape(label))<b>\(escape(value))</b></div>"
    }

    static func formatClock(_ seconds: Double) -> String {
        let total = Int(seconds.rounded(.down))
        return total >= 3600 ? String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
                             : String(format: "%d:%02d", total / 60, total % 60)
    }

    private static func formatDuration(_ seconds: Double) -> String { "\(formatClock(seconds)) long" }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
