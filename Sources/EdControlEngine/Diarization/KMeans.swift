/// Lloyd's k-means with deterministic farthest-point initialisation (so the same input
/// always gives the same speakers). Hand-written: a few lines, and no Swift package has it.
enum KMeans {
    static func cluster(_ points: [[Float]], k: Int, iterations: Int = 50) -> [Int] {
        guard k > 1, points.count > k else { return points.indices.map { min($0, k - 1) } }
        var centres = [points[0]]
        var nearest = points.map { squaredDistance($0, points[0]) }
        while centres.count < k {
            let farthest = nearest.indices.max { nearest[$0] < nearest[$1] }!
            centres.append(points[farthest])
            for i in points.indices { nearest[i] = min(nearest[i], squaredDistance(points[i], points[farthest])) }
        }
        var labels = [Int](repeating: 0, count: points.count)
        for _ in 0..<iterations {
            let updated = points.map { point in
                centres.indices.min { squaredDistance(point, centres[$0]) < squaredDistance(point, centres[$1]) }!
            }
            if updated == labels, centres.count == k { break }
            labels = updated
            for c in 0..<k {
                let members = points.indices.filter { labels[$0] == c }
                guard !members.isEmpty else { continue }
                var mean = [Float](repeating: 0, count: points[0].count)
                for m in members { for d in mean.indices { mean[d] += points[m][d] } }
                centres[c] = mean.map { $0 / Float(members.count) }
            }
        }
        return labels
    }

    private static func squaredDistance(_ a: [Float], _ b: [Float]) -> Float {
        var sum: Float = 0
        for i in a.indices { let d = a[i] - b[i]; sum += d * d }
        return sum
    }
}
