import PingmeshModel

/// Why bytes are not a DNS message we can use; the description goes into a probe's detail.
public enum DNSWireError: Error, Equatable, CustomStringConvertible {
    case truncated(needed: Int, at: Int)
    case labelTooLong(Int)
    case nameTooLong
    case badLabelType(UInt8, at: Int)
    case pointerLoop(at: Int)
    case pointerOutOfRange(Int, at: Int)
    case badRecordData(type: UInt16, length: Int)

    public var description: String {
        switch self {
        case .truncated(let needed, let offset): return "message ends at byte \(offset), \(needed) more bytes expected"
        case .labelTooLong(let length): return "label of \(length) bytes (at most 63)"
        case .nameTooLong: return "name longer than 255 bytes"
        case .badLabelType(let byte, let offset): return "unknown label type 0x\(String(byte, radix: 16)) at byte \(offset)"
        case .pointerLoop(let offset): return "compression pointer at byte \(offset) does not point backwards (a loop)"
        case .pointerOutOfRange(let target, let offset): return "compression pointer at byte \(offset) points past the message (\(target))"
        case .badRecordData(let type, let length):
            return "\(DNSRecordType.name(of: type)) record data of \(length) bytes does not parse"
        }
    }
}
