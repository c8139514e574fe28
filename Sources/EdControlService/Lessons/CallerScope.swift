import EdControlEngine
import EdControlStorage
import Foundation

// What a caller may see of their school: the lookups every route and page makes through them.

extension LessonStore {
    /// The school's teachers the caller may see (a teacher: themselves).
    package func teachers(of caller: Principal) async throws -> [Teacher] {
        try await teachers(schoolID: caller.schoolID).filter { caller.sees(teacher: $0.id) }
    }
}

extension LessonStore {
    /// The lesson, if it is in the caller's school (and, for a teacher, theirs); otherwise
    /// 404, so that ids reveal nothing across schools or teachers.
    package func lesson(_ id: String, of caller: Principal) async throws -> LessonWithJob {
        guard let found = try await lesson(id: id, schoolID: caller.schoolID),
              caller.sees(teacher: found.lesson.teacherID) else {
            throw Refusal(.notFound, "refusal_no_lesson", .text(id))
        }
        return found
    }

    /// The teacher, if they are in the caller's school (and, for a teacher, themselves);
    /// otherwise 404.
    package func teacher(_ id: String, of caller: Principal) async throws -> Teacher {
        guard let teacher = try await teacher(id: id, schoolID: caller.schoolID), caller.sees(teacher: teacher.id) else {
            throw Refusal(.notFound, "refusal_no_teacher", .text(id))
        }
        return teacher
    }
}

extension LessonQuery {
    /// A teacher's lists hold their own lessons only, whatever the filters ask.
    package mutating func restrict(to caller: Principal) {
        if let own = caller.ownTeacherID { teacherID = own }
    }
}

extension JSONEncoder {
    /// How the API writes JSON (responses and webhook events): ISO 8601 dates, sorted keys.
    package static var api: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
