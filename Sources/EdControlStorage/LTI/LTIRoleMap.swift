import Foundation

/// Which EdControl role a launch's LTI roles give: the highest any rule gives, none if no
/// rule matches (a learner, a parent: no access).
public struct LTIRoleMap: Codable, Sendable, Equatable {
    public struct Rule: Codable, Sendable, Equatable {
        /// A role URI as LTI writes it, or a bare name (`manager`) matching any role of that
        /// name in any vocabulary, as LMSs write their custom roles.
        public var ltiRole: String
        public var role: Role

        public init(ltiRole: String, role: Role) {
            self.ltiRole = ltiRole
            self.role = role
        }
    }

    public var rules: [Rule]

    /// Institution, system or course administrators are admins; a custom `manager` role is a
    /// manager; course and institution instructors are teachers (who see their own lessons).
    public static let defaults = LTIRoleMap(rules: [
        Rule(ltiRole: "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor", role: .teacher),
        Rule(ltiRole: "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor", role: .teacher),
        Rule(ltiRole: "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator", role: .admin),
        Rule(ltiRole: "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator", role: .admin),
        Rule(ltiRole: "http://purl.imsglobal.org/vocab/lis/v2/membership#Administrator", role: .admin),
        Rule(ltiRole: "manager", role: .manager),
    ])

    /// The table as an admin writes it: one rule a line, `LTI role = EdControl role`.
    public var text: String {
        rules.map { "\($0.ltiRole) = \($0.role.rawValue)" }.joined(separator: "\n")
    }

    public struct Refusal: Error, CustomStringConvertible {
        public var description: String
    }

    /// A table written as `text` writes it; blank lines are skipped.
    public init(text: String) throws {
        rules = try text.split(whereSeparator: \.isNewline).compactMap { line in
            let line = line.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty else { return nil }
            guard let equals = line.lastIndex(of: "=") else {
                throw Refusal(description: "'\(line)' is not a rule: write an LTI role, '=', and admin, manager, viewer or teacher")
            }
            let ltiRole = line[..<equals].trimmingCharacters(in: .whitespaces)
            let name = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces).lowercased()
            guard !ltiRole.isEmpty, ltiRole.count <= 300, !ltiRole.contains(where: \.isWhitespace) else {
                throw Refusal(description: "'\(ltiRole)' is not an LTI role: a role URI or a role's name, without spaces")
            }
            guard let role = Role(rawValue: name) else {
                throw Refusal(description: "'\(name)' is not an EdControl role: admin, manager, viewer or teacher")
            }
            return Rule(ltiRole: ltiRole, role: role)
        }
        guard rules.count <= 100 else { throw Refusal(description: "a table of at most 100 rules") }
    }

    package init(rules: [Rule]) {
        self.rules = rules
    }

    public func role(for ltiRoles: [String]) -> Role? {
        ltiRoles.map(Self.normalised).compactMap { launched in
            rules.filter { Self.matches($0.ltiRole, launched) }.map(\.role).max()
        }.max()
    }

    /// Bare names in a launch (`Instructor`, deprecated but still sent) are context roles (LTI 1.3 §A.2.2).
    static func normalised(_ role: String) -> String {
        role.contains(":") ? role : "http://purl.imsglobal.org/vocab/lis/v2/membership#" + role
    }

    private static func matches(_ rule: String, _ launched: String) -> Bool {
        guard !rule.contains(":") else { return rule == launched }
        let name = launched.split(whereSeparator: { $0 == "#" || $0 == "/" }).last.map(String.init) ?? launched
        return name.caseInsensitiveCompare(rule) == .orderedSame
    }
}
