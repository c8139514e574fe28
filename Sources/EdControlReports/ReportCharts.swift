import EdControlEngine
import Foundation

/// The words charts print, so the same charts serve English report files and the
/// dashboard in either of its languages.
public struct ChartWords: Sendable {
    public var emotions: [Emotion: String]
    public var roles: [SpeakerRole: String]
    public var modalities: [Incident.Modality: String]
    public var incidents: String
    public var face: String
    /// "%@ min (%@ %% of the lesson)", the numbers already formatted.
    public var talkBarLabel: String
    public var timelineDescription: String
    public var talkDescription: String
    public var emotionDescription: String
    /// The part of an emotion bar in which nothing stood out from the face's usual expression.
    public var usualExpression: String
    public var intensity: String
    /// A number with so many decimals, in the language's format ("1.5" or "1,5").
    public var number: @Sendable (Double, Int) -> String
    /// "2 faces", with the language's plural.
    public var faceCount: @Sendable (Int) -> String
    /// Names to show for speakers instead of "S1 teacher" (the lesson's teacher, by name).
    public var speakerNames: [String: String] = [:]

    /// How a speaker is labelled.
    func speaker(_ speaker: Speaker) -> String { speakerNames[speaker.id] ?? "\(speaker.id) \(roles[speaker.role] ?? "")" }

    public init(emotions: [Emotion: String], roles: [SpeakerRole: String], modalities: [Incident.Modality: String], incidents: String,
                face: String, talkBarLabel: String, timelineDescription: String, talkDescription: String, emotionDescription: String,
                usualExpression: String, intensity: String, number: @escaping @Sendable (Double, Int) -> String, faceCount: @escaping @Sendable (Int) -> String) {
        self.emotions = emotions
        self.roles = roles
        self.modalities = modalities
        self.incidents = incidents
        self.face = face
        self.talkBarLabel = talkBarLabel
        self.timelineDescription = timelineDescription
        self.talkDescription = talkDescription
        self.emotionDescription = emotionDescription
        self.usualExpression = usualExpression
        self.intensity = intensity
        self.number = number
        self.faceCount = faceCount
    }

    /// What an incident's evidence is, from its findings ("voice + words"); reports without
    /// findings name their modality.
    public func modality(of incident: Incident) -> String {
        let kinds: [Incident.Modality] = incident.findings.map {
            switch $0.kind {
            case .raisedVoice: .voice
            case .negativeFace: .face
            case .verbal: .words
            }
        }
        let named = [Incident.Modality.voice, .face, .words].filter(kinds.contains).compactMap { modalities[$0] }
        return named.isEmpty ? modalities[incident.modality] ?? incident.modality.rawValue : named.joined(separator: " + ")
    }

    public static let english = ChartWords(
        emotions: Dictionary(uniqueKeysWithValues: Emotion.allCases.map { ($0, $0.rawValue) }),
        roles: [.teacher: "teacher", .student: "student", .unknown: "unknown"],
        modalities: [.voice: "voice", .face: "face", .words: "words", .both: "voice and face"],
        incidents: "incidents", face: "face", talkBarLabel: "%@ min (%@ %% of the lesson)",
        timelineDescription: "Timeline of speakers, faces' emotions and incidents; click to seek",
        talkDescription: "Talk time per speaker, minutes", emotionDescription: "Share of face time in which each expression stood out from the face's usual one, per role",
        usualExpression: "as usual", intensity: "intensity", number: { String(format: "%.\($1)f", $0) }, faceCount: { $0 == 1 ? "1 face" : "\($0) faces" })
}

/// Where a chart's parts go. Charts are drawn in user units and scaled to the width they
/// get, so a 1000-unit chart on a 390 px phone would print its 12-unit text at 5 px: phones
/// get a narrow layout of their own instead.
public struct ChartLayout: Sendable {
    public var width: Int
    /// The narrowest label column of a wide chart, and the widest (longer labels take two lines).
    var labelColumn: ClosedRange<Int> = 150...300
    var isNarrow: Bool { width < 600 }
    /// Keeps the two layouts' element ids apart on one page.
    var idSuffix: String { isNarrow ? "-narrow" : "" }
    var classSuffix: String { isNarrow ? " narrow" : " wide" }

    /// Screens and printed reports.
    public static let wide = ChartLayout(width: 1000)
    /// Phones: a little fewer units than a phone's content has pixels, so 12-unit text shows
    /// at 12 px or more (a 390-px phone gives a chart about 340 px).
    public static let narrow = ChartLayout(width: 320)
}

/// Where a chart's lanes and their labels go. A wide chart keeps a label column left of the
/// plot, as wide as its longest label needs within `ChartLayout.labelColumn` (a longer label
/// takes two lines); a narrow chart puts each label on a line of its own above its lane. So
/// a name is shown whole, not cut to "Anna Petrov…".
struct Lanes {
    /// Bold 12-px text takes up to 8 units a character, in Cyrillic too.
    static let unitsPerCharacter = 8
    /// The height a label line above a narrow chart's lane takes.
    static let labelLineHeight = 15

    let layout: ChartLayout
    /// Each label, as the lines it is shown in.
    let labels: [[String]]
    let plotLeft: Int
    /// The band of one lane (its bar and the room around it), without a label line above it.
    let laneHeight: Int

    init(_ labels: [String], layout: ChartLayout, laneHeight: Int) {
        self.layout = layout
        if layout.isNarrow {
            // Room left of the plot for half of the first axis label ("0:00").
            plotLeft = 16
            self.labels = labels.map { [$0] }
            self.laneHeight = laneHeight
        } else {
            let needed = (labels.map(\.count).max() ?? 0) * Self.unitsPerCharacter + 10
            plotLeft = min(max(needed, layout.labelColumn.lowerBound), layout.labelColumn.upperBound)
            let perLine = (plotLeft - 10) / Self.unitsPerCharacter
            self.labels = labels.map { Self.lines($0, perLine: perLine) }
            self.laneHeight = self.labels.contains { $0.count > 1 } ? laneHeight + 12 : laneHeight
        }
    }

    /// Room right of the plot for the last axis label.
    var plotWidth: Int { layout.width - plotLeft - 24 }
    var rowHeight: Int { laneHeight + (layout.isNarrow ? Self.labelLineHeight : 0) }
    /// The top of a lane's band.
    func top(_ row: Int) -> Int { row * rowHeight + (layout.isNarrow ? Self.labelLineHeight : 0) }
    /// The middle of a lane's band.
    func middle(_ row: Int) -> Int { top(row) + laneHeight / 2 }

    /// The lane's label: above it on a narrow chart, left of it on a wide one.
    func label(_ row: Int) -> String {
        let lines = labels[row]
        if layout.isNarrow {
            return "<text class=\"lane-label\" x=\"0\" y=\"\(row * rowHeight + 12)\">\(ReportCharts.escape(lines[0]))</text>\n"
        }
        let first = middle(row) + 4 - (lines.count - 1) * 6
        let spans = lines.enumerated().map { k, line in
            "<tspan x=\"0\" y=\"\(first + k * 13)\">\(ReportCharts.escape(line))</tspan>"
        }
        return "<text class=\"lane-label\">\(spans.joined())</text>\n"
    }

    /// `text` in lines of at most `perLine` characters, broken between words; two at most
    /// (a longer label is shortened, with its end as "…").
    static func lines(_ text: String, perLine: Int) -> [String] {
        guard text.count > perLine else { return [text] }
        var lines: [String] = [], line = ""
        for word in text.split(separator: " ") {
            if line.isEmpty { line = String(word) } else if line.count + 1 + word.count <= perLine { line += " " + word } else {
                lines.append(line)
                line = String(word)
            }
        }
        lines.append(line)
        guard lines.count > 2 || lines.contains(where: { $0.count > perLine }) else { return lines }
        let rest = lines.dropFirst().joined(separator: " ")
        return [String(lines[0].prefix(perLine)), rest.count <= perLine ? rest : String(rest.prefix(perLine - 1)) + "…"]
    }
}

/// SVG charts of one lesson's report, drawn on the server so they read without script:
/// the timeline (speaker lanes, stacked emotion lanes per face, incident markers, a time
/// axis and a playhead), talk time per speaker, and emotions per role. Hand-written
/// because no Swift package draws SVG charts; each is a few dozen lines of geometry.
public enum ReportCharts {
    /// Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
    public static let palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
    public static let alertColour = "#D55E00"
    /// Emotions in Okabe–Ito colours too; neutral is a light grey so the others stand out.
    public static let emotionColours: [Emotion: String] = [.angry: "#D55E00", .disgust: "#009E73", .fear: "#CC79A7", .happy: "#F0E442",
                                                           .sad: "#0072B2", .surprise: "#56B4E9", .neutral: "#D9D9D9"]
    /// The part of an emotion bar in which no expression stood out from the face's usual one.
    static let usualColour = "#FFFFFF"
    /// Speech in the timeline's and the talk chart's speaker lanes: one dark slate, never an
    /// emotion's colour (the lanes sit above the emotion legend), and each lane is labelled.
    public static let speechColour = "#3B4A5C"

    static let laneHeight = 26

    /// The lesson's length as the charts draw it.
    public static func duration(of report: LessonReport) -> Double {
        max(report.talkMetrics.durationSeconds, report.turns.last?.end ?? 0, 1)
    }

    /// Teacher first, then the others by id.
    public static func speakersInOrder(_ report: LessonReport) -> [Speaker] {
        report.speakers.sorted { ($0.role == .teacher ? 0 : 1, $0.id) < ($1.role == .teacher ? 0 : 1, $1.id) }
    }

    /// The timeline. Its `data-` attributes tell a script where the plot is, so a click can
    /// seek the player and the playhead (`.playhead`) can follow it.
    public static func timeline(_ report: LessonReport, words: ChartWords = .english, layout: ChartLayout = .wide) -> String {
        let duration = duration(of: report)
        let speakers = speakersInOrder(report)
        let faces = report.video.tracks
        let faceLabels = faces.map { track in
            track.speaker.map { "\(track.id) \(words.roles[track.role] ?? "") (\($0))" } ?? "\(track.id) \(words.face)"
        }
        let lanes = Lanes(speakers.map(words.speaker) + faceLabels + [words.incidents], layout: layout, laneHeight: laneHeight)
        let plotLeft = lanes.plotLeft, width = Double(lanes.plotWidth)
        func x(_ t: Double) -> Double { Double(plotLeft) + t / duration * width }
        let axisY = lanes.top(speakers.count + faces.count + 1) + 4 - (layout.isNarrow ? Lanes.labelLineHeight : 0)
        let legend = faces.isEmpty ? nil : emotionLegend(y: axisY + 26, words: words, layout: layout, left: plotLeft)
        let height = axisY + 24 + (legend.map { $0.height + 4 } ?? 0)
        var svg = "<svg id=\"timeline\(layout.idSuffix)\" class=\"timeline\(layout.classSuffix)\" viewBox=\"0 0 \(layout.width) \(height)\" width=\"100%\" role=\"img\" "
            + "aria-label=\"\(escape(words.timelineDescription))\" data-x0=\"\(plotLeft)\" data-plot-width=\"\(lanes.plotWidth)\" "
            + "data-view-width=\"\(layout.width)\" data-duration=\"\(duration)\">\n"
        let barHeight = laneHeight - 8
        for (lane, speaker) in speakers.enumerated() {
            let y = lanes.middle(lane) - barHeight / 2
            svg += lanes.label(lane)
            // Turns closer than a unit of width apart look as one bar, and are drawn as one:
            // a 3-hour lesson's lanes shrink to a fraction of their shapes.
            var bars: [TimeSpan] = []
            for turn in report.turns where turn.speaker == speaker.id {
                if let last = bars.last, x(turn.start) - x(last.end) < 1 {
                    bars[bars.count - 1].end = max(last.end, turn.end)
                } else {
                    bars.append(turn.span)
                }
            }
            for bar in bars {
                svg += "<rect x=\"\(c(x(bar.start)))\" y=\"\(y)\" width=\"\(c(max(0.5, x(bar.end) - x(bar.start))))\" height=\"\(barHeight)\" "
                    + "fill=\"\(speechColour)\"><title>\(ClockTime.format(bar.start))–\(ClockTime.format(bar.end))</title></rect>"
            }
            svg += "\n"
        }
        // Faces: each bin's mean emotion probabilities, stacked; no bar where no face was seen.
        let binSeconds = emotionBinSeconds(duration, plotWidth: lanes.plotWidth)
        for (index, track) in faces.enumerated() {
            let lane = speakers.count + index
            svg += lanes.label(lane)
            for (bin, emotions) in meanEmotions(track.timeline, binSeconds: binSeconds) {
                var top = Double(lanes.middle(lane) - barHeight / 2)
                let left = x(Double(bin * binSeconds)), right = x(Double((bin + 1) * binSeconds))
                for (k, emotion) in Emotion.allCases.enumerated() {
                    let share = emotions.values[k]
                    guard share > 0.01 else { continue }
                    svg += "<rect x=\"\(c(left))\" y=\"\(c(top))\" width=\"\(c(max(0.5, right - left)))\" height=\"\(c(share * Double(barHeight)))\" fill=\"\(emotionColours[emotion]!)\"/>"
                    top += share * Double(barHeight)
                }
            }
            svg += "\n"
        }
        let alertLane = speakers.count + faces.count
        svg += lanes.label(alertLane)
        for (index, incident) in report.incidents.enumerated() {
            svg += "<rect class=\"incident-mark\" data-incident=\"\(index)\" x=\"\(c(x(incident.start)))\" y=\"\(lanes.middle(alertLane) - barHeight / 2)\" "
                + "width=\"\(c(max(3, x(incident.end) - x(incident.start))))\" height=\"\(barHeight)\" fill=\"\(alertColour)\" "
                + "fill-opacity=\"\(c(0.4 + 0.6 * incident.peakIntensity))\">"
                + "<title>\(ClockTime.format(incident.start)) \(escape(incident.person)) — \(escape(words.modality(of: incident))), "
                + "\(escape(words.intensity)) \(words.number(incident.peakIntensity, 2))</title></rect>"
        }
        svg += "\n" + timeAxis(duration: duration, y: axisY, x: x, lanes: lanes)
        svg += "<line class=\"playhead\" x1=\"\(plotLeft)\" y1=\"0\" x2=\"\(plotLeft)\" y2=\"\(axisY)\" stroke=\"#000\" stroke-width=\"2\"/>\n"
        if let legend { svg += legend.svg }
        return svg + "</svg>"
    }

    /// Seconds per column of the faces' lanes: about one column per two units of plot width
    /// (a wide chart's, when not given).
    static func emotionBinSeconds(_ duration: Double, plotWidth: Int = Lanes([], layout: .wide, laneHeight: laneHeight).plotWidth) -> Int {
        max(1, Int((duration / (Double(plotWidth) / 2)).rounded(.up)))
    }

    /// Per bin of `binSeconds` with any face seen, the mean emotion probabilities, in order.
    static func meanEmotions(_ timeline: [FaceSecond], binSeconds: Int) -> [(bin: Int, emotions: EmotionProbabilities)] {
        var bins: [Int: (sums: [Double], count: Int)] = [:]
        for second in timeline {
            guard let emotions = second.emotions else { continue }
            var bin = bins[second.t / binSeconds] ?? (Array(repeating: 0, count: Emotion.allCases.count), 0)
            for k in bin.sums.indices { bin.sums[k] += emotions.values[k] }
            bin.count += 1
            bins[second.t / binSeconds] = bin
        }
        return bins.sorted { $0.key < $1.key }.map { bin, total in
            (bin, EmotionProbabilities(total.sums.map { $0 / Double(total.count) }))
        }
    }

    /// A line with labelled ticks at a round step (m:ss or h:mm:ss): at most ten on a wide
    /// chart, four on a narrow one.
    private static func timeAxis(duration: Double, y: Int, x: (Double) -> Double, lanes: Lanes) -> String {
        let ticks = lanes.layout.isNarrow ? 4.0 : 10
        let step = [10.0, 30, 60, 120, 300, 600, 900, 1800, 3600].first { duration / $0 <= ticks } ?? 7200
        var svg = "<line x1=\"\(lanes.plotLeft)\" y1=\"\(y)\" x2=\"\(lanes.plotLeft + lanes.plotWidth)\" y2=\"\(y)\" stroke=\"#999\"/>\n"
        for tick in stride(from: 0.0, through: duration, by: step) {
            svg += String(format: "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#999\"/><text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%@</text>",
                          x(tick), y, x(tick), y + 4, x(tick), y + 17, ClockTime.format(tick))
        }
        return svg + "\n"
    }

    /// The emotions' colours (with `withUsual`, also the "as usual" part of the emotion
    /// bars), as many to a row as fit from `left`, or from the edge on a narrow chart; its height.
    private static func emotionLegend(y: Int, words: ChartWords, layout: ChartLayout, left: Int, withUsual: Bool = false) -> (svg: String, height: Int) {
        let itemWidth = 112, left = layout.isNarrow ? 0 : left
        let perRow = max(1, (layout.width - left) / itemWidth)
        let items = Emotion.allCases.map { (words.emotions[$0] ?? "", emotionColours[$0]!) } + (withUsual ? [(words.usualExpression, usualColour)] : [])
        let svg = items.enumerated().map { k, item in
            let x = left + k % perRow * itemWidth, top = y + k / perRow * 18
            return "<rect x=\"\(x)\" y=\"\(top)\" width=\"12\" height=\"12\" fill=\"\(item.1)\" stroke=\"#767676\"/>"
                + "<text x=\"\(x + 16)\" y=\"\(top + 11)\">\(escape(item.0))</text>"
        }.joined() + "\n"
        return (svg, (items.count + perRow - 1) / perRow * 18)
    }

    /// The class of text drawn on a bar of `background`: "on-dark" (white) where white has
    /// the higher contrast (WCAG 2 relative luminance), else "on-light" (black). A class, not
    /// a fill, because the pages' style sheet sets chart text's colour.
    static func textClass(on background: String) -> String {
        let luminance = relativeLuminance(background)
        return (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) ? "on-light" : "on-dark"
    }

    /// WCAG 2 relative luminance of a "#RRGGBB" colour.
    static func relativeLuminance(_ hex: String) -> Double {
        let value = Int(hex.dropFirst(), radix: 16) ?? 0
        let channels: [Double] = [16, 8, 0].map { shift in
            let level = Double((value >> shift) & 0xFF) / 255
            return level <= 0.04045 ? level / 12.92 : pow((level + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
    }

    /// For each role with faces, the share of its face time in which each expression stood
    /// out from that face's own usual one (`ExpressionChanges`), and the rest as "as usual",
    /// as one stacked bar; nil when no face was seen.
    public static func emotionBars(_ report: LessonReport, words: ChartWords = .english, layout: ChartLayout = .wide) -> String? {
        let roles = report.summary.roles.filter { $0.faceSeconds > 0 }.map(\.role)
        guard !roles.isEmpty else { return nil }
        // A role's faces are pooled: say how many, not their summed time (which can pass the lesson's length).
        let labels = roles.map { role in
            let faces = report.video.tracks.filter { $0.role == role }.count, name = words.roles[role] ?? ""
            return faces > 1 ? "\(name) (\(words.faceCount(faces)))" : name
        }
        let lanes = Lanes(labels, layout: layout, laneHeight: 26)
        let barWidth = Double(lanes.plotWidth)
        let legend = emotionLegend(y: lanes.top(roles.count) + 8, words: words, layout: layout, left: lanes.plotLeft, withUsual: true)
        var svg = "<svg class=\"chart\(layout.classSuffix)\" viewBox=\"0 0 \(layout.width) \(lanes.top(roles.count) + 12 + legend.height)\" width=\"100%\" role=\"img\" aria-label=\"\(escape(words.emotionDescription))\">\n"
        for (row, role) in roles.enumerated() {
            let y = lanes.middle(row) - 9
            svg += lanes.label(row)
            let changes = report.expressionChanges(of: role)
            let parts = Emotion.allCases.map { (words.emotions[$0] ?? "", changes.share($0), emotionColours[$0]!) }
                + [(words.usualExpression, changes.usualShare, usualColour)]
            var left = Double(lanes.plotLeft)
            for (label, share, colour) in parts where share > 0 {
                let percent = Int((share * 100).rounded())
                // The white "as usual" part is outlined so that it reads as part of the bar.
                svg += String(format: "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"18\" fill=\"%@\"%@><title>%@ %d %%</title></rect>",
                              left, y, share * barWidth, colour, colour == usualColour ? " stroke=\"#767676\"" : "", escape(label), percent)
                // Named inside the bar when the name fits there, in black or white, whichever reads better on the colour.
                let text = "\(label) \(percent)%"
                if share * barWidth >= Double(text.count * 7 + 8) {
                    svg += String(format: "<text x=\"%.1f\" y=\"%d\" class=\"%@\">%@</text>", left + 4, y + 13, textClass(on: colour), escape(text))
                }
                left += share * barWidth
            }
            svg += "\n"
        }
        return svg + legend.svg + "</svg>"
    }

    /// Each speaker's talk time as a labelled bar, in minutes.
    public static func talkBars(_ report: LessonReport, words: ChartWords = .english, layout: ChartLayout = .wide) -> String {
        let speakers = speakersInOrder(report)
        let duration = duration(of: report)
        let lanes = Lanes(speakers.map(words.speaker), layout: layout, laneHeight: 24)
        // The bar's figure goes right of the longest bar.
        let barWidth = Double(lanes.plotWidth + 24) - 205
        let longest = max(speakers.map(\.talkSeconds).max() ?? 1, 1)
        var svg = "<svg class=\"chart\(layout.classSuffix)\" viewBox=\"0 0 \(layout.width) \(lanes.top(speakers.count) + 8)\" width=\"100%\" role=\"img\" aria-label=\"\(escape(words.talkDescription))\">\n"
        for (row, speaker) in speakers.enumerated() {
            let y = lanes.middle(row) - 8
            let length = speaker.talkSeconds / longest * barWidth
            svg += lanes.label(row)
            svg += String(format: "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"16\" fill=\"%@\"/>\n", lanes.plotLeft, y, length, speechColour)
            let label = String(format: words.talkBarLabel, words.number(speaker.talkSeconds / 60, 1), words.number(100 * speaker.talkSeconds / duration, 0))
            svg += "<text x=\"\(c(Double(lanes.plotLeft) + length + 6))\" y=\"\(y + 12)\">\(escape(label))</text>\n"
        }
        return svg + "</svg>"
    }

    /// Joins the page's `#player` to its `#timeline`: a click on the timeline, or on any
    /// element with `data-seek="<seconds>"`, seeks (and plays); the playhead follows the
    /// player; with the timeline focused, the arrow keys step 10 s. Used inline by
    /// report.html and served to the dashboard, so both behave alike.
    public static let playerScript = """
        (function () {
          const player = document.getElementById('player');
          if (!player) return;
          function seek(t) {
            player.currentTime = Math.max(0, t);
            const playing = player.play && player.play();
            if (playing) playing.catch(() => {});
          }
          document.querySelectorAll('[data-seek]').forEach(el => el.addEventListener('click', e => {
            e.preventDefault();
            seek(parseFloat(el.dataset.seek));
          }));
          // A link to a moment (?t=83, from a search result or the review queue) starts the
          // player there and plays, if the browser lets a page play by itself.
          const start = parseFloat(new URLSearchParams(location.search).get('t'));
          if (start >= 0) {
            if (player.readyState >= 1) seek(start);
            else player.addEventListener('loadedmetadata', () => seek(start), {once: true});
          }
          // The transcript follows playback: the line being said is marked and scrolled into
          // its list's view (the list scrolls, not the page).
          const lines = Array.from(document.querySelectorAll('[data-cue-start]'));
          let current = null;
          if (lines.length) player.addEventListener('timeupdate', () => {
            const t = player.currentTime;
            const line = lines.find(l => +l.dataset.cueStart <= t && t < +l.dataset.cueEnd) || null;
            if (line === current) return;
            if (current) current.classList.remove('current');
            current = line;
            if (!line) return;
            line.classList.add('current');
            const list = line.parentElement;
            if (line.offsetTop < list.scrollTop || line.offsetTop > list.scrollTop + list.clientHeight - line.offsetHeight) {
              list.scrollTop = line.offsetTop - list.clientHeight / 3;
            }
          });
          // Each timeline (the dashboard has a wide and a narrow one, shown by screen width).
          document.querySelectorAll('svg[data-duration]').forEach(timeline => {
          const x0 = +timeline.dataset.x0, plot = +timeline.dataset.plotWidth, view = +timeline.dataset.viewWidth,
                duration = +timeline.dataset.duration, head = timeline.querySelector('.playhead');
          timeline.setAttribute('tabindex', '0');
          timeline.style.cursor = 'pointer';
          timeline.addEventListener('click', e => {
            const box = timeline.getBoundingClientRect(), x = (e.clientX - box.left) * view / box.width;
            if (x >= x0) seek(Math.min(duration, (x - x0) / plot * duration));
          });
          timeline.addEventListener('keydown', e => {
            if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
              e.preventDefault();
              seek(player.currentTime + (e.key === 'ArrowRight' ? 10 : -10));
            }
          });
          player.addEventListener('timeupdate', () => {
            const x = x0 + Math.min(player.currentTime, duration) / duration * plot;
            head.setAttribute('x1', x);
            head.setAttribute('x2', x);
          });
          });
        })();
        """

    /// A coordinate with one decimal. String(format:) costs microseconds a call on Linux, and
    /// a 3-hour timeline has some 10 000 shapes.
    static func c(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        let sign = tenths < 0 ? "-" : "", magnitude = abs(tenths)
        return magnitude % 10 == 0 ? "\(sign)\(magnitude / 10)" : "\(sign)\(magnitude / 10).\(magnitude % 10)"
    }


    public static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
