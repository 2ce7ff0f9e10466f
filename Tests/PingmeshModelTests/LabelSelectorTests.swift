import Testing

@testable import PingmeshModel

@Suite("Label selectors")
struct LabelSelectorTests {
    let web = ["name": "s1", "dc": "dc1", "tor": "t12", "app": "web"]
    let batch = ["name": "s2", "dc": "dc2", "tor": "t3", "app": "batch"]

    @Test("=, !=, =~ and !~, every clause must hold; a missing label is the empty string")
    func semantics() throws {
        func picks(_ text: String) throws -> [Bool] {
            let selector = try LabelSelector(parsing: text)
            return [selector.matches(web), selector.matches(batch)]
        }
        #expect(try picks("dc=dc1") == [true, false])
        #expect(try picks("app!=batch") == [true, false])
        #expect(try picks("tor=~t1.*") == [true, false])
        #expect(try picks("tor=~t1") == [false, false], "a regular expression matches the whole value")
        #expect(try picks("tor!~t1.*, dc = dc2") == [false, true])
        #expect(try picks("rack!=r1") == [true, true], "absent is not r1")
        #expect(try picks("rack=") == [true, true], "absent is the empty string")
        #expect(try picks("dc=~dc[12],app=web") == [true, false])
        #expect(try LabelSelector(parsing: "tor=~t1.*,app!=batch").description == "tor=~t1.*,app!=batch")
    }

    @Test("bad selectors say which clause and why", arguments: [
        ("dc", "'dc' has no operator"), ("dc=dc1,", "empty clause"), ("=dc1", "'' is not a label name"),
        ("tor=~t1(", "is not a regular expression"), ("d c=1", "'d c' is not a label name"),
    ])
    func refused(_ text: String, _ reason: String) {
        #expect {
            _ = try LabelSelector(parsing: text)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }
}
