import Foundation
import Netsh
import Packet
import Policy
import XCTest

final class FilterCommandTests: XCTestCase {
    func testFilterListLifecycle() throws {
        let h = try NetshHarness(self)
        h.run("ipsec static add filterlist name=L description=\"first\"")
        h.run("ipsec static set filterlist name=L newname=Renamed description=second")
        let list = try XCTUnwrap(try h.read { try $0.filterList(named: "renamed") })
        XCTAssertEqual(list.description, "second")
        h.run("ipsec static set filterlist guid=\(list.id.uuidString) newname=Again")
        h.fails("ipsec static add filterlist name=again", "filter list 'again' already exists")
        h.fails("ipsec static set filterlist name=Again newname=\"All IP Traffic\"", "filter list 'All IP Traffic' already exists")
        h.fails("ipsec static delete filterlist name=\"All IP Traffic\"", "is used by rule 'All IP Traffic' of policy 'Secure Server (Require Security)'")
        h.fails("ipsec static delete filterlist all", "is used by")
        h.run("ipsec static delete filterlist name=Again")
        h.fails("ipsec static delete filterlist name=Again", "does not exist")
    }

    func testAddFilterEveryAddressForm() throws {
        let h = try NetshHarness(self)
        h.run("ipsec static")
        h.run("add filter filterlist=F srcaddr=me dstaddr=any")  // creates the list
        h.run("add filter filterlist=F srcaddr=me dstaddr=10.77.0.0 dstmask=255.255.0.0 protocol=tcp dstport=80 mir=no")
        h.run("add filter filterlist=F srcaddr=10.77.1.0 srcmask=24 dstaddr=10.77.2.0/24 protocol=UDP srcport=500")
        h.run("add filter filterlist=F srcaddr=fd77::1 dstaddr=fd77:1:: dstmask=48 protocol=58")
        h.run("add filter filterlist=F srcaddr=me dstaddr=DNS proto=udp dstport=53")
        h.run("add filter filterlist=F srcaddr=WINS dstaddr=me")
        h.run("add filter filterlist=F srcaddr=me dstaddr=dhcp")
        h.run("add filter filterlist=F srcaddr=me dstaddr=Gateway protocol=ICMP")
        h.run("add filter filterlist=F srcaddr=me dstaddr=dc1.lab.example description=\"dc\"")
        h.run("add filter filterlist=F srcaddr=me dstaddr=web.lab.example protocol=TCP dstport=443")
        h.run("add filter filterlist=F srcaddr=me dstaddr=0.0.0.0 dstmask=0.0.0.0 protocol=RAW")
        let filters = try XCTUnwrap(try h.read { try $0.filterList(named: "F") }).filters
        XCTAssertEqual(filters.count, 12, "web.lab.example has two addresses: one filter each")
        XCTAssertEqual(filters[0].source, .me)
        XCTAssertEqual(filters[0].destination, .any)
        XCTAssertTrue(filters[0].mirrored, "mirrored defaults to yes")
        XCTAssertEqual(filters[0].protocolSelector, .any)
        XCTAssertEqual(filters[1].destination, .subnet(Subnet("10.77.0.0/16")!))
        XCTAssertEqual(filters[1].destinationPort, 80)
        XCTAssertFalse(filters[1].mirrored)
        XCTAssertEqual(filters[2].source, .subnet(Subnet("10.77.1.0/24")!))
        XCTAssertEqual(filters[2].destination, .subnet(Subnet("10.77.2.0/24")!))
        XCTAssertEqual(filters[2].sourcePort, 500)
        XCTAssertEqual(filters[3].source, .subnet(Subnet("fd77::1/128")!))
        XCTAssertEqual(filters[3].destination, .subnet(Subnet("fd77:1::/48")!))
        XCTAssertEqual(filters[3].protocolSelector.number, 58)
        XCTAssertEqual(filters[4].destination, .server(.dns))
        XCTAssertEqual(filters[5].source, .server(.wins))
        XCTAssertEqual(filters[6].destination, .server(.dhcp))
        XCTAssertEqual(filters[7].destination, .server(.gateway))
        XCTAssertEqual(filters[8].destination, .subnet(Subnet("10.77.0.10")!))
        XCTAssertEqual(filters[8].destinationDNSName, "dc1.lab.example")
        XCTAssertEqual(Set(filters[9...10].map(\.destination)), [.subnet(Subnet("10.77.0.80")!), .subnet(Subnet("fd77::80")!)])
        XCTAssertEqual(filters[11].destination, .subnet(Subnet("0.0.0.0/0")!))
        XCTAssertEqual(filters[11].protocolSelector, .raw)
    }

    func testAddFilterErrors() throws {
        let h = try NetshHarness(self)
        h.run("ipsec static")
        h.run("add filterlist name=F")
        h.fails("add filter filterlist=F srcaddr=me", "dstaddr= is required")
        h.fails("add filter filterlist=F srcaddr=me dstaddr=10.77.0.300", "dstaddr: '10.77.0.300' is not me, any")
        h.fails("add filter filterlist=F srcaddr=me dstaddr=10.77.0.1 dstmask=255.0.255.0", "dstmask: '255.0.255.0' is not a contiguous netmask")
        h.fails("add filter filterlist=F srcaddr=me dstaddr=10.77.0.1 dstmask=24", "dstaddr: 10.77.0.1 has host bits set for mask /24; the subnet address is 10.77.0.0")
        h.fails("add filter filterlist=F srcaddr=me dstaddr=10.77.0.1/24", "has host bits set")
        h.fails("add filter filterlist=F srcaddr=me dstaddr=10.77.0.0/24 dstmask=24", "not both")
        h.fails("add filter filterlist=F srcaddr=me dstaddr=any protocol=ICMP dstport=80", "dstport: ports can be given only with protocol=TCP or protocol=UDP")
        h.fails("add filter filterlist=F srcaddr=me dstaddr=any srcport=80", "srcport: ports can be given only")
        h.fails("add filter filterlist=F srcaddr=me dstaddr=any protocol=tcp dstport=70000", "dstport: 70000 is out of range; allowed 0-65535")
        h.fails("add filter filterlist=F srcaddr=me dstaddr=any protocol=GRE", "protocol: 'GRE' is not ANY, ICMP, TCP, UDP, RAW or a number 0-255")
        h.fails("add filter filterlist=F srcaddr=any dstaddr=DNS", "srcaddr: with dstaddr=DNS the other side must be 'me'")
        h.fails("add filter filterlist=F srcaddr=10.77.0.0/16 dstaddr=fd77::1", "no address of the same IP version")
        h.fails("add filter filterlist=F srcaddr=me dstaddr=nowhere.lab.example", "dstaddr: 'nowhere.lab.example' does not resolve")
        h.fails("add filter filterlist=F srcaddr=me dstaddr=me", "matches no network traffic")
        h.fails("add filter filterlist=F srcaddr=me dstaddr=any mirrored=perhaps", "mirrored: 'perhaps' is not yes or no")
        h.fails("add filter filterlist=all srcaddr=me dstaddr=any", "'all' is reserved")
    }

    func testDeleteFilterMatchesOnWhatIsGiven() throws {
        let h = try NetshHarness(self)
        h.run("ipsec static")
        h.run("add filter filterlist=F srcaddr=me dstaddr=any protocol=TCP dstport=80")
        h.run("add filter filterlist=F srcaddr=me dstaddr=any protocol=TCP dstport=443")
        h.run("add filter filterlist=F srcaddr=me dstaddr=any protocol=UDP dstport=53")
        h.run("add filter filterlist=F srcaddr=me dstaddr=10.77.0.1")
        h.run("delete filter filterlist=F srcaddr=me dstaddr=any protocol=TCP dstport=443")
        XCTAssertEqual(try h.read { try $0.filterList(named: "F")!.filters.map(\.destinationPort) }, [80, 53, 0])
        h.fails("delete filter filterlist=F srcaddr=me dstaddr=any protocol=TCP dstport=443", "no filter in filter list 'F' matches")
        h.run("delete filter filterlist=F srcaddr=me dstaddr=any")  // every me→any filter
        XCTAssertEqual(try h.read { try $0.filterList(named: "F")!.filters.map(\.destination) }, [.subnet(Subnet("10.77.0.1")!)])
        h.fails("delete filter filterlist=Nope srcaddr=me dstaddr=any", "filter list 'Nope' does not exist")
    }

    func testMirroredFilterCannotJoinATunnelList() throws {
        let h = try NetshHarness(self)
        h.run("ipsec static")
        h.run("add filter filterlist=T srcaddr=10.77.1.0/24 dstaddr=10.77.100.0/24 mirrored=no")
        h.run("add policy name=P", "add rule name=Out policy=P filterlist=T filteraction=Permit tunnel=10.77.100.1")
        h.fails("add filter filterlist=T srcaddr=10.77.1.0/24 dstaddr=10.77.200.0/24", "tunnel rule 'Out' of policy 'P' uses this list")
        h.run("add filter filterlist=T srcaddr=10.77.1.0/24 dstaddr=10.77.200.0/24 mirrored=no")
    }

    func testFilterActionLifecycle() throws {
        let h = try NetshHarness(self)
        h.run("ipsec static")
        h.run("add filteraction name=Neg")
        var action = try XCTUnwrap(try h.read { try $0.filterAction(named: "Neg") })
        XCTAssertEqual(action.action, .negotiate, "negotiate is the default action")
        XCTAssertEqual(action.securityMethods, QuickModeSecurityMethod.requireSecurityDefaults)
        XCTAssertFalse(action.quickModePFS || action.inboundPassthrough || action.fallbackToClear)
        h.run(#"add filteraction name=FilterA qmpfs=yes soft=y action=negotiate qmsec="AH[MD5]:204800k/300s ESP[DES,SHA1]:30000k/480s""#)
        action = try XCTUnwrap(try h.read { try $0.filterAction(named: "FilterA") })
        XCTAssertTrue(action.quickModePFS && action.fallbackToClear)
        XCTAssertEqual(action.securityMethods.map(\.description), ["AH[MD5]:204800k/300s", "ESP[DES,SHA1]:30000k/480s"])
        h.run("set filteraction name=FilterA qmsec=ESP[3DES,MD5]:100000k/2000s")
        h.run("set filteraction guid={\(action.id.uuidString)} inpass=y newname=Renamed")
        action = try XCTUnwrap(try h.read { try $0.filterAction(named: "Renamed") })
        XCTAssertTrue(action.inboundPassthrough)
        XCTAssertEqual(action.securityMethods.map(\.description), ["ESP[3DES,MD5]:100000k/2000s"])
        let warned = try h.output("add filteraction name=Drop action=block qmsecmethods=ESP[3DES,SHA1]")
        XCTAssertEqual(warned.warnings, ["qmsecmethods are kept but not used while action=block"])
        h.fails("add filteraction name=X action=reject", "action: 'reject' is not one of permit, block, negotiate")
        h.fails("add filteraction name=X qmsec=ESP[None,None]", "qmsecmethods: ESP[None,None] protects nothing")
        h.fails("add filteraction name=X qmsec=ESP[3DES,SHA1]:5s", "out of range")
        h.fails("add filteraction name=permit", "filter action 'permit' already exists")
        h.fails("delete filteraction name=Permit", "is used by rule 'All ICMP Traffic'")
        h.run("delete filteraction name=Drop")
    }
}
