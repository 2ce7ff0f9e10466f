extension DNSMessage {
    /// The header and question section in wire format. Only what a query carries is written:
    /// a probe sends questions and reads records, so the record sections' counts are zero.
    public func encodedQuery() throws(DNSWireError) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(12 + questions.reduce(0) { $0 + $1.name.utf8.count + 6 })
        for field in [id, flags, UInt16(questions.count), 0, 0, 0] { bytes.appendBigEndian(field) }
        for question in questions {
            try bytes.appendName(question.name)
            bytes.appendBigEndian(question.type)
            bytes.appendBigEndian(question.recordClass)
        }
        return bytes
    }
}

extension [UInt8] {
    mutating func appendBigEndian(_ value: UInt16) {
        append(UInt8(value >> 8))
        append(UInt8(value & 0xff))
    }

    /// A name as length-prefixed labels ending in the root's empty label; never compressed
    /// (a query holds one name, so there is nothing to point back to).
    mutating func appendName(_ name: String) throws(DNSWireError) {
        let labels = DNSName.normalized(name).split(separator: ".", omittingEmptySubsequences: false)
        var written = 1
        if !(labels.count == 1 && labels[0].isEmpty) {
            for label in labels {
                let utf8 = Array(label.utf8)
                guard (1...63).contains(utf8.count) else { throw .labelTooLong(utf8.count) }
                written += utf8.count + 1
                guard written <= 255 else { throw .nameTooLong }
                append(UInt8(utf8.count))
                append(contentsOf: utf8)
            }
        }
        append(0)
    }
}
