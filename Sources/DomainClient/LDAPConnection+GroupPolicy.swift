import Directory
import GroupPolicy

/// The real directory of Group Policy processing.
extension LDAPConnection: GroupPolicyDirectory {}
