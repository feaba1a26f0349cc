import Foundation
import TestSupport
import XCTest

/// The web console and `/metrics` against two `wardd` carrying ESP (Tests/Console/console.sh):
/// headless Chromium reads the monitor, plots, trace form and policy pages and presses their
/// buttons; curl tries every route without a token, forged and read-only changes, the TLS
/// endpoint in plaintext, and 1,000 slow clients during a transfer; prometheus_client parses
/// `/metrics` and its values equal `show stats`. Screenshots go to .ci/artifacts/console.
extension AgentInteropTests {
    func testTheConsoleShowsWhatTheCLIShowsAndGuardsItsChanges() throws {
        for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver", "/usr/bin/curl", "/usr/bin/iperf3", "/usr/bin/openssl"]
        where !FileManager.default.isExecutableFile(atPath: tool) {
            throw XCTSkip("the console test needs \(tool) (scripts/setup.sh installs it)")
        }
        for (module, package) in [("selenium", "python3-selenium"), ("prometheus_client", "python3-prometheus-client")] {
            let (_, status) = try Subprocess.run("/usr/bin/python3", ["-c", "import \(module)"])
            guard status == 0 else { throw XCTSkip("the console test needs \(package) (scripts/setup.sh installs it)") }
        }
        try run("../Console/console.sh", expectedPasses: 79)
    }
}
