import Foundation
import Netsh
import PolicyStore
import XCTest

final class RoundTripTests: XCTestCase {
    func loaded() throws -> NetshHarness {
        let h = try NetshHarness(self)
        try h.runScript(try ScriptTests.isolationScript)
        // Objects the script does not cover: quotes in a CA name, IPv6 tunnel, DNS-free ranges.
        h.run(#"ipsec static add filter filterlist=V6 srcaddr=fd77:1::/64 dstaddr=fd77:2::/64 mirrored=no description="v6 tunnel""#,
              #"ipsec static add rule name=V6 policy="Server Isolation" filterlist=V6 filteraction=Permit tunnel=fd77::2 rootca="CN=Q, O=\'Quoted\' certmap:no excludecaname:yes""#)
        return h
    }

    /// `show all` of both stores; leaves the session on the local store.
    func showAll(_ h: NetshHarness, _ extra: String = "") -> String {
        defer { h.run("ipsec static set store location=local") }
        return StoreLocation.fileStores.map { location in
            h.run("ipsec static set store location=\(location.rawValue)", "ipsec static show all \(extra)")
        }.joined(separator: "\n=====\n")
    }

    func testExportThenImportIntoAFreshStoreShowsTheSame() throws {
        let source = try loaded()
        let file = source.directory.appendingPathComponent("policies.ipsec.json").path
        source.run("ipsec static exportpolicy file=\(file)")
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600, "exports hold preshared keys")
        let target = try NetshHarness(self, clock: { Date(timeIntervalSince1970: 1_900_000_000) })
        target.run("ipsec static importpolicy file=\(file)")
        // The persistent store goes through its own export file.
        let persistentFile = source.directory.appendingPathComponent("persistent.json").path
        source.run("ipsec static set store location=persistent", "ipsec static exportpolicy \(persistentFile)")
        target.run("ipsec static set store location=persistent", "ipsec static importpolicy \(persistentFile)")
        XCTAssertEqual(showAll(target, "level=verbose"), showAll(source, "level=verbose"), "GUIDs and times survive the round trip")
        XCTAssertEqual(try target.snapshot(), try source.snapshot())
    }

    func testImportErrorsLeaveTheStore() throws {
        let h = try NetshHarness(self)
        let file = h.directory.appendingPathComponent("bad.json").path
        try Data("{\"format\":\"ward-ipsec-policy\",\"version\":2}".utf8).write(to: URL(fileURLWithPath: file))
        h.fails("ipsec static importpolicy file=\(file)", "version 2 is not supported")
        h.fails("ipsec static importpolicy file=\(file).missing", "file: cannot read")
        h.fails("ipsec static exportpolicy file=/nonexistent-dir/x.json", "file: cannot create /nonexistent-dir/x.json")
    }

    func testDumpRecreatesTheStores() throws {
        let source = try loaded()
        let script = source.run("ipsec static dump")
        XCTAssertTrue(script.hasPrefix("# Ward ipsec static configuration"))
        XCTAssertTrue(script.contains(#"rootca="CN=Q, O=\'Quoted\' certmap:no excludecaname:yes""#))
        XCTAssertEqual(source.run("ipsec dump"), script, "dump works from the ipsec context too")
        let target = try NetshHarness(self, clock: { Date(timeIntervalSince1970: 1_900_000_000) })
        target.run("ipsec static add policy name=Stale", "ipsec static set store location=persistent", "ipsec static add filterlist name=Stale",
                   "ipsec static set store location=local")
        try target.runScript(script)
        XCTAssertEqual(showAll(target), showAll(source))
        XCTAssertEqual(target.run("ipsec static dump"), script, "a dump of the recreated store is the same script")
    }
}
