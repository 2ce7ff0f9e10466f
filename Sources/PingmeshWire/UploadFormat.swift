import Foundation

/// The body formats of `POST /v1/results`. JSON is what every collector reads; the protobuf
/// body (proto/pingmesh/results/v1/results.proto) costs a fraction of its CPU to decode, and is
/// sent only to collectors that list it in `Accept-Post`.
public enum UploadFormat: String, Sendable, Hashable, CaseIterable {
    case json
    case protobuf

    /// The media type an upload in this format is sent with.
    public var contentType: String {
        switch self {
        case .json: "application/json"
        case .protobuf: "application/x-protobuf"
        }
    }

    /// The format a `Content-Type` names, parameters and case ignored; nil for any other type.
    public init?(contentType: String) {
        let media = contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        switch media {
        case "application/json": self = .json
        case "application/x-protobuf", "application/protobuf", "application/vnd.google.protobuf": self = .protobuf
        default: return nil
        }
    }

    /// The `Accept-Post` value a collector answers with: every format it reads.
    public static let acceptPost = allCases.map(\.contentType).joined(separator: ", ")

    /// The formats an `Accept-Post` value lists.
    public static func offered(in acceptPost: String) -> Set<UploadFormat> {
        Set(acceptPost.split(separator: ",").compactMap { UploadFormat(contentType: String($0)) })
    }
}
