/// Decides who speaks in each embedding window: clusters all windows of the lesson into
/// speakers and labels each window with its speaker.
public struct Diarizer: Sendable {
    public var clustering: SpeakerClustering

    public init(clustering: SpeakerClustering) {
        self.clustering = clustering
    }

    /// The segments with a label for every window, and each label's centroid.
    public func diarize(_ segments: [LabelledSegment], bounds: SpeakerCountBounds) -> (segments: [LabelledSegment], centroids: [[Float]]) {
        let vectors = segments.flatMap { $0.windows.map(\.vector) }
        let labels = clustering.cluster(vectors, bounds: bounds)
        var remaining = labels[...]
        let labelled = segments.map { segment -> LabelledSegment in
            var labelled = segment
            labelled.labels = Array(remaining.prefix(segment.windows.count))
            remaining = remaining.dropFirst(segment.windows.count)
            return labelled
        }
        return (labelled, MergingSpeakerClustering.centroids(of: vectors, labels: labels))
    }
}
