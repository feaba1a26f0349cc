import Netsh
import XCTest

final class NavigationTests: XCTestCase {
    func testContextsPromptAndExit() throws {
        let h = try NetshHarness(self)
        XCTAssertEqual(h.session.prompt, "ward>")
        h.run("ipsec")
        XCTAssertEqual(h.session.prompt, "ward ipsec>")
        h.run("static")
        XCTAssertEqual(h.session.context, ["ipsec", "static"])
        h.run("..")
        XCTAssertEqual(h.session.context, ["ipsec"])
        h.run("static", "/")
        XCTAssertEqual(h.session.context, [])
        h.run("pushd ipsec static")
        XCTAssertEqual(h.session.context, ["ipsec", "static"])
        h.run("popd")
        XCTAssertEqual(h.session.context, [])
        h.fails("popd", "no context was pushed")
        h.fails("pushd ipsec dynamic", "ipsec dynamic context")
        h.fails("popd", "no context was pushed")
        h.run("exit")
        XCTAssertTrue(h.session.exitRequested)
    }

    func testCommandsRunFromAnyContextWithTheirPath() throws {
        let h = try NetshHarness(self)
        h.run("ipsec static add filterlist name=FromTop")
        XCTAssertEqual(h.session.context, [], "a command with a path does not change the context")
        h.run("ipsec", "static add filterlist name=FromIpsec")
        XCTAssertNotNil(try h.read { try $0.filterList(named: "FromIpsec") })
    }

    func testHelpOnEveryLevel() throws {
        let h = try NetshHarness(self)
        XCTAssertTrue(h.run("?").contains("ipsec"))
        XCTAssertTrue(h.run("ipsec help").contains("static"))
        let contextHelp = h.run("ipsec static ?")
        for verb in ["add", "set", "delete", "show", "exportpolicy", "importpolicy", "dump"] {
            XCTAssertTrue(contextHelp.contains("  \(verb)"), verb)
        }
        let addHelp = h.run("ipsec static add ?")
        XCTAssertTrue(addHelp.contains("add filteraction") && addHelp.contains("add rule"))
        let usage = h.run("ipsec static add filter ?")
        XCTAssertTrue(usage.hasPrefix("Usage: add filter [filterlist=]<string> [srcaddr=]"), usage)
        XCTAssertTrue(usage.contains("mirrored"))
        XCTAssertTrue(h.run("ipsec static set rule help").contains("rootca"))
    }

    func testUnknownAmbiguousAndAbbreviatedCommands() throws {
        let h = try NetshHarness(self)
        h.run("ipsec static")
        h.fails("frobnicate policy", "'frobnicate' is not a command in the ipsec static context")
        h.fails("s policy name=x", "'s' is ambiguous (set, show)")
        h.fails("add widget name=x", "'widget' is not a add command")
        XCTAssertTrue(h.run("sh po name=\"Client (Respond Only)\"").contains("Policy Name"))
        h.fails("ipsec dynamic show all", "ipsec dynamic context")
        h.fails("add policy name=x bogus=1", "unknown tag 'bogus'")
        h.fails("add policy name=x m=yes", "tag 'm' is ambiguous (mmpfs, mmlifetime, mmsecmethods)")
        h.fails("add policy name=x name=y", "name is given twice")
        h.fails("add policy", "name= is required")
        h.fails("add policy a b 3 4 5 6 7 8 9 10", "unexpected value '10'")
        h.fails(#"add policy name="unclosed"#, "unterminated quote")
    }

    func testCommentsAndBlankLines() throws {
        let h = try NetshHarness(self)
        for line in ["", "   ", "# comment", "rem a remark", "REM shouting"] {
            XCTAssertEqual(try h.output(line), CommandOutput())
        }
    }
}
