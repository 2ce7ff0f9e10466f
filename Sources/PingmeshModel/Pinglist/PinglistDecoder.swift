import Foundation
import Yams

/// Reads a pinglist from YAML or JSON, in the native format or pingmesh-agent's, strictly.
public enum PinglistDecoder {
    /// The formats a pinglist file may be written in.
    public enum Format: String, Sendable {
        case native
        case pingmeshAgent = "pingmesh-agent"
    }

    /// Decodes and validates `data`; `file` names the source in every message.
    public static func decode(_ data: Data, file: String) throws(ConfigError) -> (pinglist: Pinglist, format: Format) {
        let version = StableHash.hex(data)
        let keys = try ConfigDocument.topLevelKeys(data, file: file)
        if keys.contains("mesh") || keys.contains("setting") {
            let compat = try ConfigDocument.decode(CompatPinglistFile.self, from: data, file: file)
            return (try compat.native.validated(file: file, contentVersion: version), .pingmeshAgent)
        }
        let native = try ConfigDocument.decode(PinglistFile.self, from: data, file: file)
        return (try native.validated(file: file, contentVersion: version), .native)
    }

    /// Reads, decodes and validates the file at `path`.
    public static func load(path: String) throws(ConfigError) -> (pinglist: Pinglist, format: Format) {
        let data = try ConfigDocument.read(path: path)
        return try decode(data, file: path)
    }
}

/// Decoding shared by every configuration file: JSON when it looks like JSON, YAML otherwise,
/// with every failure turned into a `ConfigError` that names the file and the field.
public enum ConfigDocument {
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, file: String) throws(ConfigError) -> T {
        do {
            if looksLikeJSON(data) {
                return try JSONDecoder().decode(T.self, from: data)
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw ConfigError(file: file, issues: [.init(path: "", reason: "the file is not UTF-8 text")])
            }
            return try YAMLDecoder().decode(T.self, from: text)
        } catch let error as ConfigError {
            throw error
        } catch let error as DecodingError {
            throw ConfigError(file: file, issues: [syntaxAware(error, data: data)])
        } catch let error as YamlError {
            throw ConfigError(file: file, issues: [.init(path: "", reason: "not valid YAML: \(error)")])
        } catch {
            throw ConfigError(file: file, issues: [.init(path: "", reason: "\(error)")])
        }
    }

    /// The bytes of the file at `path`; a file that cannot be read is a `ConfigError` naming it.
    public static func read(path: String) throws(ConfigError) -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigError(file: path, issues: [.init(path: "", reason: "cannot read the file (\(error.localizedDescription))")])
        }
    }

    /// The keys of the top-level mapping, to tell file formats apart before decoding strictly.
    public static func topLevelKeys(_ data: Data, file: String) throws(ConfigError) -> Set<String> {
        try decode(TopLevelKeys.self, from: data, file: file).keys
    }

    static func looksLikeJSON(_ data: Data) -> Bool {
        data.first { !($0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09) } == UInt8(ascii: "{")
    }

    /// Syntax errors arrive as `dataCorrupted` at the root; say so plainly, with the parser's own
    /// account (line and column) rather than Foundation's generic "could not be completed".
    private static func syntaxAware(_ error: DecodingError, data: Data) -> ConfigIssue {
        if case .dataCorrupted(let context) = error, context.codingPath.isEmpty {
            if let underlying = context.underlyingError {
                return ConfigIssue(path: "", reason: "not valid JSON or YAML: \(parserMessage(underlying))")
            }
            if context.debugDescription.contains("not valid JSON") {
                // The decoder says only that the JSON is bad; the serializer says where.
                let detail = (try? JSONSerialization.jsonObject(with: data)).map { _ in context.debugDescription }
                return ConfigIssue(path: "", reason: "not valid JSON: \(detail ?? jsonSyntaxDetail(data))")
            }
        }
        return error.configIssue
    }

    private static func jsonSyntaxDetail(_ data: Data) -> String {
        do {
            _ = try JSONSerialization.jsonObject(with: data)
            return "a syntax error"
        } catch {
            return parserMessage(error)
        }
    }

    /// Yams' errors describe themselves with line and column; Foundation's JSON errors keep
    /// theirs under the debug-description key.
    /// Each line is cut at 160 characters: the parser quotes the offending source line, which in
    /// a hostile file can be megabytes long.
    private static func parserMessage(_ error: any Error) -> String {
        var message = String(describing: error)
        if !(error is YamlError), let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String { message = detail }
        return message.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.count > 160 ? $0.prefix(160) + "..." : $0 }.joined(separator: "\n")
    }

    private struct TopLevelKeys: Decodable {
        var keys: Set<String>
        init(from decoder: any Decoder) throws {
            guard let container = try? decoder.container(keyedBy: AnyCodingKey.self) else {
                throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "the document must be a mapping of fields"))
            }
            keys = Set(container.allKeys.map(\.stringValue))
        }
    }
}
