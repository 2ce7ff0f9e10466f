import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import PingmeshModel
import Testing

@testable import PingmeshCollector

/// A collector started without tokens takes uploads and serves its queries to anyone, and refuses
/// fault injection and manual probes until the operator gives an admin token or opens them.
@Suite("Collector: admin operations closed by default")
struct CollectorClosedAdminTests {
    static func tools() -> (OperatorTools, RecordingFaultControl) {
        let faults = RecordingFaultControl()
        return (OperatorTools(manualProbe: CannedManualProbe(), faults: faults), faults)
    }

    static let operations: [(HTTPRequest.Method, String, String?)] = [
        (.post, "/v1/probe", #"{"kind":"tcp","target":"127.0.0.1:9"}"#),
        (.post, "/v1/faults", #"{"kind":"tor-down","target":"t1"}"#),
        (.delete, "/v1/faults", nil),
    ]

    @Test("without tokens: faults and manual probes are refused with 401 naming the flags; uploads and reads are open")
    func closedWithoutTokens() async throws {
        let (tools, faults) = Self.tools()
        let store = try await TemporaryStore.sqlite()
        try await CollectorAPITests.app(store: store, tools: tools).test(.router) { client in
            for (method, uri, body) in Self.operations {
                try await client.execute(uri: uri, method: method, body: body.map { ByteBuffer(string: $0) }) { response in
                    #expect(response.status == .unauthorized, "\(method) \(uri)")
                    let text = String(buffer: response.body)
                    #expect(text.contains("--tokens") && text.contains("--insecure-open-admin"), "\(text)")
                }
            }
            #expect(faults.faults.isEmpty, "nothing was injected")
            try await client.execute(uri: "/v1/faults", method: .get) { #expect($0.status == .ok) }
            let batch = BatchFactory.batch(agent: "a1", windows: [BatchFactory.summary(to: "b1", start: BatchFactory.minute(2), rtts: [100])])
            try await client.execute(uri: "/v1/results", method: .post, body: try CollectorAPITests.body(batch)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(String(buffer: response.body).contains("pingmesh_collector_admin_open 0"))
            }
        }
    }

    @Test("--insecure-open-admin opens them, and the metric says so")
    func openedOnPurpose() async throws {
        let (tools, faults) = Self.tools()
        let store = try await TemporaryStore.sqlite()
        try await CollectorAPITests.app(store: store, tokens: AccessTokens(openAdmin: true), tools: tools).test(.router) { client in
            let (method, uri, body) = Self.operations[1]
            try await client.execute(uri: uri, method: method, body: body.map { ByteBuffer(string: $0) }) { response in
                #expect(response.status.code < 300, "\(String(buffer: response.body))")
            }
            #expect(faults.faults.count == 1)
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(String(buffer: response.body).contains("pingmesh_collector_admin_open 1"))
            }
        }
    }
}
