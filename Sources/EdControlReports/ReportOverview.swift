import EdControlEngine
import Foundation

extension LessonReport {
    /// This report with each face's per-second timeline averaged into the columns of the
    /// timeline chart (`ReportCharts`): everything pages draw, the same picture, at a
    /// fraction of the size; a 3-hour lesson's report decodes several times faster.
    public func overview() -> LessonReport {
        var overview = self
        let binSeconds = ReportCharts.emotionBinSeconds(ReportCharts.duration(of: self))
        for index in overview.video.tracks.indices {
            overview.video.tracks[index].timeline = ReportCharts.meanEmotions(video.tracks[index].timeline, binSeconds: binSeconds).map {
                FaceSecond(t: $0.bin * binSeconds, face: true, box: nil, emotions: $0.emotions, mouthMotion: nil)
            }
        }
        // Word times are for search and captions, not drawn.
        for index in overview.transcript?.segments.indices ?? [].indices { overview.transcript?.segments[index].words = nil }
        return overview
    }
}
