import Foundation

/// A selector over labels, as Prometheus and Kubernetes write them: `dc=dc1,tor=~t1.*,app!=batch`.
/// Every requirement must hold. `=` and `!=` compare whole values (a missing label is the empty
/// string, so `k!=v` holds where `k` is absent); `=~` and `!~` match a regular expression against
/// the whole value. Used for services' SLAs, and for choosing agents.
public struct LabelSelector: Sendable, CustomStringConvertible {
    public enum Operator: String, Sendable, CaseIterable {
        case equal = "=", notEqual = "!=", matches = "=~", notMatches = "!~"
    }

    public struct Requirement: Sendable, CustomStringConvertible {
        public var label: String
        public var op: Operator
        public var value: String
        // Regex is not Sendable; the pattern is compiled once and only read.
        nonisolated(unsafe) let regex: Regex<AnyRegexOutput>?

        public var description: String { "\(label)\(op.rawValue)\(value)" }

        func holds(_ labels: [String: String]) -> Bool {
            let actual = labels[label] ?? ""
            switch op {
            case .equal: return actual == value
            case .notEqual: return actual != value
            case .matches: return (try? regex?.wholeMatch(in: actual)) != nil
            case .notMatches: return (try? regex?.wholeMatch(in: actual)) == nil
            }
        }
    }

    public var requirements: [Requirement]

    public var description: String { requirements.map(\.description).joined(separator: ",") }

    /// Parses `text`; the error names the clause and why (the caller adds the field).
    public init(parsing text: String) throws(LabelSelectorError) {
        requirements = []
        for clause in text.split(separator: ",", omittingEmptySubsequences: false).map({ String($0).trimmed }) {
            guard !clause.isEmpty else { throw LabelSelectorError("empty clause in '\(text)'") }
            // The longest operator first: "!=" and "=~" contain "=".
            guard let (op, range) = Self.operatorIn(clause) else {
                throw LabelSelectorError("'\(clause)' has no operator (=, !=, =~ or !~)")
            }
            let label = String(clause[..<range.lowerBound]).trimmed
            let value = String(clause[range.upperBound...]).trimmed
            guard !label.isEmpty, label.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." || $0 == "/" }) else {
                throw LabelSelectorError("'\(clause)': '\(label)' is not a label name")
            }
            var regex: Regex<AnyRegexOutput>?
            if op == .matches || op == .notMatches {
                do {
                    regex = try Regex(value)
                } catch {
                    throw LabelSelectorError("'\(clause)': '\(value)' is not a regular expression")
                }
            }
            requirements.append(Requirement(label: label, op: op, value: value, regex: regex))
        }
    }

    /// Whether every requirement holds for `labels`.
    public func matches(_ labels: [String: String]) -> Bool { requirements.allSatisfy { $0.holds(labels) } }

    private static func operatorIn(_ clause: String) -> (Operator, Range<String.Index>)? {
        var best: (Operator, Range<String.Index>)?
        for op in [Operator.notEqual, .matches, .notMatches, .equal] {
            guard let range = clause.range(of: op.rawValue) else { continue }
            // The earliest operator wins; at one position, the two-character one.
            if best == nil || range.lowerBound < best!.1.lowerBound { best = (op, range) }
        }
        return best
    }
}

public struct LabelSelectorError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension String {
    fileprivate var trimmed: String {
        var text = Substring(self)
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}
