import Foundation
import PolicyStore

/// The domain store as `ward ipsec static` sees it (`set store location=domain`). The `ward`
/// executable supplies the implementation (module `DomainStore`: Active Directory over LDAP);
/// Netsh only routes commands to it.
///
/// `read` and `write` hand the command a transaction on a scratch copy of the domain's
/// objects, so every static command, with its validation and its errors, works unchanged;
/// `write` then puts what changed into the directory, all of it or none.
public protocol DomainPolicyStore: AnyObject {
    /// `Domain Store (ward.test, dc1.ward.test:389)`, for `show store`.
    var displayName: String { get }
    /// `show store` fields: the store, batch mode, operations sent.
    var details: [(String, String)] { get }
    /// `set batch mode=enable`: later commands change a scratch copy until `commitBatch`
    /// writes them to the directory as one change (all or nothing) or `rollbackBatch` drops them.
    var inBatch: Bool { get }
    func beginBatch() throws
    func commitBatch() throws
    func rollbackBatch()
    func read<T>(_ body: (StoreTransaction) throws -> T) throws -> T
    func write<T>(_ body: (StoreTransaction) throws -> T) throws -> T
    /// `set policy name= gponame=`: assigns the policy to the Group Policy object with that
    /// display name.
    func assign(policyNamed policy: String, toGPO gpo: String) throws
    /// `show gpoassignedpolicy name=`: the lines to print.
    func assignedPolicy(ofGPO gpo: String) throws -> [(String, String)]
}
