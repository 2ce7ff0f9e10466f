/// A DNS message (RFC 1035 4.1): the header's fields a probe reads and the four sections.
public struct DNSMessage: Sendable, Hashable {
    public var id: UInt16
    public var isResponse: Bool
    public var opcode: UInt8
    public var isAuthoritative: Bool
    /// TC: the answer did not fit the UDP datagram; the full one needs TCP.
    public var isTruncated: Bool
    public var recursionDesired: Bool
    public var recursionAvailable: Bool
    /// The 4-bit RCODE of the header (no EDNS extension: a probe sends no OPT record).
    public var responseCode: UInt16
    public var questions: [DNSQuestion]
    public var answers: [DNSResourceRecord]
    public var authority: [DNSResourceRecord]
    public var additional: [DNSResourceRecord]

    public init(
        id: UInt16, isResponse: Bool = false, opcode: UInt8 = 0, isAuthoritative: Bool = false, isTruncated: Bool = false,
        recursionDesired: Bool = true, recursionAvailable: Bool = false, responseCode: UInt16 = 0, questions: [DNSQuestion] = [],
        answers: [DNSResourceRecord] = [], authority: [DNSResourceRecord] = [], additional: [DNSResourceRecord] = []
    ) {
        self.id = id
        self.isResponse = isResponse
        self.opcode = opcode
        self.isAuthoritative = isAuthoritative
        self.isTruncated = isTruncated
        self.recursionDesired = recursionDesired
        self.recursionAvailable = recursionAvailable
        self.responseCode = responseCode
        self.questions = questions
        self.answers = answers
        self.authority = authority
        self.additional = additional
    }

    /// A standard query with one question and recursion desired (a resolver then answers from its
    /// cache or upstream; an authoritative server ignores the bit).
    public static func query(id: UInt16, name: String, type: UInt16) -> DNSMessage {
        DNSMessage(id: id, questions: [DNSQuestion(name: name, type: type)])
    }

    /// The header's second 16 bits: QR, opcode, AA, TC, RD, RA, Z (zero), RCODE.
    var flags: UInt16 {
        var bits: UInt16 = 0
        if isResponse { bits |= 0x8000 }
        bits |= UInt16(opcode & 0x0f) << 11
        if isAuthoritative { bits |= 0x0400 }
        if isTruncated { bits |= 0x0200 }
        if recursionDesired { bits |= 0x0100 }
        if recursionAvailable { bits |= 0x0080 }
        return bits | (responseCode & 0x000f)
    }
}
