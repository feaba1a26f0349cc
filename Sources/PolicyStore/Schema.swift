import GRDB

/// The store's SQLite schema.
///
/// Policies and filter actions are kept as JSON bodies (the `Policy` module's
/// Codable values) next to the columns that queries and constraints need: the store, the
/// case-folded name, and the links between objects. Rules, filter lists and filters, the objects a
/// large policy has thousands of, are plain columns (`StoredColumns.swift`), so writing one costs no
/// JSON encoding. Foreign keys make SQLite itself refuse a dangling link. An
/// object's last-change time lives in `when_changed` (not in the body), so touching a policy
/// when one of its rules changes is one small UPDATE. Rules and filters keep the order they were
/// added in through their rowid (an UPDATE keeps it).
enum Schema {
    /// `PRAGMA application_id`: "WARD". A file with another id is not ours.
    static let applicationID: Int32 = 0x5741_5244
    /// `PRAGMA user_version` of the current layout.
    static let version = 1

    static let statements = """
        CREATE TABLE policy (
            store TEXT NOT NULL, id TEXT NOT NULL, name_key TEXT NOT NULL,
            assigned INTEGER NOT NULL DEFAULT 0, when_changed REAL NOT NULL, body TEXT NOT NULL,
            UNIQUE (store, id), UNIQUE (store, name_key));
        CREATE UNIQUE INDEX policy_one_assigned ON policy(store) WHERE assigned = 1;
        CREATE TABLE filterlist (
            store TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, name_key TEXT NOT NULL, description TEXT NOT NULL,
            when_changed REAL NOT NULL,
            UNIQUE (store, id), UNIQUE (store, name_key));
        CREATE TABLE filter (
            store TEXT NOT NULL, filterlist_id TEXT NOT NULL, id TEXT NOT NULL, description TEXT NOT NULL,
            source TEXT NOT NULL, destination TEXT NOT NULL, source_dns TEXT, destination_dns TEXT,
            protocol INTEGER, source_port INTEGER NOT NULL, destination_port INTEGER NOT NULL, mirrored INTEGER NOT NULL,
            FOREIGN KEY (store, filterlist_id) REFERENCES filterlist(store, id) ON DELETE CASCADE);
        CREATE INDEX filter_by_list ON filter(store, filterlist_id);
        CREATE TABLE filteraction (
            store TEXT NOT NULL, id TEXT NOT NULL, name_key TEXT NOT NULL, when_changed REAL NOT NULL, body TEXT NOT NULL,
            UNIQUE (store, id), UNIQUE (store, name_key));
        CREATE TABLE rule (
            store TEXT NOT NULL, id TEXT NOT NULL, policy_id TEXT NOT NULL, name TEXT NOT NULL, name_key TEXT NOT NULL,
            description TEXT NOT NULL, filterlist_id TEXT NOT NULL, filteraction_id TEXT NOT NULL,
            tunnel TEXT, conntype TEXT NOT NULL, active INTEGER NOT NULL, authentication TEXT NOT NULL,
            when_changed REAL NOT NULL,
            UNIQUE (store, id), UNIQUE (store, policy_id, name_key),
            FOREIGN KEY (store, policy_id) REFERENCES policy(store, id) ON DELETE CASCADE,
            FOREIGN KEY (store, filterlist_id) REFERENCES filterlist(store, id) ON DELETE RESTRICT,
            FOREIGN KEY (store, filteraction_id) REFERENCES filteraction(store, id) ON DELETE RESTRICT);
        CREATE INDEX rule_by_policy ON rule(store, policy_id);
        CREATE INDEX rule_by_filterlist ON rule(store, filterlist_id);
        CREATE INDEX rule_by_filteraction ON rule(store, filteraction_id);
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        """

    static let expectedTables: Set<String> = ["policy", "filterlist", "filter", "filteraction", "rule", "meta"]
}
