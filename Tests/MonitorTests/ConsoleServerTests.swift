@testable import Console
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Monitor
import XCTest

final class ConsoleServerTests: XCTestCase {
    func testTheListenAddressIsCheckedAndDecidesTLS() throws {
        func configuration(_ listen: String) throws -> ConsoleServer.Configuration {
            try .init(listen: listen, credentialDirectory: "/tmp", certificateDirectory: "/tmp", storePath: "/tmp/x.db", socketPath: "/tmp/x.sock")
        }
        XCTAssertFalse(try configuration("127.0.0.1:8843").usesTLS)
        XCTAssertFalse(try configuration("[::1]:8843").usesTLS)
        XCTAssertTrue(try configuration("10.77.1.2:8843").usesTLS)
        XCTAssertTrue(try configuration("[fd77::1]:443").usesTLS)
        XCTAssertEqual(try configuration("[fd77::1]:443").host, "fd77::1")
        for (bad, named) in [("8843", "ADDRESS:PORT"), ("localhost:8843", "'localhost' is not an IP address"), ("127.0.0.1:0", "'0' is not a port"),
                             ("127.0.0.1:http", "'http' is not a port")] {
            XCTAssertThrowsError(try configuration(bad)) { XCTAssertTrue("\($0)".contains(named), "\($0)") }
        }
    }

    func testChangesAreOfferedOnThisMachinesStoresOnly() {
        XCTAssertEqual(ConsoleRoutes.machineStore("local"), .local)
        XCTAssertEqual(ConsoleRoutes.machineStore("Persistent"), .persistent)
        XCTAssertNil(ConsoleRoutes.machineStore("domain"), "the domain's policy is changed in the domain store, not from a host's console")
        XCTAssertNil(ConsoleRoutes.machineStore("elsewhere"))
    }

    func testFormFieldsArePercentDecoded() {
        XCTAssertEqual(AccessMiddleware.formFields("rule=Secure+lab&policy=Lab%20%26%20Co&activate=no&empty="),
                       ["rule": "Secure lab", "policy": "Lab & Co", "activate": "no", "empty": ""])
    }

    /// A real server on loopback: 401 without the token, the snapshot's SAs with it, the
    /// security headers, no CORS, and a change refused without the CSRF token.
    func testTheServerAnswersOnlyWithTheToken() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ward-console-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = 20_000 + Int(getpid() % 10_000)
        let state = MonitorState()
        let server = ConsoleServer(configuration: try .init(listen: "127.0.0.1:\(port)", credentialDirectory: directory, certificateDirectory: directory,
                                                            storePath: directory + "/policy.db", socketPath: directory + "/ward.sock"), state: state)
        let credentials = try server.start()
        defer { server.stop() }
        XCTAssertEqual(try ConsoleCredentials.read(directory: directory), credentials)
        func get(_ path: String, token: String? = nil, method: String = "GET", body: String? = nil) async throws -> (Int, String, HTTPURLResponse) {
            var request = URLRequest(url: URL(string: credentials.baseURL + path)!)
            request.httpMethod = method
            if let token { request.setValue("Bearer " + token, forHTTPHeaderField: "Authorization") }
            request.setValue("http://evil.example", forHTTPHeaderField: "Origin")
            if let body { request.httpBody = Data(body.utf8) }
            let (data, response) = try await URLSession.shared.data(for: request)
            let http = response as! HTTPURLResponse
            return (http.statusCode, String(decoding: data, as: UTF8.self), http)
        }
        let (unauthenticated, _, _) = try await get("/api/monitor")
        XCTAssertEqual(unauthenticated, 401)
        let (waiting, _, _) = try await get("/api/monitor", token: credentials.readOnlyToken)
        XCTAssertEqual(waiting, 503, "no snapshot yet")
        state.ingest(SnapshotFixture.snapshot(uptime: 5, pairs: [SnapshotFixture.pair(inbound: 0xc0ffee, outbound: 0xbeef)]))
        let (status, json, response) = try await get("/api/monitor", token: credentials.readOnlyToken)
        XCTAssertEqual(status, 200)
        XCTAssertTrue(json.contains("\"inboundSPI\":\"0xc0ffee\""), json)
        XCTAssertNil(response.value(forHTTPHeaderField: "Access-Control-Allow-Origin"))
        XCTAssertEqual(response.value(forHTTPHeaderField: "X-Frame-Options"), "DENY")
        let (metrics, text, _) = try await get("/metrics", token: credentials.administratorToken)
        XCTAssertEqual(metrics, 200)
        XCTAssertTrue(text.contains("ward_ipsec_security_associations 1"), text)
        let (forged, _, _) = try await get("/policy/rule", token: credentials.administratorToken, method: "POST",
                                           body: "store=local&policy=Lab&rule=R&activate=no&csrf=\(server.access.administratorCSRF)")
        XCTAssertEqual(forged, 403, "another Origin")
    }
}

