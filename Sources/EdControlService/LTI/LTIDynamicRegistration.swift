import EdControlLTI
import EdControlStorage
import Foundation

/// LTI Dynamic Registration: a school's admin makes a registration link here and pastes it
/// into the LMS; the LMS opens it with its OpenID configuration, someone at the LMS agrees
/// on EdControl's page, and the tool registers itself with the platform and the platform
/// with the school. The link is the school's consent: single use, valid for a week.
public struct LTIDynamicRegistration: Sendable {
    static let inviteLifetime: TimeInterval = 7 * 86400

    let store: any AccessStore & AuditStore & LTIStore
    let requests: LMSRequests

    public init(store: EdControlStore, requests: LMSRequests) {
        self.store = store
        self.requests = requests
    }

    public struct Refusal: Error, CustomStringConvertible {
        public var description: String

        package init(description: String) { self.description = description }
    }

    /// A new registration link's secret for the school.
    public func invite(schoolID: String, by actor: String) async throws -> String {
        let secret = try await store.createRegistrationInvite(schoolID: schoolID, expiresAt: Date().addingTimeInterval(Self.inviteLifetime))
        try await store.record(AuditEvent(schoolID: schoolID, actor: actor, action: "lti.registration_link", target: "school \(schoolID)",
                                          detail: "valid for 7 days, once"))
        return secret
    }

    /// The school whose link this is, if it is still valid.
    public func school(ofInvite secret: String) async throws -> School? {
        guard let id = try await store.registrationInvite(secret) else { return nil }
        return try await store.school(id: id)
    }

    /// The platform's OpenID configuration, read as the LMS's registration page gives it.
    public func configuration(at url: URL, token: String?) async throws -> DynamicRegistration.PlatformConfiguration {
        let configuration: DynamicRegistration.PlatformConfiguration
        do {
            configuration = try JSONDecoder().decode(DynamicRegistration.PlatformConfiguration.self,
                                                     from: try await requests.send(url, accept: "application/json", bearer: token).body)
        } catch {
            throw Refusal(description: "the LMS's OpenID configuration at \(url.absoluteString) could not be read (\(error)); start the registration again from the LMS")
        }
        guard configuration.isServed(from: url) else {
            throw Refusal(description: "the LMS's configuration names the issuer \(configuration.issuer), which is not where it was read from")
        }
        return configuration
    }

    /// Registers the tool (served at `base`) with the platform and the platform with the
    /// link's school; the link is used up.
    public func register(invite secret: String, configurationURL: URL, token: String?, base: URL) async throws -> LTIPlatform {
        guard let school = try await school(ofInvite: secret) else {
            throw Refusal(description: "this registration link has expired or was used; the school's administrator makes a new one on the LMS page")
        }
        let configuration = try await configuration(at: configurationURL, token: token)
        let response: DynamicRegistration.Response
        do {
            let body = try JSONSerialization.data(withJSONObject: DynamicRegistration.request(base: base, name: "EdControl",
                                                                                              description: "Lesson recording analytics"))
            let answer = try await requests.send(configuration.registrationEndpoint, accept: "application/json", bearer: token, json: body)
            response = try JSONDecoder().decode(DynamicRegistration.Response.self, from: answer.body)
        } catch {
            throw Refusal(description: "the LMS refused the registration (\(error))")
        }
        guard let deployment = response.deploymentID else {
            throw Refusal(description: "the LMS registered the tool (client id \(response.clientID)) but named no deployment; "
                + "add the platform by hand with the deployment id the LMS shows (edcontrol lti add-platform)")
        }
        guard try await store.useRegistrationInvite(secret) else {
            throw Refusal(description: "this registration link was used meanwhile; the school's administrator makes a new one")
        }
        let origins = Set([configuration.issuer, configuration.authorizationEndpoint.absoluteString, configurationURL.absoluteString].compactMap(LTIPlatform.origin))
        do {
            return try await LTIPlatforms.add(in: store, schoolID: school.id, .init(
                issuer: configuration.issuer, clientID: response.clientID, deploymentIDs: [deployment],
                authorizationURL: configuration.authorizationEndpoint.absoluteString, tokenURL: configuration.tokenEndpoint.absoluteString,
                keysURL: configuration.keysURL.absoluteString, frameOrigins: origins.sorted()), by: "LMS dynamic registration (\(configuration.issuer))")
        } catch let refusal as LTIPlatforms.Refusal {
            throw Refusal(description: refusal.description)
        }
    }
}
