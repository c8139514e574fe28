import EdControlEngine
import EdControlLab
import EdControlLTI
import Foundation

// The kit's checks of the rest of the store's requirements: what each keeps and returns, each
// within its school.
extension StoreConformance {
    /// A lesson's rows through its life: its recording listed until cleared, its published
    /// set, its features and summary, the school's transcription choice, a voice enrolment and
    /// a shadow analysis queued once each, and the queue's counts.
    static func aLessonsRowsThroughItsLife(_ store: any EdControlStore) async throws {
        let (mine, theirs) = (try await newSchool(store, "Life A"), try await newSchool(store, "Life B"))
        let job = try await addLesson(to: mine, store)
        let lessonID = job.lessonID
        try expect(try await store.publishedResults()[lessonID] == ResultsSet.beforeRuns, "a lesson not yet published names the set before runs")
        try expect(try await store.jobCounts()[.queued, default: 0] >= 1, "the queue counts its queued job")
        try expect(try await store.lessonsWithMedia(uploadedBefore: Date().addingTimeInterval(60)).contains { $0.id == lessonID },
                   "a lesson with its recording is listed for expiry")
        try await store.clearMedia(lessonID: lessonID)
        try expect(try await store.lesson(id: lessonID, schoolID: mine)?.lesson.mediaFile == nil, "a cleared recording is forgotten")
        try expect(try await !store.lessonsWithMedia(uploadedBefore: Date().addingTimeInterval(60)).contains { $0.id == lessonID },
                   "and no longer listed for expiry")

        try await store.setTranscriptionChoice(.off, schoolID: mine)
        let (choice, others) = (try await store.transcriptionChoice(schoolID: mine), try await store.transcriptionChoice(schoolID: theirs))
        try expect(choice == .off && others == .automatic, "a school's transcription choice is its own (\(choice), \(others))")

        let analysed = Date()
        try await store.saveFeatures(LessonFeatures(numbers: ["speechShare": 0.5], categories: ["codec": "aac"]), lessonID: lessonID,
                                     schoolID: mine, analysedAt: analysed)
        let around = DateInterval(start: analysed.addingTimeInterval(-60), duration: 120)
        let (ours, theirsFeatures, all) = (try await store.features(schoolID: mine, analysedIn: around),
                                           try await store.features(schoolID: theirs, analysedIn: around),
                                           try await store.features(schoolID: nil, analysedIn: around))
        try expect(ours.map(\.numbers) == [["speechShare": 0.5]] && theirsFeatures.isEmpty && all.count >= 1,
                   "features are the school's, and all schools' together")
        try await store.updateSummary(lessonID: lessonID, summary: AnalysisSummary(flag: "alert", incidentCount: 2, teacherTalkPercent: 50,
                                                                                 speakerCount: 2, durationSeconds: 60, teacherNegativeShare: nil))
        try expect(try await store.lesson(id: lessonID, schoolID: mine)?.lesson.flag == "alert", "an updated summary is the lesson's")
        try expect(try await !store.lessonsWithOutdatedSummaries().contains { $0.id == lessonID }, "a summary of this version is not outdated")

        // The lesson's analysis no longer waits: a voice enrolment and a shadow analysis may be queued, once.
        _ = try await store.cancel(jobID: job.id, schoolID: mine)
        let teacher = try await store.createTeacher(schoolID: mine, name: "Anna")
        let enrolment = try await store.enqueueVoiceEnrolment(teacherID: teacher.id, lessonID: lessonID, speaker: "S1", schoolID: mine, maxAttempts: 3)
        try expect(try await store.latestVoiceEnrolment(teacherID: teacher.id, schoolID: mine)?.id == enrolment.id, "the latest enrolment is the one queued")
        try expect(try await store.latestVoiceEnrolment(teacherID: teacher.id, schoolID: theirs) == nil, "another school sees no enrolment")
        do {
            _ = try await store.enqueueVoiceEnrolment(teacherID: teacher.id, lessonID: lessonID, speaker: "S2", schoolID: mine, maxAttempts: 3)
            throw Broken("a second enrolment of a teacher while one waits is refused")
        } catch is StoreConflict {}
        let shadow = try await store.enqueueShadow(lessonID: lessonID, schoolID: mine, configuration: "challenger", maxAttempts: 3)
        try expect(shadow != nil, "a shadow analysis is queued")
        try expect(try await store.enqueueShadow(lessonID: lessonID, schoolID: mine, configuration: "challenger", maxAttempts: 3) == nil,
                   "not twice while one waits")
    }

    /// A school's LMS records: platforms (one registration per issuer and client), the links
    /// of their users (gone with the platform), courses, deep-link requests (answered once),
    /// registration invites, the tool's keys (the newest signs), and the school's LMS
    /// settings; another school finds and removes none of them.
    static func lmsRecordsStayInTheirSchool(_ store: any EdControlStore) async throws {
        let names = ("LMS A " + newIdentifier(), "LMS B " + newIdentifier())
        guard let mine = try await store.school(named: names.0, createIfMissing: true)?.id,
              let theirs = try await store.school(named: names.1, createIfMissing: true)?.id else { throw Broken("schools are created") }
        let lms = URL(string: "https://lms-\(newIdentifier()).example")!
        let platform = try await store.addPlatform(LTIPlatform(schoolID: mine, issuer: lms.absoluteString, clientID: "tool", deploymentIDs: ["1"],
                                                              authorizationURL: lms, tokenURL: lms, keysURL: lms))
        do {
            _ = try await store.addPlatform(LTIPlatform(schoolID: theirs, issuer: lms.absoluteString, clientID: "tool", deploymentIDs: ["2"],
                                                        authorizationURL: lms, tokenURL: lms, keysURL: lms))
            throw Broken("an issuer and client registered by one school is refused to another")
        } catch is StoreConflict {}
        let (ourPlatforms, theirPlatforms) = (try await store.platforms(schoolID: mine), try await store.platforms(schoolID: theirs))
        try expect(ourPlatforms.map(\.id) == [platform.id] && theirPlatforms.isEmpty, "a school lists its own platforms")
        let (every, found) = (try await store.allPlatforms(), try await store.platform(id: platform.id))
        try expect(every.contains { $0.id == platform.id } && found?.issuer == lms.absoluteString, "every platform is found by id, for launches")

        let user = try await store.createUser(schoolID: mine, email: "t-\(newIdentifier())@school.example", name: "T", role: .teacher, passwordHash: "x")
        try await store.linkUser(platformID: platform.id, subject: "sub-1", userID: user.id)
        try expect(try await store.linkedUser(platformID: platform.id, subject: "sub-1")?.id == user.id, "a linked subject finds its user")
        let teacher = try await store.createTeacher(schoolID: mine, name: "T")
        try await store.setTeacher(userID: user.id, teacherID: teacher.id)
        try expect(try await store.users(email: user.email).first?.teacherID == teacher.id, "a user of the teacher role is their teacher")

        try await store.recordCourse(LTICourse(platformID: platform.id, contextID: "course-1", title: "Algebra", seenAt: Date()))
        let (ourCourses, theirCourses) = (try await store.courses(schoolID: mine), try await store.courses(schoolID: theirs))
        try expect(ourCourses.map(\.title) == ["Algebra"] && theirCourses.isEmpty, "courses are their platform's school's")

        let request = LTIDeepLinkRequest(id: newIdentifier(), userID: user.id, platformID: platform.id, deploymentID: "1",
                                         returnURL: lms.absoluteString, expiresAt: Date().addingTimeInterval(600))
        try await store.saveDeepLinkRequest(request)
        try expect(try await store.deepLinkRequest(id: request.id, userID: user.id)?.returnURL == request.returnURL, "the user's deep-link request is found")
        try expect(try await store.deepLinkRequest(id: request.id, userID: "someone else") == nil, "not by another user")
        let (first, second) = (try await store.deleteDeepLinkRequest(id: request.id), try await store.deleteDeepLinkRequest(id: request.id))
        try expect(first && !second, "a request is answered once")

        let invite = try await store.createRegistrationInvite(schoolID: mine, expiresAt: Date().addingTimeInterval(600))
        try expect(try await store.registrationInvite(invite) == mine, "an invite names its school until used")
        _ = try await store.useRegistrationInvite(invite)
        try expect(try await store.registrationInvite(invite) == nil, "a used invite names none")

        try await store.setTeacherView(false, schoolID: mine)
        let roles = LTIRoleMap(rules: [LTIRoleMap.Rule(ltiRole: "Instructor", role: .manager)])
        try await store.setLTIRoleMap(roles, schoolID: mine)
        let (ours, others) = (try await store.school(named: names.0, createIfMissing: false), try await store.school(named: names.1, createIfMissing: false))
        try expect(ours?.teacherView == false && ours?.ltiRoles == roles, "a school's LMS settings are stored")
        try expect(others?.teacherView == true && others?.ltiRoles == nil, "another school's stay as they were")

        try expect(try await store.deletePlatform(id: platform.id, schoolID: theirs) == nil, "another school cannot remove a platform")
        try expect(try await store.deletePlatform(id: platform.id, schoolID: mine)?.id == platform.id, "its school removes it")
        let (link, removed) = (try await store.linkedUser(platformID: platform.id, subject: "sub-1"), try await store.platform(id: platform.id))
        try expect(link == nil && removed == nil, "its links go with it")

        let (older, newer) = (try ToolKey.generate(now: Date().addingTimeInterval(-10)), try ToolKey.generate())
        try await store.addToolKey(older, keepRetired: 3600)
        try await store.addToolKey(newer, keepRetired: 3600)
        let keys = try await store.toolKeys()
        try expect(keys.first?.id == newer.id && keys.contains { $0.id == older.id }, "the newest key signs, the one before stays in the key set")
    }

    /// A webhook delivery taken is not due again once delivered or given up, and is due again
    /// at its retry time; a sign-in lock lifted by an administrator counts afresh.
    static func attemptsAreRecordedAndLocksLifted(_ store: any EdControlStore) async throws {
        let school = try await newSchool(store, "Attempts")
        _ = try await store.addWebhook(schoolID: school, url: "https://lms.example/hook", secret: "a-long-shared-secret")
        for event in ["delivered", "retried", "given up"] {
            try await store.queueEvent(schoolID: school, lessonID: "lesson", event: event) { _ in "{}" }
        }
        let due = try await store.dueDeliveries(limit: 10, lockSeconds: 0).map(\.0)
        try expect(Set(due.map(\.event)) == ["delivered", "retried", "given up"], "three deliveries are due")
        for delivery in due {
            switch delivery.event {
            case "delivered": try await store.recordAttempt(deliveryID: delivery.id, status: 200, error: nil, delivered: true, retryAt: nil)
            case "retried": try await store.recordAttempt(deliveryID: delivery.id, status: 503, error: "busy", delivered: false, retryAt: Date().addingTimeInterval(-1))
            default: try await store.recordAttempt(deliveryID: delivery.id, status: 410, error: "gone", delivered: false, retryAt: nil)
            }
        }
        let again = try await store.dueDeliveries(limit: 10, lockSeconds: 0).map(\.0.event)
        try expect(again == ["retried"], "only the delivery whose retry time came is due again (\(again))")

        let key = "account:" + newIdentifier()
        let limit = [SignInLimit(key: key, attempts: 1)]
        guard case .counted = try await store.countSignInAttempt(limit, at: Date(), window: 600) else { throw Broken("a first attempt is counted") }
        guard case .refused = try await store.countSignInAttempt(limit, at: Date(), window: 600) else { throw Broken("a second is refused at a limit of 1") }
        try await store.clearSignInFailures(key: key)
        guard case .counted = try await store.countSignInAttempt(limit, at: Date(), window: 600) else { throw Broken("a lifted lock counts afresh") }
    }
}
