import Testing

@testable import PingmeshModel

@Suite("Addresses")
struct AddressTests {
    @Test(arguments: ["10.0.0.1", "127.1.2.3", "255.255.255.255", "0.0.0.0"])
    func ipv4(_ text: String) { #expect(IPAddressFamily.of(literal: text) == .ipv4) }

    @Test(arguments: ["::1", "2001:db8::1", "fe80::1%eth0", "::ffff:10.0.0.1", "1:2:3:4:5:6:7:8", "::"])
    func ipv6(_ text: String) { #expect(IPAddressFamily.of(literal: text) == .ipv6) }

    @Test(arguments: ["10.0.0.256", "10.0.0", "010.0.0.1", "1:2:3:4:5:6:7:8:9", "1::2::3", "host", "", "12345::"])
    func notLiterals(_ text: String) { #expect(IPAddressFamily.of(literal: text) == nil) }

    @Test func hostPortSplitting() {
        #expect(HostPort.split("10.0.0.1:80")! == ("10.0.0.1", 80))
        #expect(HostPort.split("[::1]:9301")! == ("::1", 9301))
        #expect(HostPort.split("::1")! == ("::1", nil))
        #expect(HostPort.split("host")! == ("host", nil))
        #expect(HostPort.split("host:x") == nil)
        #expect(HostPort.split("[::1") == nil)
        #expect(HostPort.join("::1", 80) == "[::1]:80")
    }

    @Test func durations() {
        #expect(ConfigDuration(parsing: "250us")?.duration == .microseconds(250))
        #expect(ConfigDuration(parsing: "1.5s")?.duration == .milliseconds(1500))
        #expect(ConfigDuration(parsing: "2m")?.duration == .seconds(120))
        #expect(ConfigDuration(parsing: "10")?.duration == .seconds(10))
        #expect(ConfigDuration(parsing: "-1s") == nil)
        #expect(ConfigDuration(parsing: "soon") == nil)
        #expect(ConfigDuration(.milliseconds(5)).description == "5ms")
    }
}
