/// Reads a DNS message from its wire bytes, following compression pointers (RFC 1035 4.1.4).
struct DNSMessageReader {
    private let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func readMessage() throws(DNSWireError) -> DNSMessage {
        let id = try readUInt16()
        let flags = try readUInt16()
        let counts = [try readUInt16(), try readUInt16(), try readUInt16(), try readUInt16()]
        var message = DNSMessage(
            id: id, isResponse: flags & 0x8000 != 0, opcode: UInt8((flags >> 11) & 0x0f), isAuthoritative: flags & 0x0400 != 0,
            isTruncated: flags & 0x0200 != 0, recursionDesired: flags & 0x0100 != 0, recursionAvailable: flags & 0x0080 != 0,
            responseCode: flags & 0x000f)
        for _ in 0..<counts[0] {
            let name = try readName()
            message.questions.append(DNSQuestion(name: name, type: try readUInt16(), recordClass: try readUInt16()))
        }
        // A truncated UDP reply may stop anywhere after the header: keep what was read.
        let partialAllowed = message.isTruncated
        do throws(DNSWireError) {
            message.answers = try readRecords(Int(counts[1]))
            message.authority = try readRecords(Int(counts[2]))
            message.additional = try readRecords(Int(counts[3]))
        } catch {
            if !partialAllowed { throw error }
        }
        return message
    }

    private mutating func readRecords(_ count: Int) throws(DNSWireError) -> [DNSResourceRecord] {
        var records: [DNSResourceRecord] = []
        for _ in 0..<count {
            let name = try readName()
            let type = try readUInt16()
            let recordClass = try readUInt16()
            let ttl = UInt32(try readUInt16()) << 16 | UInt32(try readUInt16())
            let length = Int(try readUInt16())
            try need(length)
            let end = offset + length
            let data = try readData(type: type, length: length)
            guard offset == end else { throw .badRecordData(type: type, length: length) }
            records.append(DNSResourceRecord(name: name, type: type, recordClass: recordClass, ttl: ttl, data: data))
        }
        return records
    }

    private mutating func readData(type: UInt16, length: Int) throws(DNSWireError) -> DNSRecordData {
        let end = offset + length
        switch type {
        case 1, 28:
            guard length == (type == 1 ? 4 : 16) else { throw .badRecordData(type: type, length: length) }
            let address = Array(bytes[offset..<end])
            offset = end
            return type == 1 ? .ipv4(address) : .ipv6(address)
        case 2, 5:
            return .name(try readName())
        case 15:
            let preference = try readUInt16()
            return .mx(preference: preference, exchange: try readName())
        case 33:
            let (priority, weight, port) = (try readUInt16(), try readUInt16(), try readUInt16())
            return .srv(priority: priority, weight: weight, port: port, target: try readName())
        case 16:
            var strings: [String] = []
            while offset < end {
                let count = Int(bytes[offset])
                guard offset + 1 + count <= end else { throw .badRecordData(type: type, length: length) }
                strings.append(String(decoding: bytes[(offset + 1)..<(offset + 1 + count)], as: UTF8.self))
                offset += 1 + count
            }
            return .text(strings)
        default:
            let raw = Array(bytes[offset..<end])
            offset = end
            return .other(raw)
        }
    }

    /// A name, dot-separated without the trailing dot. A pointer must point before the label
    /// that holds it, so every jump goes strictly backwards and a loop cannot form (a crafted
    /// reply must not hang or crash the agent).
    mutating func readName() throws(DNSWireError) -> String {
        var labels: [String] = []
        var position = offset
        var resumeAt: Int?
        var nameBytes = 1
        var lowestPointerTarget = position
        while true {
            guard position < bytes.count else { throw .truncated(needed: 1, at: position) }
            let length = bytes[position]
            switch length & 0xc0 {
            case 0x00:
                if length == 0 {
                    offset = resumeAt ?? position + 1
                    return labels.joined(separator: ".")
                }
                let start = position + 1
                guard start + Int(length) <= bytes.count else {
                    throw .truncated(needed: start + Int(length) - bytes.count, at: bytes.count)
                }
                nameBytes += Int(length) + 1
                guard nameBytes <= 255 else { throw .nameTooLong }
                labels.append(String(decoding: bytes[start..<(start + Int(length))], as: UTF8.self))
                position = start + Int(length)
            case 0xc0:
                guard position + 1 < bytes.count else { throw .truncated(needed: 1, at: bytes.count) }
                let target = Int(length & 0x3f) << 8 | Int(bytes[position + 1])
                guard target < bytes.count else { throw .pointerOutOfRange(target, at: position) }
                guard target < lowestPointerTarget else { throw .pointerLoop(at: position) }
                if resumeAt == nil { resumeAt = position + 2 }
                lowestPointerTarget = target
                position = target
            default:
                throw .badLabelType(length, at: position)
            }
        }
    }

    private func need(_ count: Int) throws(DNSWireError) {
        guard offset + count <= bytes.count else { throw .truncated(needed: offset + count - bytes.count, at: bytes.count) }
    }

    mutating func readUInt16() throws(DNSWireError) -> UInt16 {
        try need(2)
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }
}

extension DNSMessage {
    /// Decodes a whole message; a reply with TC set may end early, and keeps the records read.
    public init(decoding bytes: [UInt8]) throws(DNSWireError) {
        var reader = DNSMessageReader(bytes)
        self = try reader.readMessage()
    }
}
