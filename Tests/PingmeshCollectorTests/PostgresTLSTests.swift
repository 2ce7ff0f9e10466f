import Foundation
import PingmeshModel
import PingmeshTestSupport
import Testing

@testable import PingmeshCollector

/// The store over TLS to a real server that offers it (`PostgresServer` makes it a certificate
/// for 127.0.0.1): verified against the server's CA, encrypted on the wire, and refused when the
/// certificate does not chain to the CA the URL names.
@Suite("PostgreSQL store over TLS")
struct PostgresTLSTests {
    /// Whether the connection the store hands out is encrypted, as the server sees it.
    static func encrypted(_ store: PostgresResultStore) async throws -> Bool? {
        try await store.reading { connection, logger in
            try await connection.single("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", as: Bool.self, logger: logger)
        }
    }

    @Test(
        "sslmode=verify-full with the server's CA: prepared, stored and read over an encrypted connection; require encrypts too; disable does not",
        .requires(.postgreSQL), .requires(.tool(.openssl)))
    func verified() async throws {
        let server = try await PostgresServer.shared()
        let ca = try #require(server.caFile, "the server was started without TLS")
        for (query, expected) in [("sslmode=verify-full&sslrootcert=\(ca)", true), ("sslmode=verify-ca&sslrootcert=\(ca)", true), ("sslmode=require", true), ("sslmode=disable", false)] {
            let url = try await server.createDatabase()
            let store = try PostgresResultStore(url: "\(url)?\(query)")
            try await store.prepare()
            #expect(try await store.ingest(StoreConformance.batch(id: "tls-1")), "\(query)")
            #expect(try await store.agents().map(\.name) == ["s1"], "\(query)")
            #expect(try await Self.encrypted(store) == expected, "\(query)")
            await store.shutdown()
        }
    }

    @Test("a server certificate that does not chain to sslrootcert is refused at prepare, naming --store", .requires(.postgreSQL), .requires(.tool(.openssl)))
    func wrongCA() async throws {
        let server = try await PostgresServer.shared()
        let pki = try await TestPKI.make()
        defer { pki.remove() }
        let url = try await server.createDatabase()
        let store = try PostgresResultStore(url: "\(url)?sslmode=verify-full&sslrootcert=\(pki.caFile)")
        let error = await #expect(throws: StoreError.self) { try await store.prepare() }
        #expect(error?.message.hasPrefix("--store") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("cannot connect") == true, "\(error?.message ?? "")")
        await store.shutdown()
    }
}
