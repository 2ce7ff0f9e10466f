import Foundation
import NIOCore
import PingmeshModel

/// Judges a complete response against a target's options: the status first, then the body's
/// patterns, as blackbox_exporter does. Holds the body only when a pattern needs it.
struct HTTPResponseValidator {
    private let options: HTTPProbeOptions
    private let mustNotMatch: [(pattern: String, regex: NSRegularExpression)]
    private let mustMatch: [(pattern: String, regex: NSRegularExpression)]

    init(_ options: HTTPProbeOptions) {
        self.options = options
        // The pinglist was validated, so every pattern compiles; one that did not would be skipped
        // rather than crash the agent.
        mustNotMatch = options.failIfBodyMatchesRegexp.compactMap { pattern in
            (try? NSRegularExpression(pattern: pattern)).map { (pattern, $0) }
        }
        mustMatch = options.failIfBodyNotMatchesRegexp.compactMap { pattern in
            (try? NSRegularExpression(pattern: pattern)).map { (pattern, $0) }
        }
    }

    /// Whether the body must be kept for `validate`.
    var needsBody: Bool { !mustNotMatch.isEmpty || !mustMatch.isEmpty }

    var bodySizeLimit: Int { options.bodySizeLimit }

    /// nil when the response passes; otherwise the failed check and a detail naming it.
    func validate(status: Int, body: ByteBuffer?) -> (failure: HTTPProbeFailure, detail: String)? {
        guard options.accepts(status: status) else {
            return (.statusNotAccepted, "status \(status) not in \(options.validStatusCodes.listDescription)")
        }
        guard needsBody else { return nil }
        // Bodies are matched as text; bytes that are not UTF-8 become U+FFFD and match nothing.
        let text = body.map { String(decoding: $0.readableBytesView, as: UTF8.self) } ?? ""
        let range = NSRange(text.startIndex..., in: text)
        for (pattern, regex) in mustNotMatch where regex.firstMatch(in: text, range: range) != nil {
            return (.bodyMatched, "body matched '\(pattern)'")
        }
        for (pattern, regex) in mustMatch where regex.firstMatch(in: text, range: range) == nil {
            return (.bodyNotMatched, "body did not match '\(pattern)'")
        }
        return nil
    }
}
