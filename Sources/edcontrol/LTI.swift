import ArgumentParser
import EdControlService
import EdControlStorage
import EdControlWeb
import Foundation

struct LTI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lti", abstract: "Sign-in from a school's LMS (LTI 1.3): platforms and the tool's keys.",
        subcommands: [RegistrationLink.self, AddPlatform.self, ListPlatforms.self, RemovePlatform.self, Roles.self, TeacherView.self, RotateKey.self])

    struct RegistrationLink: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "registration-link",
            abstract: "Make a link an LMS registers itself with for a school (LTI dynamic registration): paste it into the LMS; it works once, for a week.")

        @Option(name: .long, help: "School (tenant) name.")
        var school: String
        @Option(name: .long, help: "The address LMSs reach the server by, as `serve --public-url`, such as https://edcontrol.school.example.")
        var publicURL: String
        @OptionGroup var dataOptions: DataOptions

        func run() async throws {
            guard let base = URL(string: publicURL), LTIPlatform.origin(publicURL) != nil else { throw ValidationError("--public-url must be an http or https address") }
            let (_, store) = try await dataOptions.open()
            let school = try await schoolNamed(school, in: store)
            // Making the link calls no LMS: the policy for calls is not needed here.
            let registration = LTIDynamicRegistration(store: store, requests: LMSRequests(targets: WebhookTargetPolicy(allowedNetworks: [])))
            print(base.appendingPathComponent("lti/register/\(try await registration.invite(schoolID: school.id, by: "command line"))").absoluteString)
        }
    }

    struct AddPlatform: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-platform", abstract: "Register a school's LMS; its launches then sign in the school's users.",
            discussion: "The LMS's tool page shows each value (docs/lms.md says where, for Moodle and Canvas).")

        @Option(name: .long, help: "School (tenant) name.")
        var school: String
        @Option(name: .long, help: "The platform's issuer (iss), such as https://moodle.school.example.")
        var issuer: String
        @Option(name: .long, help: "The client id the LMS gave the tool.")
        var clientID: String
        @Option(name: .long, help: "A deployment id of the tool in the LMS; repeatable.")
        var deployment: [String]
        @Option(name: .long, help: "The LMS's OIDC authorization (auth request) URL.")
        var authorizationURL: String
        @Option(name: .long, help: "The LMS's OAuth 2 token URL.")
        var tokenURL: String
        @Option(name: .long, help: "The LMS's public key set (JWKS) URL.")
        var keysURL: String
        @Option(name: .long, help: "An origin of the LMS's pages that may show EdControl in a frame; repeatable (default: those of the issuer and the authorization URL).")
        var frameOrigin: [String] = []
        @OptionGroup var dataOptions: DataOptions

        func run() async throws {
            let (_, store) = try await dataOptions.open()
            let school = try await schoolNamed(school, in: store)
            do {
                let platform = try await LTIPlatforms.add(in: store, schoolID: school.id, .init(
                    issuer: issuer, clientID: clientID, deploymentIDs: deployment, authorizationURL: authorizationURL, tokenURL: tokenURL,
                    keysURL: keysURL, frameOrigins: frameOrigin.isEmpty ? nil : frameOrigin), by: "command line")
                print("registered \(platform.issuer) (client \(platform.clientID)) for \(school.name) as \(platform.id)")
            } catch let refusal as LTIPlatforms.Refusal {
                throw ValidationError(refusal.description)
            }
        }
    }

    struct ListPlatforms: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "platforms", abstract: "List a school's LMS platforms.")

        @Option(name: .long, help: "School (tenant) name.")
        var school: String
        @OptionGroup var dataOptions: DataOptions

        func run() async throws {
            let (_, store) = try await dataOptions.open()
            let school = try await schoolNamed(school, in: store)
            for platform in try await store.platforms(schoolID: school.id) {
                print([platform.id, platform.issuer, "client \(platform.clientID)", "deployments \(platform.deploymentIDs.joined(separator: ","))",
                       "keys \(platform.keysURL.absoluteString)", "frames \(platform.frameOrigins.joined(separator: ","))"].joined(separator: "  "))
            }
        }
    }

    struct RemovePlatform: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove-platform", abstract: "Remove a school's LMS platform: its launches are refused from now on.")

        @Argument(help: "The platform's id (`lti platforms` shows it).")
        var id: String
        @Option(name: .long, help: "School (tenant) name.")
        var school: String
        @OptionGroup var dataOptions: DataOptions

        func run() async throws {
            let (_, store) = try await dataOptions.open()
            let school = try await schoolNamed(school, in: store)
            guard let platform = try await LTIPlatforms.remove(in: store, id: id, schoolID: school.id, by: "command line") else {
                throw ValidationError("there is no platform \(id) in \(self.school); `edcontrol lti platforms --school NAME` shows the ids")
            }
            print("removed \(platform.issuer) (client \(platform.clientID))")
        }
    }

    struct Roles: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show, or replace, which EdControl role a school's LMS roles give (the highest any rule gives; none: no access).",
            discussion: "Each --set is a rule 'LTI role = EdControl role': a role URI, or a bare name matching that role in any vocabulary (manager), and admin, manager, viewer or teacher.")

        @Option(name: .long, help: "School (tenant) name.")
        var school: String
        @Option(name: .long, help: ArgumentHelp("A rule of the new table; repeatable (the table is replaced).", valueName: "LTI-role=role"))
        var set: [String] = []
        @Flag(name: .long, help: "Go back to the built-in table.")
        var defaults = false
        @OptionGroup var dataOptions: DataOptions

        func run() async throws {
            let (_, store) = try await dataOptions.open()
            let school = try await schoolNamed(school, in: store)
            if defaults || !set.isEmpty {
                do {
                    try await LTIPlatforms.setRoleMap(defaults ? nil : try LTIRoleMap(text: set.joined(separator: "\n")), in: store, schoolID: school.id,
                                                      by: "command line")
                } catch let refusal as LTIRoleMap.Refusal {
                    throw ValidationError(refusal.description)
                }
            }
            print((try await store.school(id: school.id)?.ltiRoles ?? .defaults).text)
        }
    }

    struct TeacherView: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "teacher-view",
            abstract: "Open EdControl to the school's teachers launched from the LMS (each sees their own lessons), or close it (their sessions end).")

        @Argument(help: "on or off.")
        var state: String
        @Option(name: .long, help: "School (tenant) name.")
        var school: String
        @OptionGroup var dataOptions: DataOptions

        func run() async throws {
            guard ["on", "off"].contains(state) else { throw ValidationError("say on or off") }
            let (_, store) = try await dataOptions.open()
            let school = try await schoolNamed(school, in: store)
            try await LTIPlatforms.setTeacherView(state == "on", in: store, schoolID: school.id, by: "command line")
            print("the teacher view of \(school.name) is \(state)")
        }
    }

    struct RotateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-key", abstract: "Make a new key pair for the tool to sign with; the old one stays in /lti/jwks for a week.")

        @OptionGroup var dataOptions: DataOptions

        func run() async throws {
            let (_, store) = try await dataOptions.open()
            print("the tool now signs with key \(try await LTIToolKeys(store: store).rotate().id)")
        }
    }
}

/// The school the operator named, or what to do when there is none.
private func schoolNamed(_ name: String, in store: some AccessStore) async throws -> School {
    guard let school = try await store.school(named: name, createIfMissing: false) else {
        throw ValidationError("there is no school \(name); its first user or token makes it (`edcontrol user create`, `edcontrol token create`)")
    }
    return school
}
