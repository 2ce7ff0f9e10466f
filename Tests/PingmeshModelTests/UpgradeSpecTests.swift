import Foundation
import Testing

@testable import PingmeshModel

@Suite("Upgrade announcement and rollout settings")
struct UpgradeSpecTests {
    static let digest = String(repeating: "ab", count: 32)

    @Test("YAML with only the announcement gets the default rollout: 5 at once, 300 s, stop at the first failure")
    func defaults() throws {
        let yaml = "version: 0.3.0\nurl: https://releases.example/pingmesh\nsha256: \(Self.digest)\n"
        let spec = try UpgradeSpec.decode(Data(yaml.utf8), file: "upgrade.yaml")
        #expect(spec.announcement == UpgradeAnnouncement(version: "0.3.0", url: "https://releases.example/pingmesh", sha256: Self.digest))
        #expect(spec.rollout == UpgradeRolloutSettings(maxConcurrent: 5, healthTimeoutSeconds: 300, maxFailures: 1))
        #expect(!spec.announcement.force)
    }

    @Test("JSON with every field round-trips")
    func roundTrip() throws {
        let json = #"""
            {"version": "0.3.0", "url": "http://127.0.0.1:8000/pingmesh", "sha256": "\#(Self.digest)", "force": true,
             "rollout": {"max_concurrent": 2, "health_timeout_seconds": 60, "max_failures": 3}}
            """#
        let spec = try UpgradeSpec.decode(Data(json.utf8), file: "body")
        #expect(spec.announcement.force && spec.rollout.maxConcurrent == 2 && spec.rollout.healthTimeoutSeconds == 60)
        #expect(spec.rollout.maxFailures == 3)
        let again = try UpgradeSpec.decode(try JSONEncoder().encode(spec), file: "again")
        #expect(again == spec)
    }

    @Test(
        "each bad field is named in the error",
        arguments: [
            (UpgradeSpec(announcement: .init(version: "", url: "https://r.example/p", sha256: digest)), "version"),
            (UpgradeSpec(announcement: .init(version: " 1.0", url: "https://r.example/p", sha256: digest)), "version"),
            (UpgradeSpec(announcement: .init(version: "1.0", url: "ftp://r.example/p", sha256: digest)), "url"),
            (UpgradeSpec(announcement: .init(version: "1.0", url: "not a url", sha256: digest)), "url"),
            (UpgradeSpec(announcement: .init(version: "1.0", url: "https://r.example/p", sha256: "abc")), "sha256"),
            (
                UpgradeSpec(announcement: .init(version: "1.0", url: "https://r.example/p", sha256: String(repeating: "zz", count: 32))),
                "sha256"
            ),
            (
                UpgradeSpec(
                    announcement: .init(version: "1.0", url: "https://r.example/p", sha256: digest), rollout: .init(maxConcurrent: 0)),
                "rollout.max_concurrent"
            ),
            (
                UpgradeSpec(
                    announcement: .init(version: "1.0", url: "https://r.example/p", sha256: digest), rollout: .init(healthTimeoutSeconds: 0)
                ),
                "rollout.health_timeout_seconds"
            ),
            (
                UpgradeSpec(
                    announcement: .init(version: "1.0", url: "https://r.example/p", sha256: digest), rollout: .init(maxFailures: 0)),
                "rollout.max_failures"
            ),
        ])
    func namesTheField(_ spec: UpgradeSpec, _ field: String) throws {
        let issues = spec.validationIssues()
        #expect(issues.map(\.path) == [field], "\(issues)")
        let encoded = try JSONEncoder().encode(spec)
        #expect(throws: ConfigError.self) { try UpgradeSpec.decode(encoded, file: "upgrade.json") }
        do {
            _ = try UpgradeSpec.decode(encoded, file: "upgrade.json")
        } catch {
            #expect(error.description.hasPrefix("upgrade.json: \(field): "), "\(error)")
        }
    }

    @Test("a missing required field is named")
    func missingField() {
        do {
            _ = try UpgradeSpec.decode(Data("version: 1.0\nurl: https://r.example/p\n".utf8), file: "upgrade.yaml")
            Issue.record("decoded without sha256")
        } catch {
            #expect(error.description.contains("sha256"), "\(error)")
        }
    }
}
