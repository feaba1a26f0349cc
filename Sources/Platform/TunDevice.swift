import Foundation
import Packet

/// A Linux TUN device (`/dev/net/tun`, IFF_TUN | IFF_NO_PI): every read is one IP packet the
/// kernel routed into the device, every write one IP packet the kernel receives from it.
///
/// The device is made persistent (TUNSETPERSIST): it outlives this process, so that when the
/// agent dies the routes and forwarding rules that lead into it keep pointing at a device with
/// no reader — the kernel drops what it sends there, and nothing leaks in the clear.
/// ``remove()`` deletes it on an orderly stop.
public final class TunDevice {
    public let name: String
    public let descriptor: Int32

    // <linux/if_tun.h>; not exported by Glibc.
    private static let TUNSETIFF: UInt = 0x4004_54CA
    private static let TUNSETPERSIST: UInt = 0x4004_54CB
    private static let IFF_TUN: Int16 = 0x0001
    private static let IFF_NO_PI: Int16 = 0x1000

    /// Opens (creating if needed) the TUN device `name`, non-blocking.
    public init(name: String) throws(SocketError) {
        guard !name.isEmpty, name.utf8.count < Int(IFNAMSIZ) else { throw SocketError("TUN device name '\(name)'", errno: EINVAL) }
        let descriptor = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw SocketError("open /dev/net/tun") }
        var request = ifreq()
        withUnsafeMutableBytes(of: &request.ifr_ifrn.ifrn_name) { bytes in
            for (index, byte) in name.utf8.enumerated() { bytes[index] = byte }
        }
        request.ifr_ifru.ifru_flags = Self.IFF_TUN | Self.IFF_NO_PI
        guard ioctl(descriptor, Self.TUNSETIFF, &request) == 0 else {
            let error = SocketError("TUNSETIFF \(name)")
            close(descriptor)
            throw error
        }
        _ = ioctl(descriptor, Self.TUNSETPERSIST, 1)
        self.name = name
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Reads one packet into `buffer` (in place, after its headroom). False when none waits.
    public func read(into buffer: PacketBuffer) -> Bool {
        buffer.fill { room in Glibc.read(descriptor, room.baseAddress, room.count) } > 0
    }

    /// Hands one packet to the kernel as if it arrived on this device.
    @discardableResult
    public func write(_ packet: UnsafeRawBufferPointer) -> Bool {
        Glibc.write(descriptor, packet.baseAddress, packet.count) == packet.count
    }

    /// Clears the persistent flag; the device disappears when the descriptor closes.
    public func remove() {
        _ = ioctl(descriptor, Self.TUNSETPERSIST, 0)
    }
}
