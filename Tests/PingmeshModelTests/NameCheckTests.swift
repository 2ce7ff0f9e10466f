import Testing

@testable import PingmeshModel

/// The byte-level checks of names and targets in uploads agree with Unicode's own properties.
@Suite("Name and control-character checks")
struct NameCheckTests {
    @Test("control characters by bytes: exactly Unicode's Cc category, tab allowed")
    func controlMatchesUnicode() {
        for value in UInt32(0)...0x3000 {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let text = "a\(Character(scalar))b"
            let expected = scalar.properties.generalCategory == .control && scalar != "\t"
            #expect(ResultBatch.hasControl(text) == expected, "U+\(String(value, radix: 16))")
        }
        #expect(!ResultBatch.hasControl("tcp://10.0.0.1:9301"))
        #expect(!ResultBatch.hasControl("dc1-tör2 名前"))
    }

    @Test("white space by bytes for ASCII names, by characters for the others")
    func whitespace() {
        for text in ["srv 1", "srv\t1", "srv\n1", "srv\r1", "a\u{0B}b", "a\u{0C}b", "名前\u{3000}x", "é\u{00A0}x", "x\u{2028}y"] {
            #expect(ResultBatch.hasWhitespace(text), "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
        }
        for text in ["srv-00001", "dc1-tor2.example", "名前", "é"] {
            #expect(!ResultBatch.hasWhitespace(text), "\(text)")
        }
    }
}
