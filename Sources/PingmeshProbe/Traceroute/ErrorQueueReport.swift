import CPingmeshLinux

#if canImport(Glibc)
    import Glibc
#endif

/// One message from a socket's error queue: an ICMP error about a probe and who sent it.
struct ErrorQueueReport: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case local
        case timeExceeded
        case portUnreachable
        case unreachable
        case otherICMP
    }

    var kind: Kind
    /// The router or host that sent the ICMP message; nil when the kernel gave none.
    var offender: String?
    /// The start of what the ICMP message quoted of the probe past its transport header (UDP).
    var payload: [UInt8]

    /// The next message on `fd`'s error queue, or nil when it is empty.
    static func next(on fd: Int32) -> ErrorQueueReport? {
        while true {
            var error = pm_trace_error()
            var text = [CChar](repeating: 0, count: 64)
            let read = pm_trace_read_error(fd, &error, &text, Int32(text.count))
            if read < 0 { return nil }
            // A message without an extended error carries nothing to match; read the next one.
            guard read == 1 else { continue }
            let offender = String(decoding: text.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let payload = withUnsafeBytes(of: error.payload) { Array($0.prefix(Int(error.payload_length))) }
            return ErrorQueueReport(kind: Kind(error.kind), offender: offender.isEmpty ? nil : offender, payload: payload)
        }
    }

    /// Empties the error queue and the pending socket error, so stale answers to earlier probes
    /// (late ICMP errors) cannot pass for the next probe's.
    static func drain(_ fd: Int32) {
        while next(on: fd) != nil {}
        _ = pm_socket_error(fd)
    }
}

extension ErrorQueueReport.Kind {
    init(_ code: Int32) {
        switch code {
        case PM_TRACE_TIME_EXCEEDED: self = .timeExceeded
        case PM_TRACE_PORT_UNREACHABLE: self = .portUnreachable
        case PM_TRACE_UNREACHABLE: self = .unreachable
        case PM_TRACE_OTHER_ICMP: self = .otherICMP
        default: self = .local
        }
    }
}
