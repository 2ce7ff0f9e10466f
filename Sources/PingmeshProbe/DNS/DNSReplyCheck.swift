import NIOCore
import PingmeshModel

/// Whether a DNS reply is the one asked for and a good answer: the id and question match, it is
/// complete, its RCODE is a valid one and its records hold what the target expects. Every way a
/// reply can be wrong is the `error` class with a detail that names it, so an operator tells a
/// malformed reply from NXDOMAIN from a changed record at a glance.
enum DNSReplyCheck {
    /// For UDP: whether a datagram is the reply. One with another id is a stray (a late reply to
    /// an earlier query, a spoofing attempt) and is ignored, as resolvers do; bytes that do not
    /// parse as DNS end the probe as malformed, since nothing else answers on this socket.
    static func verdict(for bytes: [UInt8], query: DNSMessage) -> DatagramExchange.Verdict<Result<DNSMessage, DNSWireError>> {
        guard bytes.count >= 2 else { return .accept(.failure(.truncated(needed: 12 - bytes.count, at: bytes.count))) }
        guard UInt16(bytes[0]) << 8 | UInt16(bytes[1]) == query.id else { return .ignore }
        let message: DNSMessage
        do throws(DNSWireError) {
            message = try DNSMessage(decoding: bytes)
        } catch {
            return .accept(.failure(error))
        }
        // A reply with our id but another question is not ours either (RFC 5452 9.1).
        if message.isResponse, let asked = query.questions.first, let echoed = message.questions.first, !asked.matches(echoed) {
            return .ignore
        }
        return .accept(.success(message))
    }

    static func outcome(
        for reply: Result<DNSMessage, DNSWireError>, query: DNSMessage, options: DNSProbeOptions, rtt: Duration, delay: Duration
    ) -> ProbeOutcome {
        let message: DNSMessage
        switch reply {
        case .failure(let error): return failed(rtt, "malformed reply: \(error)")
        case .success(let decoded): message = decoded
        }
        guard message.isResponse else { return failed(rtt, "malformed reply: QR bit clear (a query, not a response)") }
        guard message.id == query.id else { return failed(rtt, "malformed reply: id \(message.id), asked with \(query.id)") }
        if let asked = query.questions.first, !message.questions.contains(where: asked.matches) {
            let echoed = message.questions.first.map { "\($0.name) \(DNSRecordType.name(of: $0.type))" } ?? "none"
            return failed(rtt, "malformed reply: question \(echoed), asked \(asked.name) \(DNSRecordType.name(of: asked.type))")
        }
        if message.isTruncated {
            return failed(rtt, "truncated reply (TC): the answer does not fit a UDP datagram; probe with transport tcp")
        }
        let code = DNSResponseCode(rawValue: message.responseCode)
        guard options.validResponseCodes.contains(code) else {
            let valid = options.validResponseCodes.map(\.name).sorted().joined(separator: ", ")
            return failed(rtt, "rcode \(code.name) (valid: \(valid))")
        }
        let answers = message.answers.map(\.data.presentation)
        if let mismatch = mismatch(answers: answers, options: options) { return failed(rtt, "answer mismatch: \(mismatch)") }
        var outcome = ProbeOutcome.answered(rtt: rtt, delay: delay)
        outcome.detail = summary(code: code, answers: answers)
        return outcome
    }

    /// What the answers lack, or nil when they hold every expected value and match every pattern.
    static func mismatch(answers: [String], options: DNSProbeOptions) -> String? {
        let got = Set(answers.map(normalized))
        let answered = answers.isEmpty ? "no answers" : "got \(answers.prefix(5).joined(separator: ", "))"
        for expected in options.expectedAnswers where !got.contains(normalized(expected)) {
            return "expected \(expected), \(answered)"
        }
        for pattern in options.answerPatterns {
            // The pattern was checked when the pinglist was loaded; a failure here is a bug, not a mismatch.
            guard let regex = try? Regex(pattern) else { return "pattern '\(pattern)' does not compile" }
            if !answers.contains(where: { $0.contains(regex) }) { return "no answer matches /\(pattern)/, \(answered)" }
        }
        return nil
    }

    /// Answers compare case-insensitively, with or without a final dot, and IP addresses in
    /// canonical form (`FD00:0::1` is `fd00::1`).
    static func normalized(_ text: String) -> String {
        if let canonical = try? SocketAddress(ipAddress: text, port: 0).ipAddress { return canonical }
        return DNSName.normalized(text.lowercased())
    }

    private static func failed(_ rtt: Duration, _ detail: String) -> ProbeOutcome {
        ProbeOutcome(result: .error, rtt: rtt, detail: detail)
    }

    /// `NOERROR: 10.0.0.1, 10.0.0.2`: what `pingmesh probe` shows beside an answered probe.
    private static func summary(code: DNSResponseCode, answers: [String]) -> String {
        guard !answers.isEmpty else { return "\(code.name), no answers" }
        let shown = answers.prefix(4).joined(separator: ", ")
        return "\(code.name): \(shown)\(answers.count > 4 ? ", +\(answers.count - 4) more" : "")"
    }
}
