import EdControlEngine
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where webhooks may be sent. An admin must not be able to make the server call into its
/// own network (server-side request forgery: the loopback, private networks, the cloud
/// metadata service at 169.254.169.254) and read the answers' status codes from the
/// delivery log. So a webhook's host is resolved and every address it resolves to must be
/// public, or inside a network the installation's operator allowed (an LMS on the school's
/// own network); this is checked when the webhook is registered and again at every
/// delivery, and the delivery connects to the very address that was checked (a DNS answer
/// that changes in between cannot redirect it). Resolution goes through the system
/// resolver, which also reads odd spellings (`0x7f000001`, `2130706433`, `0177.1`) as
/// the addresses they are.
public struct WebhookTargetPolicy: Sendable {
    /// Networks the operator allows although they are not public (`serve --webhook-allow-network`).
    public var allowedNetworks: [IPNetwork]

    public init(allowedNetworks: [IPNetwork] = []) {
        self.allowedNetworks = allowedNetworks
    }

    /// A webhook URL that passed the checks, with the address to connect to.
    public struct Target: Sendable {
        public var url: URL
        public var host: String
        public var address: String
    }

    public struct Refusal: Error, CustomStringConvertible {
        public var description: String
        /// The text is not a usable URL at all (rather than a URL of a forbidden place).
        public var malformed = false
    }

    /// Parses, resolves and checks `text`; the refusal says what is wrong in words an admin understands.
    public func vet(_ text: String) async throws -> Target {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = url.host, !host.isEmpty else {
            throw Refusal(description: "url must be an absolute http or https URL, such as https://lms.example.org/edcontrol", malformed: true)
        }
        guard url.user == nil, url.password == nil else {
            throw Refusal(description: "url must not carry a user name or password; authenticate deliveries by their signature instead", malformed: true)
        }
        let bareHost = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let addresses = try await Self.resolve(bareHost)
        guard !addresses.isEmpty else {
            throw Refusal(description: "the host \(host) of the url has no address; check its spelling and DNS")
        }
        for address in addresses {
            if let reason = refusal(of: address) {
                let what = bareHost == address.text ? address.text : "the host \(host) is \(address.text), which"
                throw Refusal(description: "\(what) is a \(reason) address: webhooks go to public addresses only. "
                    + "An LMS on the school's own network needs the operator to allow it (serve --webhook-allow-network)")
            }
        }
        return Target(url: url, host: host, address: addresses[0].text)
    }

    /// Why an address may not be called, or nil if it may.
    func refusal(of address: IPAddress) -> String? {
        if allowedNetworks.contains(where: { $0.contains(address) }) { return nil }
        // An IPv6 address that carries an IPv4 one reaches that IPv4 address: its reason
        // says more than the IPv6 block's.
        if let embedded = address.embeddedIPv4, let reason = refusal(of: embedded) { return reason }
        return Self.reserved.first { $0.network.contains(address) }?.kind
    }

    /// Every block of IANA's IPv4 and IPv6 Special-Purpose Address Registries (as of 2025),
    /// and the multicast ranges, refused whether or not the registry calls it globally
    /// reachable (anycast relays and AS112 sinks are no LMS). Blocks inside a larger one
    /// listed here (192.0.0.0/29 in 192.0.0.0/24, Teredo and ORCHID in 2001::/23) are covered by it.
    static let reserved: [(network: IPNetwork, kind: String)] = [
        // IPv4 (RFC 6890 and its updates)
        ("0.0.0.0/8", "\"this network\""), ("10.0.0.0/8", "private"), ("100.64.0.0/10", "carrier-NAT (shared address space)"),
        ("127.0.0.0/8", "loopback"), ("169.254.0.0/16", "link-local (cloud metadata)"), ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "IETF protocol assignment"), ("192.0.2.0/24", "documentation"), ("192.31.196.0/24", "AS112 DNS sink"),
        ("192.52.193.0/24", "AMT relay anycast"), ("192.88.99.0/24", "6to4 relay anycast (deprecated)"), ("192.168.0.0/16", "private"),
        ("192.175.48.0/24", "AS112 DNS sink"), ("198.18.0.0/15", "benchmarking"), ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"), ("224.0.0.0/4", "multicast"), ("240.0.0.0/4", "reserved"),
        // IPv6 (RFC 6890 and its updates)
        ("::/128", "unspecified"), ("::1/128", "loopback"), ("::/96", "IPv4-compatible (deprecated)"),
        ("::ffff:0:0/96", "IPv4-mapped"), ("::ffff:0:0:0/96", "IPv4-translated"), ("64:ff9b:1::/48", "local-use NAT64"),
        ("100::/64", "discard"), ("100:0:0:1::/64", "dummy"), ("2001::/23", "IETF protocol assignment (Teredo, ORCHID, benchmarking)"),
        ("2001:db8::/32", "documentation"), ("2002::/16", "6to4"), ("2620:4f:8000::/48", "AS112 DNS sink"),
        ("3fff::/20", "documentation"), ("5f00::/16", "segment routing (SRv6)"), ("fc00::/7", "private (unique local)"),
        ("fe80::/10", "link-local"), ("fec0::/10", "site-local (deprecated)"), ("ff00::/8", "multicast"),
    ].map { (IPNetwork($0.0)!, $0.1) }

    /// The host's addresses from the system resolver (getaddrinfo, on a thread of its own:
    /// it blocks). Swift has no resolver of its own that returns the addresses.
    static func resolve(_ host: String) async throws -> [IPAddress] {
        try await onOwnThread {
            var hints = addrinfo()
            hints.ai_family = AF_UNSPEC
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var list: UnsafeMutablePointer<addrinfo>?
            let status = getaddrinfo(host, nil, &hints, &list)
            guard status == 0 else {
                if status == EAI_NONAME { return [] }
                throw Refusal(description: "the host \(host) cannot be resolved now (\(String(cString: gai_strerror(status)))); try again later")
            }
            defer { freeaddrinfo(list) }
            var addresses: [IPAddress] = []
            var entry = list
            while let current = entry?.pointee {
                if let address = current.ai_addr.flatMap(IPAddress.init(socketAddress:)), !addresses.contains(address) {
                    addresses.append(address)
                }
                entry = current.ai_next
            }
            return addresses
        }
    }
}

/// An IPv4 or IPv6 address as its bytes (4 or 16).
public struct IPAddress: Sendable, Equatable {
    public let bytes: [UInt8]

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// Parses the standard notations only ("192.0.2.1", "2001:db8::1").
    public init?(_ text: String) {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
        } else if inet_pton(AF_INET6, text, &v6) == 1 {
            bytes = withUnsafeBytes(of: &v6) { Array($0) }
        } else {
            return nil
        }
    }

    init?(socketAddress: UnsafeMutablePointer<sockaddr>) {
        switch Int32(socketAddress.pointee.sa_family) {
        case AF_INET:
            bytes = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                withUnsafeBytes(of: pointer.pointee.sin_addr) { Array($0) }
            }
        case AF_INET6:
            bytes = socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) }
            }
        default:
            return nil
        }
    }

    /// The standard notation.
    public var text: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        _ = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &buffer, socklen_t(buffer.count)) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d),
    /// NAT64 (64:ff9b::a.b.c.d) or 6to4 (2002:aabb:ccdd::) IPv6 address.
    var embeddedIPv4: IPAddress? {
        guard bytes.count == 16 else { return nil }
        let prefix = Array(bytes[0..<12])
        if prefix == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff] || prefix == [UInt8](repeating: 0, count: 12)
            || prefix == [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0] {
            let last = Array(bytes[12..<16])
            // ::/128 and ::1 are not IPv4-compatible forms; the reserved list names them.
            return prefix.allSatisfy({ $0 == 0 }) && last[0..<3].allSatisfy({ $0 == 0 }) && last[3] <= 1 ? nil : IPAddress(bytes: last)
        }
        if bytes[0] == 0x20, bytes[1] == 0x02 { return IPAddress(bytes: Array(bytes[2..<6])) }
        return nil
    }
}

/// An address block such as 10.0.0.0/8 or fd00::/8 (a single address is a /32 or /128).
public struct IPNetwork: Sendable, CustomStringConvertible {
    public let base: IPAddress
    public let prefixLength: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard let base = parts.first.flatMap(IPAddress.init) else { return nil }
        let bits = base.bytes.count * 8
        let length = parts.count == 2 ? Int(parts[1]) : bits
        guard let length, (0...bits).contains(length) else { return nil }
        self.base = base
        prefixLength = length
    }

    public var description: String { "\(base.text)/\(prefixLength)" }

    func contains(_ address: IPAddress) -> Bool {
        guard address.bytes.count == base.bytes.count else { return false }
        for bit in 0..<prefixLength {
            let mask = UInt8(0x80) >> UInt8(bit % 8)
            if address.bytes[bit / 8] & mask != base.bytes[bit / 8] & mask { return false }
        }
        return true
    }
}
