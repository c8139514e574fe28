import Foundation

/// The lesson's speakers and when each talks (turns of different speakers may overlap).
public struct Diarization: Sendable {
    public var turns: [SpeakerTurn]
    /// Each speaker's mean voice embedding, by speaker id.
    public var centroids: [String: [Float]]
    public var count: SpeakerCountEstimate
}

/// How many speakers were found and how sure that is.
public struct SpeakerCountEstimate: Codable, Sendable, Equatable {
    public var speakers: Int
    /// 0.5–1: how far the clustering's deciding step was from giving another count (1 when
    /// the count was given).
    public var confidence: Double
    /// In words, when the count is not sure.
    public var note: String?
}

/// Decides who speaks when: clusters the local speakers of all windows into the lesson's
/// speakers, then rebuilds each speaker's activity frame by frame from the windows that saw
/// it, with as many speakers at once as the segmentation heard (pyannote 3.1's reconstruction).
public struct Diarizer: Sendable {
    public struct Settings: Codable, Sendable, Hashable {
        /// Pauses shorter than this inside one speaker's talk do not end the turn (NIST's 0.3 s).
        public var pauseBridgeSeconds: Double = SpeakerTurn.pauseBridgeSeconds
        /// Turns shorter than this are dropped (a lone frame or two is not a turn).
        public var minimumTurnSeconds: Double = 0.1
        /// A speaker must talk at least this long, and this share of all talk, to be one; a
        /// cluster with less is a stray of another voice and is merged into the others.
        public var minimumSpeakerSeconds: Double = 0
        public var minimumSpeakerShare: Double = 0.01
        /// A cluster of at least `fragmentMembers` local speakers that hold on average less
        /// than `minimumFragmentShare` of the recording's average speech per local speaker is
        /// made of fragments (a word under someone else's talk, overlap, noise), not of a
        /// person's turns: it is a stray too. Measured on the train splits: count exact 2 → 8 of
        /// 12 real-voice lessons (mean DER 14.6 → 13.6 %) and 2 → 3 of 7 real meetings (24.8 →
        /// 25.6 %); without the 5-member floor the meetings lost real minor speakers (1 of 7).
        public var minimumFragmentShare: Double = 0.3
        public var fragmentMembers = 5
        /// A 1.6-s stretch of a local speaker goes to another speaker when it is this much more
        /// similar (cosine) to that speaker's mean voice than to its own speaker's. 0 (the
        /// nearest speaker) measured best: mean DER 25.2 % real / 1.7 % generated, against
        /// 25.6 % / 2.5 % at 0.1.
        public var switchSimilarityMargin: Float = 0
        public init() {}
    }

    public var clustering: SpeakerClustering
    public var settings: Settings

    public init(clustering: SpeakerClustering, settings: Settings = Settings()) {
        self.clustering = clustering
        self.settings = settings
    }

    /// - Parameters:
    ///   - totalSamples: the recording's length; frames past it (the last window's padding) are ignored.
    public func diarize(windows: [SegmentedWindow], localSpeakers: [LocalSpeaker], frames geometry: SegmentationFrames,
                        totalSamples: Int, bounds: SpeakerCountBounds) -> Diarization {
        let clusters = clustering.cluster(localSpeakers.map(\.embedding), weights: localSpeakers.map(\.speechSeconds),
                                          windows: localSpeakers.map(\.window), bounds: bounds)
        var centroids = MergingSpeakerClustering.centroids(of: localSpeakers.map(\.embedding), labels: clusters.labels)
        func rebuild() -> [(label: Int, start: Double, end: Double)] {
            reconstruct(windows: windows, global: attribute(localSpeakers, labels: clusters.labels, centroids: centroids, windowCount: windows.count),
                        speakerCount: centroids.count, geometry: geometry, totalSamples: totalSamples)
        }
        var activity = rebuild()
        // A stray cluster's local speakers go to the other speakers and the activity is rebuilt.
        let strays = strayClusters(activity: activity, count: centroids.count, localSpeakers: localSpeakers, labels: clusters.labels)
        if !strays.isEmpty, strays.count < centroids.count, bounds.minimum < centroids.count {
            for stray in strays.prefix(centroids.count - bounds.minimum) { centroids[stray] = [] }
            activity = rebuild()
        }
        var turns = activity.map { SpeakerTurn(start: $0.start, end: $0.end, speaker: String($0.label)) }
            .joiningPauses(shorterThan: settings.pauseBridgeSeconds, acrossOtherSpeakers: true)
            .filter { $0.duration >= settings.minimumTurnSeconds }
            .sorted { $0.start < $1.start }
        // Speakers are named S1, S2, … in order of their first turn.
        var names: [String: String] = [:]
        for turn in turns where names[turn.speaker] == nil { names[turn.speaker] = Self.speakerName(names.count) }
        for index in turns.indices { turns[index].speaker = names[turns[index].speaker]! }
        let found = names.count
        var note: String?
        if let alternative = clusters.alternativeCount.map({ found + $0 - (clusters.labels.max() ?? -1) - 1 }), alternative > 0 {
            note = "unsure: \(alternative) speaker\(alternative == 1 ? "" : "s") would be nearly as likely as \(found)"
        }
        return Diarization(turns: turns,
                           centroids: Dictionary(uniqueKeysWithValues: names.map { ($0.value, centroids[Int($0.key)!]) }),
                           count: SpeakerCountEstimate(speakers: found, confidence: clusters.countConfidence, note: note))
    }

    /// Clusters that are not a person: those with almost no talk of their own after the
    /// reconstruction (a stray of another voice), and those made of many fragments.
    private func strayClusters(activity: [(label: Int, start: Double, end: Double)], count: Int,
                               localSpeakers: [LocalSpeaker], labels: [Int]) -> [Int] {
        var talk = [Double](repeating: 0, count: count)
        for run in activity { talk[run.label] += run.end - run.start }
        let enough = max(settings.minimumSpeakerSeconds, settings.minimumSpeakerShare * talk.reduce(0, +))
        var speech = [Double](repeating: 0, count: count), members = [Int](repeating: 0, count: count)
        for (local, label) in zip(localSpeakers, labels) { speech[label] += local.speechSeconds; members[label] += 1 }
        let fragment = settings.minimumFragmentShare * speech.reduce(0, +) / Double(max(1, localSpeakers.count))
        return talk.indices.filter {
            talk[$0] < enough || (members[$0] >= settings.fragmentMembers && speech[$0] / Double(members[$0]) < fragment)
        }
    }

    /// Who a local speaker is, frame by frame: their global speaker, except where a stretch of
    /// their speech sounds clearly more like another speaker (the segmentation gave two voices
    /// one local speaker there).
    struct LocalAttribution {
        var speaker: Int
        var otherSpeakerAt: [Int: Int] = [:]
        func speaker(atFrame frame: Int) -> Int { otherSpeakerAt[frame] ?? speaker }
    }

    private func attribute(_ locals: [LocalSpeaker], labels: [Int], centroids: [[Float]], windowCount: Int) -> [[LocalAttribution?]] {
        let global = assignLocalSpeakers(locals, labels: labels, centroids: centroids, windowCount: windowCount)
        var attribution = global.map { $0.map { $0.map { LocalAttribution(speaker: $0) } } }
        for local in locals {
            guard let own = global[local.window][local.speaker] else { continue }
            // Each partial votes for its speaker over the frames it covers.
            var votes = [[Int: Int]](repeating: [:], count: local.frames.count)
            for partial in local.partials {
                let similarity = centroids.map { $0.isEmpty ? -2 : partial.embedding.dot($0) }
                let best = similarity.indices.max { similarity[$0] < similarity[$1] }!
                let choice = best != own && similarity[best] - similarity[own] > settings.switchSimilarityMargin ? best : own
                for position in partial.frames { votes[position][choice, default: 0] += 1 }
            }
            // Most votes; on a tie the own speaker, then the lower label (a dictionary's order
            // changes from run to run, and the report must not).
            var winners: [Int?] = votes.map { tally in
                tally.max { ($0.value, $0.key == own ? 1 : 0, -$0.key) < ($1.value, $1.key == own ? 1 : 0, -$1.key) }?.key
            }
            // The last partial is left out when it would be mostly padding: the frames no partial
            // covers take the verdict of the nearest covered frame before them (or after, at the start).
            for position in winners.indices.dropFirst() where winners[position] == nil { winners[position] = winners[position - 1] }
            for position in winners.indices.reversed().dropFirst() where winners[position] == nil { winners[position] = winners[position + 1] }
            for (position, winner) in winners.enumerated() where winner != nil && winner != own {
                attribution[local.window][local.speaker]?.otherSpeakerAt[local.frames[position]] = winner
            }
        }
        return attribution
    }

    /// The global speaker of each (window, local speaker): its cluster, unless two local
    /// speakers of one window fell into the same cluster or a cluster was removed; then the
    /// window's local speakers are paired with distinct speakers, the most similar pairing of
    /// the window as a whole (Hungarian), since two voices the segmentation told apart in one
    /// window are two people.
    private func assignLocalSpeakers(_ locals: [LocalSpeaker], labels: [Int], centroids: [[Float]], windowCount: Int) -> [[Int?]] {
        var global = [[Int?]](repeating: [Int?](repeating: nil, count: SegmentedWindow.localSpeakers), count: windowCount)
        for members in Dictionary(grouping: locals.indices, by: { locals[$0].window }).values {
            let own = members.map { labels[$0] }
            if Set(own).count == own.count, own.allSatisfy({ !centroids[$0].isEmpty }) {
                for (member, label) in zip(members, own) { global[locals[member].window][locals[member].speaker] = label }
                continue
            }
            // Removed speakers (empty centroids) take no one.
            let similarity = members.map { member in centroids.map { $0.isEmpty ? 0 : Double(locals[member].embedding.dot($0)) + 2 } }
            for (row, column) in Assignment.maximumWeight(similarity) where row < members.count && column < centroids.count && !centroids[column].isEmpty {
                global[locals[members[row]].window][locals[members[row]].speaker] = column
            }
        }
        return global
    }

    /// Each speaker's activity on the frame grid, averaged over the windows that see each frame;
    /// in every frame the `n` most active speakers talk, `n` being the windows' mean count of
    /// simultaneous speakers there. A window's frames count less towards its edges (a Hann
    /// weight, as pyannote's aggregation uses), where the model knows least of the context.
    private func reconstruct(windows: [SegmentedWindow], global: [[LocalAttribution?]], speakerCount: Int,
                             geometry: SegmentationFrames, totalSamples: Int) -> [(label: Int, start: Double, end: Double)] {
        guard speakerCount > 0, totalSamples > 0 else { return [] }
        let step = geometry.frameStep
        let frameCount = max(1, (totalSamples - geometry.frameSpan) / step + 1)
        var activity = [Float](repeating: 0, count: frameCount * speakerCount)
        var count = [Float](repeating: 0, count: frameCount)
        var seen = [Float](repeating: 0, count: frameCount)
        let weights = (0..<geometry.frameCount).map { frame -> Float in
            let phase = 2 * Double.pi * (Double(frame) + 0.5) / Double(geometry.frameCount)
            return Float(0.5 - 0.5 * cos(phase))
        }
        for (w, window) in windows.enumerated() {
            let offset = Int((Double(window.startSample) / Double(step)).rounded())
            for frame in 0..<window.frameCount {
                let g = offset + frame
                guard g < frameCount else { break }
                // The recording's first and last frames are seen by one window only: full weight there.
                let weight = g < geometry.frameCount / 2 || g >= frameCount - geometry.frameCount / 2 ? 1 : weights[frame]
                seen[g] += weight
                count[g] += weight * Float(window.speakerCount(frame: frame))
                for local in 0..<SegmentedWindow.localSpeakers where window.isActive(frame: frame, speaker: local) {
                    if let speaker = global[w][local]?.speaker(atFrame: frame) { activity[g * speakerCount + speaker] += weight }
                }
            }
        }
        var active = [Bool](repeating: false, count: frameCount * speakerCount)
        for g in 0..<frameCount where seen[g] > 0 {
            let talking = min(speakerCount, Int((count[g] / seen[g]).rounded()))
            guard talking > 0 else { continue }
            let row = (0..<speakerCount).sorted { activity[g * speakerCount + $0] > activity[g * speakerCount + $1] }
            for speaker in row.prefix(talking) where activity[g * speakerCount + speaker] > 0 {
                active[g * speakerCount + speaker] = true
            }
        }
        // Runs of active frames become turns; frame g stands for the `step` samples around its centre.
        let rate = Double(AudioFormat.sampleRate)
        func time(_ g: Int) -> Double { Double(geometry.firstSample(ofFrame: g)) / rate }
        var runs: [(label: Int, start: Double, end: Double)] = []
        for speaker in 0..<speakerCount {
            var start: Int?
            for g in 0...frameCount {
                let on = g < frameCount && active[g * speakerCount + speaker]
                if on, start == nil { start = g }
                if !on, let first = start {
                    runs.append((speaker, max(0, time(first)), min(Double(totalSamples) / rate, time(g))))
                    start = nil
                }
            }
        }
        return runs
    }

    static func speakerName(_ label: Int) -> String { "S\(label + 1)" }
}
