import Foundation
import Netsh
import XCTest

/// `show` output for a realistic policy, compared with reviewed golden files in `Golden/`.
/// GUIDs are random per store, so they are masked; times come from the harness's fixed clock.
/// `WARD_UPDATE_GOLDEN=1 swift test --filter ShowGoldenTests` rewrites the files (review the diff).
final class ShowGoldenTests: XCTestCase {
    static let cases: [(file: String, command: String)] = [
        ("show-all.txt", "ipsec static show all"),
        ("show-policy-verbose.txt", #"ipsec static show policy name="Server Isolation" level=verbose"#),
        ("show-policy-table.txt", "ipsec static show policy all format=table"),
        ("show-rule-table.txt", #"ipsec static show rule all policy="Server Isolation" format=table"#),
        ("show-rule-default.txt", #"ipsec static show rule default policy="Server Isolation""#),
        ("show-rule-tunnel.txt", #"ipsec static show rule all policy="Server Isolation" type=tunnel"#),
        ("show-filterlist-table.txt", "ipsec static show filterlist name=Infrastructure format=table level=verbose"),
        ("show-filterlist-rule.txt", "ipsec static show filterlist rule=\"Isolation\" resolvedns=no"),
        ("show-filteraction-table.txt", "ipsec static show filteraction all format=table wide=no"),
        ("show-filteraction-rule.txt", "ipsec static show filteraction rule=\"Branch to HQ\""),
    ]

    static func masked(_ text: String) -> String {
        text.replacingOccurrences(of: #"\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}"#,
                                  with: "{GUID}", options: .regularExpression)
    }

    func testShowOutputMatchesGoldenFiles() throws {
        let h = try NetshHarness(self)
        try h.runScript(try ScriptTests.isolationScript)
        let directory = NetshHarness.repositoryRoot.appendingPathComponent("Tests/NetshTests/Golden")
        let update = ProcessInfo.processInfo.environment["WARD_UPDATE_GOLDEN"] == "1"
        for (file, command) in Self.cases {
            let actual = Self.masked(h.run(command)) + "\n"
            let url = directory.appendingPathComponent(file)
            if update {
                try actual.write(to: url, atomically: true, encoding: .utf8)
                continue
            }
            let expected = try String(contentsOf: url, encoding: .utf8)
            if actual != expected {
                let actualLines = actual.split(separator: "\n", omittingEmptySubsequences: false)
                let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
                let first = zip(actualLines, expectedLines).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                    ?? min(actualLines.count, expectedLines.count)
                XCTFail("\(command) differs from \(file) at line \(first + 1): got '\(first < actualLines.count ? actualLines[first] : "<end>")', expected '\(first < expectedLines.count ? expectedLines[first] : "<end>")'")
            }
        }
    }

    func testVerboseAddsGuidAndTimeAndNormalDoesNot() throws {
        let h = try NetshHarness(self)
        let normal = h.run(#"ipsec static show filteraction name="Require Security""#)
        let verbose = h.run(#"ipsec static show filteraction name="Require Security" level=verbose"#)
        XCTAssertFalse(normal.contains("GUID"))
        XCTAssertTrue(verbose.contains("GUID                    : {7761D7A0-3F1B-4C6E-9A30-000000000013}"))
        XCTAssertTrue(verbose.contains("Last Modified           : 2027-01-15 08:00:00 UTC"))
        XCTAssertEqual(h.run("ipsec static show filteraction name=\"Require Security\" level=terse"), normal)
    }

    func testNarrowTablesCutLongCellsAndWideTablesDoNot() throws {
        let h = try NetshHarness(self)
        let long = String(repeating: "x", count: 60)
        h.run("ipsec static add policy name=\(long)")
        XCTAssertTrue(h.run("ipsec static show policy all format=table wide=no").contains(String(repeating: "x", count: 37) + "..."))
        XCTAssertTrue(h.run("ipsec static show policy all format=table wide=yes").contains(long))
    }

    func testShowErrors() throws {
        let h = try NetshHarness(self)
        h.fails("ipsec static show policy name=Nope", "policy 'Nope' does not exist")
        h.fails("ipsec static show policy all level=loud", "level: 'loud' is not one of verbose, normal, terse")
        h.fails("ipsec static show policy all format=csv", "format: 'csv' is not one of list, table")
        h.fails("ipsec static show rule name=x", "policy: is required with name=")
        h.fails("ipsec static show rule all policy=P type=udp", "type: 'udp' is not one of tunnel, transport")
        h.fails("ipsec static show filterlist rule=Nope", "rule 'Nope' does not exist")
        h.fails("ipsec static show policy", "one of name=, all is required")
        XCTAssertEqual(h.run("ipsec static set store location=persistent", "ipsec static show policy all"), "No policies in the Persistent Store.")
    }
}
