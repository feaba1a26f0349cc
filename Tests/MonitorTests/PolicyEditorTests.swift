import Monitor
import Netsh
import Policy
import PolicyStore
import XCTest

final class PolicyEditorTests: XCTestCase {
    var directory: URL!
    var editor: PolicyEditor!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ward-editor-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("policy.db").path
        editor = PolicyEditor(storePath: path, socketPath: directory.appendingPathComponent("none.sock").path)
        let session = NetshSession(openDatabase: { () throws(StoreError) in try PolicyDatabase(path: path) })
        for line in ["ipsec static add filterlist name=\"Lab Hosts\"", "ipsec static add filter filterlist=\"Lab Hosts\" srcaddr=me dstaddr=10.77.1.0 dstmask=24",
                     "ipsec static add filteraction name=Secure action=negotiate qmsec=\"ESP[AES128,SHA1]\"",
                     "ipsec static add policy name=\"Lab Policy\" assign=yes",
                     "ipsec static add rule name=\"Secure lab\" policy=\"Lab Policy\" filterlist=\"Lab Hosts\" filteraction=Secure psk=\"not-shown-anywhere\" kerberos=no"] {
            _ = try session.execute(line)
        }
        try session.finish()
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func rule() throws -> Rule? {
        guard case .success(let catalog) = editor.catalog() else { XCTFail("catalog"); return nil }
        return catalog.first { $0.policy.name == "Lab Policy" }?.rules.first
    }

    func testDeactivatingAndActivatingARuleGoesThroughTheStore() throws {
        guard case .success = editor.apply(.activateRule(store: .local, policy: "Lab Policy", rule: "Secure lab", active: false)) else {
            return XCTFail("not applied")
        }
        XCTAssertEqual(try rule()?.active, false)
        _ = editor.apply(.activateRule(store: .local, policy: "Lab Policy", rule: "Secure lab", active: true))
        XCTAssertEqual(try rule()?.active, true)
    }

    func testAssigningAndTheErrorsAreNetshsOwn() throws {
        _ = editor.apply(.assignPolicy(store: .local, policy: "Lab Policy", assigned: false))
        guard case .success(let catalog) = editor.catalog() else { return XCTFail("catalog") }
        XCTAssertEqual(catalog.first { $0.policy.name == "Lab Policy" }?.policy.assigned, false)
        guard case .failure(let error) = editor.apply(.activateRule(store: .local, policy: "Lab Policy", rule: "No such rule", active: false)) else {
            return XCTFail("an unknown rule was accepted")
        }
        // The same one line `ward ipsec static set rule …` prints.
        let session = NetshSession(openDatabase: { [editor] () throws(StoreError) in try PolicyDatabase(path: editor!.storePath) })
        XCTAssertThrowsError(try session.execute("ipsec static set rule name=\"No such rule\" policy=\"Lab Policy\" activate=no")) { netsh in
            XCTAssertEqual(error.description, (netsh as? NetshError)?.message)
        }
        guard case .failure = editor.apply(.assignPolicy(store: .persistent, policy: "Lab Policy", assigned: true)) else {
            return XCTFail("a policy of another store was assigned")
        }
    }

    func testThePolicyPageNamesMethodsWithoutSecretsAndOffersNoFormToTheReadOnlyRole() throws {
        let catalog = editor.catalog()
        let administrator = PolicyPage.body(catalog: catalog, inForce: [], role: .administrator, csrf: "token", message: nil)
        let viewer = PolicyPage.body(catalog: catalog, inForce: [], role: .readOnly, csrf: "token", message: nil)
        for page in [administrator, viewer] {
            XCTAssertFalse(page.contains("not-shown-anywhere"))
            XCTAssertTrue(page.contains("Preshared key"))
            XCTAssertTrue(page.contains("Lab Hosts"))
            XCTAssertTrue(page.contains("ESP[AES128,SHA1]"))
        }
        XCTAssertTrue(administrator.contains("<form method=\"post\" action=\"/policy/rule\""))
        XCTAssertTrue(administrator.contains("name=\"csrf\" value=\"token\""))
        XCTAssertFalse(viewer.contains("<form"))
    }

    func testPagesEscapeWhatTheyShow() {
        XCTAssertEqual(PageLayout.escape("<script>\"a\" & 'b'</script>"), "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;")
        let page = TracePage.body(values: ["srcaddr": "\"><script>"], result: .failure(ConsoleError("<b>bad</b>")))
        XCTAssertFalse(page.contains("<script>"))
        XCTAssertFalse(page.contains("<b>bad"))
    }

    func testCredentialsAreWrittenRootOnlyAndReadBack() throws {
        let credentials = ConsoleCredentials(baseURL: "https://10.77.1.2:8843", fingerprint: "AB:CD", administratorToken: "admin", readOnlyToken: "viewer")
        let folder = directory.appendingPathComponent("run").path
        try credentials.write(directory: folder)
        XCTAssertEqual(try ConsoleCredentials.read(directory: folder), credentials)
        let mode = try FileManager.default.attributesOfItem(atPath: folder + "/console.token")[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600)
        XCTAssertEqual(credentials.loginURL(readOnly: true), "https://10.77.1.2:8843/login?token=viewer")
        ConsoleCredentials.remove(directory: folder)
        XCTAssertThrowsError(try ConsoleCredentials.read(directory: folder)) { error in
            XCTAssertTrue("\(error)".contains(folder + "/console.url"), "\(error)")
        }
    }
}
