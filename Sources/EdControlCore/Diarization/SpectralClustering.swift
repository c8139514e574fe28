import Foundation

/// Groups speaker embeddings into speakers without knowing how many there are.
public protocol SpeakerClustering: Sendable {
    /// A speaker label (0, 1, …) for each embedding.
    func cluster(_ embeddings: [[Float]], bounds: SpeakerCountBounds) -> [Int]
}

/// Spectral clustering with the speaker count chosen by the normalised maximum eigengap
/// (NME-SC, Park et al. 2019): the affinity matrix is pruned to each row's `p` nearest
/// neighbours for several `p`, and the `p` whose Laplacian shows the clearest eigengap
/// relative to `p` decides both the graph and the count. Clusters whose centroids are
/// nearly the same voice are then merged, which keeps one-voice stretches from splitting.
///
/// Hand-written: no Swift package offers spectral clustering; the heavy parts (affinity
/// products, eigendecomposition) go to OpenBLAS/LAPACK.
public struct SpectralSpeakerClustering: SpeakerClustering {
    public struct Settings: Codable, Sendable, Hashable {
        /// Embeddings used to find the speakers; the rest are assigned to the nearest centroid.
        public var maxPointsForSpectralStage = 500
        /// Neighbour fractions (of the point count) tried when pruning the affinity graph.
        public var pruningFractions: [Double] = [0.02, 0.04, 0.06, 0.08, 0.1, 0.13, 0.16, 0.2, 0.25]
        /// Centroids more similar than this (cosine) are taken to be one speaker. Measured on
        /// generated lessons: one real reader's clips split into clusters 0.84–0.86 apart, while
        /// the closest distinct voices are 0.78–0.80 apart (merging at 0.78 collapses them).
        public var mergeSimilarity: Float = 0.81
        /// Centroid-refinement passes over all embeddings.
        public var refinementPasses = 5
        public init() {}
    }

    public var settings: Settings

    public init(settings: Settings = Settings()) { self.settings = settings }

    public func cluster(_ embeddings: [[Float]], bounds: SpeakerCountBounds) -> [Int] {
        let count = embeddings.count
        guard count > 1 else { return Array(repeating: 0, count: count) }
        let sample = Self.evenlySpaced(count: count, limit: settings.maxPointsForSpectralStage)
        let points = sample.map { embeddings[$0] }
        let maxSpeakers = min(bounds.maximum, points.count)
        let minSpeakers = min(bounds.minimum, maxSpeakers)

        var sampleLabels: [Int]
        if maxSpeakers <= 1 {
            sampleLabels = Array(repeating: 0, count: points.count)
        } else {
            let affinity = Self.cosineAffinity(points)
            sampleLabels = spectralLabels(affinity: affinity, n: points.count,
                                          minSpeakers: max(2, minSpeakers), maxSpeakers: maxSpeakers)
        }
        var centroids = Self.centroids(of: points, labels: sampleLabels)
        var labels = Self.assign(embeddings, to: centroids)
        for _ in 0..<settings.refinementPasses {
            centroids = Self.centroids(of: embeddings, labels: labels)
            labels = Self.assign(embeddings, to: centroids)
        }
        labels = mergeSimilar(embeddings, labels: labels, minSpeakers: minSpeakers)
        return Self.relabelByFirstAppearance(labels)
    }

    // MARK: Spectral stage

    private func spectralLabels(affinity: [Float], n: Int, minSpeakers: Int, maxSpeakers: Int) -> [Int] {
        var best: (ratio: Double, speakers: Int, vectors: [Float])?
        let neighbourCounts = Set(settings.pruningFractions.map { max(2, min(n - 1, Int(Double(n) * $0))) }).sorted()
        for p in neighbourCounts {
            let laplacian = Self.laplacian(ofPruned: affinity, n: n, keep: p)
            guard let (values, vectors) = LinearAlgebra.symmetricEigen(laplacian, n: n) else { continue }
            let largest = Double(values.last ?? 1)
            // Eigengaps among the smallest eigenvalues: a gap after the k-th means k clusters.
            var bestGap = -1.0, speakers = minSpeakers
            for k in minSpeakers...maxSpeakers where k < n {
                let gap = Double(values[k] - values[k - 1])
                if gap > bestGap { bestGap = gap; speakers = k }
            }
            let normalisedGap = bestGap / max(largest, 1e-9)
            let ratio = Double(p) / max(normalisedGap, 1e-12)
            if best == nil || ratio < best!.ratio { best = (ratio, speakers, vectors) }
        }
        guard let best else { return Array(repeating: 0, count: n) }
        // Rows of the `speakers` smallest eigenvectors, normalised, then k-means.
        let k = best.speakers
        let rows = (0..<n).map { row in (0..<k).map { best.vectors[row * n + $0] }.l2Normalized }
        return KMeans.cluster(rows, k: k)
    }

    private static func laplacian(ofPruned affinity: [Float], n: Int, keep: Int) -> [Float] {
        var pruned = [Float](repeating: 0, count: n * n)
        for row in 0..<n {
            let neighbours = (0..<n).sorted { affinity[row * n + $0] > affinity[row * n + $1] }.prefix(keep)
            for column in neighbours { pruned[row * n + column] = 1 }
        }
        var laplacian = [Float](repeating: 0, count: n * n)
        for row in 0..<n {
            var degree: Float = 0
            for column in 0..<n where column != row {
                let weight = (pruned[row * n + column] + pruned[column * n + row]) / 2
                laplacian[row * n + column] = -weight
                degree += weight
            }
            laplacian[row * n + row] = degree
        }
        return laplacian
    }

    static func cosineAffinity(_ points: [[Float]]) -> [Float] {
        let n = points.count, d = points[0].count
        let flat = points.flatMap { $0.l2Normalized }
        var result = [Float](repeating: 0, count: n * n)
        flat.withUnsafeBufferPointer { x in
            result.withUnsafeMutableBufferPointer { out in
                LinearAlgebra.multiply(x.baseAddress!, x.baseAddress!, into: out.baseAddress!, m: n, n: n, k: d, transposeB: true)
            }
        }
        return result
    }

    // MARK: Centroids and merging

    private func mergeSimilar(_ embeddings: [[Float]], labels: [Int], minSpeakers: Int) -> [Int] {
        var labels = labels
        while true {
            let centroids = Self.centroids(of: embeddings, labels: labels)
            let present = Set(labels).sorted()
            guard present.count > minSpeakers else { break }
            var closest: (Float, Int, Int)?
            for (i, a) in present.enumerated() {
                for b in present[(i + 1)...] {
                    let similarity = centroids[a].dot(centroids[b])
                    if closest == nil || similarity > closest!.0 { closest = (similarity, a, b) }
                }
            }
            guard let (similarity, keep, absorb) = closest, similarity >= settings.mergeSimilarity else { break }
            labels = labels.map { $0 == absorb ? keep : $0 }
        }
        return labels
    }

    /// L2-normalised mean of each label's points (index = label; empty labels give zeros).
    static func centroids(of points: [[Float]], labels: [Int]) -> [[Float]] {
        let count = (labels.max() ?? -1) + 1
        var sums = [[Float]](repeating: [Float](repeating: 0, count: points.first?.count ?? 0), count: count)
        for (point, label) in zip(points, labels) {
            for i in point.indices { sums[label][i] += point[i] }
        }
        return sums.map { $0.l2Normalized }
    }

    static func assign(_ points: [[Float]], to centroids: [[Float]]) -> [Int] {
        points.map { point in
            var best = 0, bestSimilarity = -Float.infinity
            for (label, centroid) in centroids.enumerated() where !centroid.allSatisfy({ $0 == 0 }) {
                let similarity = point.dot(centroid)
                if similarity > bestSimilarity { bestSimilarity = similarity; best = label }
            }
            return best
        }
    }

    static func relabelByFirstAppearance(_ labels: [Int]) -> [Int] {
        var mapping: [Int: Int] = [:]
        return labels.map { label in
            if let mapped = mapping[label] { return mapped }
            mapping[label] = mapping.count
            return mapping[label]!
        }
    }

    static func evenlySpaced(count: Int, limit: Int) -> [Int] {
        guard count > limit else { return Array(0..<count) }
        return (0..<limit).map { $0 * count / limit }
    }
}
