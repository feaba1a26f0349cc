import Packet
import XCTest
@testable import XFRM

/// The XFRM codec against the layout of `linux/xfrm.h` (LP64). The kernel itself checks these
/// messages in `Tests/Agent/kernel-policy.sh` (host: policies) and `kernel-agent.sh` (the
/// user-mode Linux guest: SAs, acquires, expires).
final class XFRMCodecTests: XCTestCase {
    let peer = Subnet(host: IPAddress("10.77.0.2")!)
    let me = Subnet(host: IPAddress("10.77.0.1")!)

    private func message(_ request: XFRMRequest, sequence: UInt32 = 7) throws -> NetlinkMessage {
        let messages = try NetlinkMessage.split(request.encoded(sequence: sequence))
        XCTAssertEqual(messages.count, 1)
        return messages[0]
    }

    func testPolicyUpdateLaysOutTheStructAndTemplateAsTheKernelExpects() throws {
        let policy = XFRMPolicy(selector: XFRMSelector(source: me, destination: peer, protocolNumber: 6, destinationPort: 23),
                                direction: .outbound, action: .allow, priority: 2_001_000,
                                templates: [XFRMTemplate(securityProtocol: 50, reqid: 0x5741_5244)])
        let bytes = policy.update.encoded(sequence: 9)
        // nlmsghdr: length, XFRM_MSG_UPDPOLICY (0x19), NLM_F_REQUEST|NLM_F_ACK, sequence 9.
        XCTAssertEqual(Array(bytes[0..<4]), withUnsafeBytes(of: UInt32(bytes.count).littleEndian, Array.init))
        XCTAssertEqual(Array(bytes[4..<8]), [0x19, 0, 0x05, 0])
        XCTAssertEqual(bytes[8], 9)
        let body = Array(bytes[16...])
        XCTAssertEqual(Array(body[0..<4]), [10, 77, 0, 2], "selector.daddr first")
        XCTAssertEqual(Array(body[16..<20]), [10, 77, 0, 1], "selector.saddr")
        XCTAssertEqual(Array(body[32..<36]), [0, 23, 0xFF, 0xFF], "dport 23 (network order), exact mask")
        XCTAssertEqual(Array(body[36..<40]), [0, 0, 0, 0], "any source port")
        XCTAssertEqual(Array(body[40..<45]), [2, 0, 32, 32, 6], "AF_INET, /32 /32, TCP")
        XCTAssertEqual(Array(body[56..<64]), [UInt8](repeating: 0xFF, count: 8), "no soft byte limit (XFRM_INF)")
        XCTAssertEqual(Array(body[152..<156]), withUnsafeBytes(of: UInt32(2_001_000).littleEndian, Array.init))
        XCTAssertEqual(Array(body[160..<162]), [1, 0], "dir out, action allow")
        XCTAssertEqual(body.count, 168 + 4 + 64, "xfrm_userpolicy_info, then one XFRMA_TMPL")
        XCTAssertEqual(Array(body[168..<172]), [68, 0, 5, 0], "nla_len 68, XFRMA_TMPL")
        let template = Array(body[172...])
        XCTAssertEqual(template[20], 50, "id.proto ESP")
        XCTAssertEqual(Array(template[24..<26]), [2, 0], "family")
        XCTAssertEqual(Array(template[44..<48]), [0x44, 0x52, 0x41, 0x57], "reqid 'WARD' little-endian")
        XCTAssertEqual(template[48], 0, "transport")
        XCTAssertEqual(Array(template[52..<64]), [UInt8](repeating: 0xFF, count: 12), "any algorithm")
    }

    func testPolicyRoundTripsThroughTheDumpDecoder() throws {
        let tunnel = XFRMPolicy(selector: XFRMSelector(source: Subnet("10.77.1.0/24")!, destination: Subnet("10.77.2.0/24")!),
                                direction: .inbound, action: .allow, priority: 2_001_003,
                                templates: [XFRMTemplate(securityProtocol: 50, tunnelSource: IPAddress("10.77.0.2"),
                                                         tunnelDestination: IPAddress("10.77.0.1"), optional: true, reqid: 7)])
        let block = XFRMPolicy(selector: XFRMSelector(source: Subnet("fd77::/64")!, destination: Subnet("fd77:1::5/128")!, protocolNumber: 17, sourcePort: 53,
                                                      owner: 1),
                               direction: .forward, action: .block, priority: 2_001_004)
        for policy in [tunnel, block] {
            XCTAssertEqual(try XFRMPolicy(decoding: try message(policy.update)), policy)
        }
    }

    func testStateAddCarriesAlgorithmsReplayAndEncapsulation() throws {
        let state = XFRMState(source: IPAddress("10.77.0.2")!, destination: IPAddress("10.77.0.1")!, spi: 0xC0FF_EE01, securityProtocol: 50,
                              tunnel: false, reqid: 1, selector: XFRMSelector(source: peer, destination: me), replayWindow: 128,
                              extendedSequenceNumbers: false,
                              algorithms: [XFRMAlgorithm(.encryption, name: "cbc(aes)", key: [UInt8](repeating: 1, count: 16)),
                                           XFRMAlgorithm(.authentication(truncationBits: 96), name: "hmac(sha1)", key: [UInt8](repeating: 2, count: 20))],
                              udpEncapsulation: (4500, 4500), lifetime: XFRMLifetime(softSeconds: 2700, hardSeconds: 3600))
        let decoded = try message(state.add)
        XCTAssertEqual(decoded.type, XFRMMessageType.newSA.rawValue)
        let body = Array(decoded.payload)
        XCTAssertEqual(Array(body[56..<60]), [10, 77, 0, 1], "id.daddr")
        XCTAssertEqual(Array(body[72..<76]), [0xC0, 0xFF, 0xEE, 0x01], "SPI in network order")
        XCTAssertEqual(body[76], 50)
        XCTAssertEqual(body[215], 0, "a 128-packet window goes in XFRMA_REPLAY_ESN_VAL; the struct's must be 0")
        let attributes = try decoded.attributes(after: 224)
        XCTAssertEqual(attributes[XFRMAttribute.algorithmCrypt]?.count, 68 + 16)
        XCTAssertEqual(attributes[XFRMAttribute.algorithmAuthTruncated]?.count, 72 + 20)
        let replay = try XCTUnwrap(attributes[XFRMAttribute.replayESN])
        XCTAssertEqual(Array(replay.prefix(4)), [4, 0, 0, 0], "bmp_len: 4 words for 128 packets")
        XCTAssertEqual(Array(try XCTUnwrap(attributes[XFRMAttribute.encapsulation]).prefix(6)), [2, 0, 0x11, 0x94, 0x11, 0x94])
        let info = try XFRMStateInfo(decoding: decoded)
        XCTAssertEqual(info.spi, 0xC0FF_EE01)
        XCTAssertEqual(info.source, IPAddress("10.77.0.2"))
        XCTAssertEqual(info.reqid, 1)
    }

    func testAcquireAndExpireDecode() throws {
        // An acquire as the kernel builds it: template id, saddr, the flow, the policy.
        var acquire = StructWriter(size: 280)
        acquire.address(IPAddress("10.77.0.2"), at: 0)
        acquire.u8(50, at: 20)
        XFRMSelector(source: me, destination: peer, protocolNumber: 17, sourcePort: 40000, destinationPort: 9999).write(into: &acquire, at: 40)
        XFRMSelector(source: me, destination: peer).write(into: &acquire, at: 96)
        acquire.u32(2_001_002, at: 96 + 152)
        let raw = XFRMRequest(.acquire, flags: [], fixed: acquire.bytes)
        let event = try XFRMEvent.decode(try message(raw))
        XCTAssertEqual(event, .acquire(flow: XFRMSelector(source: me, destination: peer, protocolNumber: 17, sourcePort: 40000, destinationPort: 9999),
                                       templateDestination: IPAddress("10.77.0.2")!, policyPriority: 2_001_002))
        var expire = StructWriter(size: 232)
        expire.address(IPAddress("10.77.0.2"), at: 56)
        expire.be32(0x1234, at: 72)
        expire.u8(50, at: 76)
        expire.u16(2, at: 212)
        expire.u8(1, at: 224)
        guard case .expire(let info, let hard) = try XFRMEvent.decode(try message(XFRMRequest(.expire, flags: [], fixed: expire.bytes))) else {
            return XCTFail("not an expire")
        }
        XCTAssertTrue(hard)
        XCTAssertEqual(info.spi, 0x1234)
    }

    func testTruncatedAndOverlongInputNamesTheField() throws {
        let bytes = XFRMPolicy(selector: XFRMSelector(source: me, destination: peer), direction: .outbound, action: .block, priority: 1).update.encoded(sequence: 1)
        // A length past the datagram.
        var overlong = bytes
        overlong[0] = 0xFF
        XCTAssertThrowsError(try NetlinkMessage.split(overlong)) { XCTAssertEqual(($0 as? XFRMDecodingError)?.field, "nlmsg_len") }
        // A policy body cut short.
        let short = Array(bytes[0..<100])
        var shortened = short
        shortened[0] = 100
        let message = try XCTUnwrap(try NetlinkMessage.split(shortened).first)
        XCTAssertThrowsError(try XFRMPolicy(decoding: message)) { error in
            XCTAssertEqual((error as? XFRMDecodingError)?.field, "xfrm_userpolicy_info")
            XCTAssertEqual((error as? XFRMDecodingError)?.offset, 16)
        }
        // An attribute whose length runs past the message.
        var attribute = bytes + [0xFF, 0x00, 0x05, 0x00]
        let total = UInt32(attribute.count)
        attribute.replaceSubrange(0..<4, with: withUnsafeBytes(of: total.littleEndian, Array.init))
        let withBadAttribute = try XCTUnwrap(try NetlinkMessage.split(attribute).first)
        XCTAssertThrowsError(try XFRMPolicy(decoding: withBadAttribute)) { XCTAssertEqual(($0 as? XFRMDecodingError)?.field, "nla_len") }
        // Every prefix of a valid state message fails cleanly or decodes; none crashes.
        let state = XFRMState(source: IPAddress("10.77.0.2")!, destination: IPAddress("10.77.0.1")!, spi: 1, securityProtocol: 50, tunnel: false, reqid: 1,
                              selector: nil, replayWindow: 32, extendedSequenceNumbers: false, algorithms: [], udpEncapsulation: nil, lifetime: XFRMLifetime())
        let full = state.add.encoded(sequence: 1)
        for cut in stride(from: 16, to: full.count, by: 1) {
            var prefix = Array(full[0..<cut])
            prefix.replaceSubrange(0..<4, with: withUnsafeBytes(of: UInt32(cut).littleEndian, Array.init))
            guard let message = try? NetlinkMessage.split(prefix).first else { continue }
            _ = try? XFRMStateInfo(decoding: message)
            _ = try? XFRMEvent.decode(message)
        }
    }
}
