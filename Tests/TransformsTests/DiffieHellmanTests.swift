import Foundation
import TestSupport
@testable import Transforms
import XCTest

final class DiffieHellmanTests: XCTestCase {
    func testEveryGroupAgrees() throws {
        for group in DiffieHellmanGroup.allCases {
            let alice = try DiffieHellman(group: group), bob = try DiffieHellman(group: group)
            XCTAssertEqual(alice.publicValue.count, group.valueLength, "\(group)")
            XCTAssertNotEqual(alice.publicValue, bob.publicValue)
            let one = try alice.sharedSecret(peer: bob.publicValue), two = try bob.sharedSecret(peer: alice.publicValue)
            XCTAssertEqual(one, two, "\(group)")
            XCTAssertEqual(one.count, group == .ecp256 ? 32 : group == .ecp384 ? 48 : group.valueLength, "\(group): g^xy at full length")
        }
    }

    /// Python's own big integers (MODP) and the cryptography package (ECP) compute the other
    /// side: an implementation that is not Ward's and, for MODP, not libcrypto's.
    func testAgreesWithAnIndependentImplementation() throws {
        let script = """
            import sys, secrets
            group, a = int(sys.argv[1]), bytes.fromhex(sys.argv[2])
            if group in (1, 2, 14):
                import mpmath
                mpmath.mp.prec = 4000
                n, k = {1: (768, 149686), 2: (1024, 129093), 14: (2048, 124476)}[group]
                p = 2**n - 2**(n - 64) - 1 + 2**64 * (int(mpmath.floor(mpmath.mpf(2)**(n - 130) * mpmath.pi)) + k)
                b = secrets.randbelow(p - 3) + 2
                size = n // 8
                print(pow(2, b, p).to_bytes(size, "big").hex(), pow(int.from_bytes(a, "big"), b, p).to_bytes(size, "big").hex())
            else:
                from cryptography.hazmat.primitives.asymmetric import ec
                curve = {19: ec.SECP256R1(), 20: ec.SECP384R1()}[group]
                mine = ec.generate_private_key(curve)
                peer = ec.EllipticCurvePublicKey.from_encoded_point(curve, b"\\x04" + a)
                from cryptography.hazmat.primitives import serialization
                public = mine.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)[1:]
                print(public.hex(), mine.exchange(ec.ECDH(), peer).hex())
            """
        for group in DiffieHellmanGroup.allCases {
            let ward = try DiffieHellman(group: group)
            let text = try Subprocess.run("python3", ["-c", script, String(group.rawValue), ward.publicValue.map { String(format: "%02x", $0) }.joined()]).output
            let parts = text.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            guard parts.count == 2 else { XCTFail("\(group): python said \(text)"); continue }
            let secret = try ward.sharedSecret(peer: hex(parts[0]))
            XCTAssertEqual(secret.hexString, parts[1], "\(group)")
        }
    }

    func testBadPeerValuesAreRefused() throws {
        let modp = try DiffieHellman(group: .modp1024)
        let zero = [UInt8](repeating: 0, count: 128)
        var one = zero
        one[127] = 1
        XCTAssertThrowsError(try modp.sharedSecret(peer: zero))
        XCTAssertThrowsError(try modp.sharedSecret(peer: one))
        XCTAssertThrowsError(try modp.sharedSecret(peer: [UInt8](repeating: 0xFF, count: 128)), "≥ p")
        // p - 1 (order 2) and p itself: the safe prime's only weak values besides 0 and 1.
        let prime = Hex.bytes(DiffieHellmanGroup.modp1024.prime!)
        var pMinusOne = prime
        pMinusOne[127] -= 1
        var pMinusTwo = prime
        pMinusTwo[127] -= 2
        XCTAssertThrowsError(try modp.sharedSecret(peer: pMinusOne))
        XCTAssertThrowsError(try modp.sharedSecret(peer: prime))
        XCTAssertNoThrow(try modp.sharedSecret(peer: pMinusTwo), "p - 2 is a valid, if odd, public value")
        XCTAssertThrowsError(try modp.sharedSecret(peer: [1, 2, 3])) { XCTAssertTrue("\($0)".contains("expected 128")) }
        let ecp = try DiffieHellman(group: .ecp256)
        var offCurve = ecp.publicValue
        offCurve[63] ^= 1
        XCTAssertThrowsError(try ecp.sharedSecret(peer: offCurve), "a point not on P-256")
    }
}
