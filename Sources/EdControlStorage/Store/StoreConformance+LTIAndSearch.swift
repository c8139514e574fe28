import EdControlEngine
import Foundation

// The kit's checks of what several server processes share through the store: LMS sign-ins'
// one-time secrets, and the transcript search.
extension StoreConformance {
    /// 8 launches racing with one login state, one nonce and one registration invite: each is
    /// taken by exactly one, as two API nodes answering a replayed launch must see.
    static func oneTimeSecretsAreTakenOnce(_ store: any EdControlStore) async throws {
        let school = try await newSchool(store, "One-time")
        let lms = URL(string: "https://lms.example")!
        let platform = try await store.addPlatform(LTIPlatform(schoolID: school, issuer: lms.absoluteString, clientID: "tool", deploymentIDs: ["1"],
                                                              authorizationURL: lms, tokenURL: lms, keysURL: lms))
        let login = LTILoginState(state: randomHex(bytes: 16), nonce: randomHex(bytes: 16), platformID: platform.id,
                                  targetLinkURI: "https://tool.example/lessons", expiresAt: Date().addingTimeInterval(600))
        try await store.saveLoginState(login)
        let invite = try await store.createRegistrationInvite(schoolID: school, expiresAt: Date().addingTimeInterval(600))
        let nonce = randomHex(bytes: 16)
        let taken = try await withThrowingTaskGroup(of: (Bool, Bool, Bool).self) { group in
            for _ in 0..<8 {
                group.addTask {
                    // Times come back as the store keeps them (to its precision): the nonce tells the state.
                    (try await store.takeLoginState(login.state)?.nonce == login.nonce,
                     try await store.recordNonce(nonce, issuer: "https://lms.example", expiry: Date().addingTimeInterval(600)),
                     try await store.useRegistrationInvite(invite))
                }
            }
            return try await group.reduce(into: [0, 0, 0]) { counts, took in
                counts[0] += took.0 ? 1 : 0
                counts[1] += took.1 ? 1 : 0
                counts[2] += took.2 ? 1 : 0
            }
        }
        try expect(taken == [1, 1, 1], "a login state, a nonce and an invite are each taken once by 8 racing launches (taken \(taken))")
        try expect(try await store.takeLoginState(randomHex(bytes: 16)) == nil, "an unknown login state is nothing")
    }

    /// A line of a school's transcript is found by its words' beginnings, in any case and
    /// with ё as е, by that school only, and not once the lesson is erased.
    static func transcriptSearchStaysInItsSchool(_ store: any EdControlStore) async throws {
        let (mine, theirs) = (try await newSchool(store, "Search A"), try await newSchool(store, "Search B"))
        let job = try await addLesson(to: mine, store)
        let transcript = Transcript(language: "ru", languageProbability: 0.9, model: "conformance",
                                    segments: [TranscriptSegment(start: 1, end: 3, speaker: "S1", text: "Ёлка и Hello world")])
        try await store.indexTranscript(transcript, lessonID: job.lessonID, schoolID: mine)
        for words in [["елка"], ["ЁЛК"], ["hel", "wor"]] {
            let hits = try await store.searchTranscripts(schoolID: mine, query: TranscriptSearchQuery(words: words.map(\.searchFolded)), lessonID: nil, limit: 10)
            try expect(hits.map(\.lessonID) == [job.lessonID], "the school finds its line by \(words) (found \(hits.count))")
        }
        let elsewhere = try await store.searchTranscripts(schoolID: theirs, query: TranscriptSearchQuery(words: ["елка"]), lessonID: nil, limit: 10)
        try expect(elsewhere.isEmpty, "another school finds nothing of it")
        _ = try await store.deleteLesson(id: job.lessonID, schoolID: mine)
        let after = try await store.searchTranscripts(schoolID: mine, query: TranscriptSearchQuery(words: ["елка"]), lessonID: nil, limit: 10)
        try expect(after.isEmpty, "an erased lesson's transcript is found no more")
    }
}
