import Foundation

extension Data {
    /// base64url without padding, as JWTs write their parts.
    init?(base64URL text: String) {
        let standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        self.init(base64Encoded: standard.padding(toLength: (standard.count + 3) / 4 * 4, withPad: "=", startingAt: 0))
    }
}
