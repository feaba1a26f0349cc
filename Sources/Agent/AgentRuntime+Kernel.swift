import Filtering
import Foundation
import Packet
import Platform
import XFRM

/// `wardd --datapath kernel`: the kernel's XFRM carries the packets; the agent keeps the SPD in
/// step with the policy, installs the SAs IKE negotiates, and answers the kernel's acquires
/// and expires.
///
/// The loop's sources: IKE's sockets (port 4500 with the kernel taking ESP in UDP off it), and
/// the XFRM event socket (acquires, expires). There are no TUN devices, raw sockets or
/// steering rules: the XFRM policies are the steering, and they outlive the agent — with no
/// agent, negotiate traffic waits for an acquire nobody answers and is never sent in clear.
extension AgentRuntime {
    func runKernel() throws {
        let requests = try XFRMSocket()
        let events = try XFRMSocket(groups: XFRMGroups.acquire | XFRMGroups.expire)
        control = try UnixControlSocket(path: configuration.socketPath)
        openIKESockets(mark: nil, kernelDecapsulation: true)
        let kernel = KernelDatapath(policy: policy, channel: requests, sourceAddress: SourceAddress.toward,
                                    kernelStatistics: SystemCommand.xfrmStatistics)
        self.kernel = kernel
        // Packets that meet a template with no SA yet wait in the policy's queue (not dropped)
        // while IKE negotiates, as the userspace datapath holds them (Docs/datapath.md).
        SystemCommand.writeSysctl("net.core.xfrm_larval_drop", "0")
        if let refusal = kernel.probeESP() {
            log(.error, "this kernel cannot install ESP SAs: negotiated traffic will wait (fail closed) — use the userspace datapath",
                ["reason": refusal])
        }
        let adopted = try kernel.adoptPrevious()
        log(.notice, "kernel datapath", ["adopted_policies": adopted.policies, "deleted_previous_sas": adopted.states])
        loadStartupPolicy()
        removeBootFilter()
        for request in kernel.resumeRequests(localAddresses: Set(machine.localAddresses), now: now) {
            log(.notice, "renegotiating what the previous run carried", ["peer": request.peer, "selector": request.selector])
            acquire(request, now: now)
        }
        log(.notice, "started", ["datapath": "kernel", "ike": ikeSockets.map { "\($0.address):\($0.port)" }.joined(separator: ","),
                                 "socket": configuration.socketPath, "policy": policySummary, "xfrm_policies": kernel.installedPolicies.count])
        loop(ikeSources() + [(events.descriptor, { [unowned self] now in
            for message in events.events() {
                let event: XFRMEvent?
                do { event = try XFRMEvent.decode(message) } catch {
                    log(.warning, "unreadable XFRM event", ["reason": error])
                    continue
                }
                guard let event else { continue }
                let (acquires, expired) = kernel.handle(event, now: now)
                for request in acquires { acquire(request, now: now) }
                for spi in expired { perform(engine.delete(inboundSPI: spi, now: now)) }
            }
        })])
        groupPolicy?.stop()
        log(.notice, "stopping", ["sas": kernel.securityAssociations.count])
        for pair in kernel.securityAssociations { perform(engine.delete(inboundSPI: pair.inboundSPI, now: now)) }
        for failure in kernel.removeAll() { log(.warning, "XFRM cleanup", ["reason": failure]) }
        log(.notice, "stopped")
    }

    /// Compiles the table in force into XFRM policies and makes the kernel's SPD match.
    func synchronizeKernelPolicies(_ kernel: KernelDatapath) {
        let decider = policy.decider
        let policies = XFRMPolicyCompiler.policies(table: decider.table, exemptions: decider.exemptions, broadcast: decider.broadcast,
                                                   localAddresses: Set(machine.localAddresses), sourceAddress: SourceAddress.toward,
                                                   reqids: kernel.reqids(for: decider.table))
        do {
            let (changed, removed) = try kernel.synchronize(policies)
            log(.notice, "XFRM policies in force", ["policies": policies.count, "changed": changed, "removed": removed])
        } catch {
            log(.error, "XFRM policy not installed", ["reason": error])
        }
    }
}
