// The SQLite schema of a state database, created and upgraded by a GRDB `DatabaseMigrator`.
//
//   aggregate_state  (tenant, aggregate, key) → state BLOB (`AggregateState.encoded()`),
//                    WITHOUT ROWID: one B-tree seek per load.
//   decision         (tenant, event_id) → seq, line, action, score, rules (JSON array),
//                    event time (seconds, nanos), bundle digest; WITHOUT ROWID, so the
//                    processed-id lookup is one primary-key seek. `seq` increases per tenant in
//                    commit order; (tenant, seq) is unique and indexed for reading the log.
//                    v2_audit_chain adds `prev_hash`, `hash` (the audit chain, AuditChain.swift)
//                    and `decided_at` (commit time, milliseconds since 1970).
//   audit_anchor     tenant → the last pruned record (seq, hash, decided_at) and how many were
//                    pruned: verification starts from it (`sentinel audit prune`).
//   pruned_event     (tenant, event_id) → line: the decision lines of pruned records, so that a
//                    pruned event id is still recognised as a duplicate.
//   meta             key → value: `format` = `sentinel-state`, `state_encoding` = the version
//                    of the state form (`aggregateStateFormatVersion`, now 2); a database in
//                    another encoding is refused on open.
//   api_key          (v2_api_keys) id → tenant, scopes, SHA-256 of the key, created, revoked;
//                    the secret itself is never stored (`APIKeyStore`).
//   tenant_bundle    (v2_tenant_bundles) tenant → the encoded bundle last installed for it
//                    over the API, with its digest (`SQLiteStateStore+Bundles.swift`).
//   outbox           (v2_outbox) id → tenant, stream, kind (`decision` | `dead_letter`), body,
//                    error, published: what a stream consumer must still write to Redis, written
//                    in the transaction of the decisions it publishes (`SQLiteStateStore+Outbox`).
//   outbox_source    (v2_outbox) one random id naming this database to Redis (the publication
//                    watermark's key), so that a re-publication after a crash is recognized.
//   runtime_list     (v3_runtime_lists) (tenant, name) → the entries of a run-time list as set
//                    over the API (a JSON array of strings), their element type, a version
//                    (1 for the first change, +1 per change) and when it changed
//                    (`SQLiteStateStore+Lists.swift`).
//   v4_append_only_log rebuilds two tables so that a commit appends instead of scattering:
//   decision         becomes a rowid table (`id`, in commit order) with unique indexes on
//                    (tenant, event_id) and (tenant, seq): a batch's rows, lines and chain hashes
//                    land on the last pages instead of one random leaf per event (event ids are
//                    random), and only the small event-id index entries are scattered.
//   outbox           a decision row names its decision (`decision_seq`, in the row's tenant) and
//                    has no `body`; dead letters keep `body` (the raw event). Exactly one of the
//                    two is set. Ids and the AUTOINCREMENT counter are kept (Redis's watermark).
//   v5_deferred_indexes replaces the index `decision_by_event` with `event_index` (tenant,
//                    event_id) → decision id, filled in bulk, and adds `state_log` and `fold_mark`:
//                    the event-id index and the states are written in key order every few
//                    thousand decisions (`SQLiteStateStore+Fold.swift`).
//   v6_hashed_event_index keys `event_index` by a 64-bit keyed hash of (tenant, event id)
//                    (`EventKey.swift`): (key, decision id), WITHOUT ROWID; the seed is drawn once
//                    and kept in `meta.event_key_seed` (16 hex digits). Two ids may share a key:
//                    every read checks the decision row's tenant and event id.
// The file's `PRAGMA application_id` says it is ours; a database with tables and another (or no)
// id is refused rather than written to.

import GRDB

// MARK: - Schema

enum StateSchema {
  /// `PRAGMA application_id` of a state database: "SIQ1".
  static let applicationID: Int32 = 0x5349_5131
  /// The value of `meta.format`.
  static let format = "sentinel-state"

  /// Creates and upgrades the schema. Migrations are append-only: never edit a shipped one.
  static var migrator: DatabaseMigrator {
    var m = DatabaseMigrator()
    m.registerMigration("v1") { db in
      try db.execute(
        sql: """
          CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;
          CREATE TABLE aggregate_state (
            tenant TEXT NOT NULL,
            aggregate TEXT NOT NULL,
            key TEXT NOT NULL,
            state BLOB NOT NULL,
            PRIMARY KEY (tenant, aggregate, key)
          ) WITHOUT ROWID;
          CREATE TABLE decision (
            tenant TEXT NOT NULL,
            event_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            line TEXT NOT NULL,
            action TEXT NOT NULL,
            score INTEGER NOT NULL,
            rules TEXT NOT NULL,
            event_seconds INTEGER NOT NULL,
            event_nanos INTEGER NOT NULL,
            bundle_digest TEXT NOT NULL,
            PRIMARY KEY (tenant, event_id)
          ) WITHOUT ROWID;
          CREATE UNIQUE INDEX decision_by_seq ON decision (tenant, seq);
          """)
      try db.execute(
        sql: "INSERT INTO meta (key, value) VALUES ('format', ?), ('state_encoding', ?)",
        arguments: [format, String(aggregateStateFormatVersion)])
      try db.execute(sql: "PRAGMA application_id = \(applicationID)")
    }
    m.registerMigration("v2_api_keys") { db in
      try db.execute(
        sql: """
          CREATE TABLE api_key (
            id TEXT PRIMARY KEY NOT NULL,
            tenant TEXT NOT NULL,
            scopes TEXT NOT NULL,
            secret_sha256 BLOB NOT NULL,
            created_at TEXT NOT NULL,
            revoked_at TEXT
          ) WITHOUT ROWID;
          """)
    }
    m.registerMigration("v2_tenant_bundles") { db in
      try db.execute(
        sql: """
          CREATE TABLE tenant_bundle (
            tenant TEXT PRIMARY KEY NOT NULL,
            bundle BLOB NOT NULL,
            digest TEXT NOT NULL,
            installed_at TEXT NOT NULL
          ) WITHOUT ROWID;
          """)
    }
    m.registerMigration("v2_audit_chain") { db in try AuditChain.migrate(db) }
    m.registerMigration("v2_outbox") { db in
      try db.execute(
        sql: """
          CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            tenant TEXT NOT NULL,
            stream TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('decision', 'dead_letter')),
            body TEXT NOT NULL,
            error TEXT,
            published INTEGER NOT NULL DEFAULT 0
          );
          CREATE INDEX outbox_unpublished ON outbox (id) WHERE published = 0;
          CREATE TABLE outbox_source (id TEXT NOT NULL);
          INSERT INTO outbox_source (id) VALUES (lower(hex(randomblob(8))));
          """)
    }
    m.registerMigration("v3_runtime_lists") { db in
      try db.execute(
        sql: """
          CREATE TABLE runtime_list (
            tenant TEXT NOT NULL,
            name TEXT NOT NULL,
            element_type TEXT NOT NULL,
            entries TEXT NOT NULL,
            version INTEGER NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (tenant, name)
          ) WITHOUT ROWID;
          """)
    }
    m.registerMigration("v4_append_only_log") { db in try migrateToAppendOnlyLog(db) }
    m.registerMigration("v5_deferred_indexes") { db in
      try db.execute(
        sql: """
          CREATE TABLE event_index (
            tenant TEXT NOT NULL,
            event_id TEXT NOT NULL,
            decision_id INTEGER NOT NULL,
            PRIMARY KEY (tenant, event_id)
          ) WITHOUT ROWID;
          INSERT INTO event_index (tenant, event_id, decision_id)
            SELECT tenant, event_id, id FROM decision ORDER BY tenant, event_id;
          DROP INDEX decision_by_event;
          CREATE TABLE state_log (id INTEGER PRIMARY KEY, tenant TEXT NOT NULL, entries BLOB NOT NULL);
          CREATE TABLE fold_mark (indexed_through INTEGER NOT NULL);
          INSERT INTO fold_mark (indexed_through) SELECT ifnull(max(id), 0) FROM decision;
          """)
    }
    m.registerMigration("v6_hashed_event_index") { db in try migrateToHashedEventIndex(db) }
    return m
  }

  /// Migration `v6_hashed_event_index` (see the top of this file): draws the file's seed and
  /// rebuilds `event_index` with each entry's key, in key order.
  static func migrateToHashedEventIndex(_ db: Database) throws {
    let seed = UInt64.random(in: .min ... .max)
    try db.execute(
      sql: "INSERT INTO meta (key, value) VALUES ('event_key_seed', ?)",
      arguments: [EventKey.seedText(seed)])
    let key = EventKey(seed: seed)
    var rows: [(Int64, Int64)] = []
    let old = try Row.fetchCursor(db, sql: "SELECT tenant, event_id, decision_id FROM event_index")
    while let row = try old.next() {
      rows.append((key.of(tenant: row[0], eventID: row[1]), row[2]))
    }
    rows.sort { $0 < $1 }
    try db.execute(
      sql: """
        DROP TABLE event_index;
        CREATE TABLE event_index (
          key INTEGER NOT NULL,
          decision_id INTEGER NOT NULL,
          PRIMARY KEY (key, decision_id)
        ) WITHOUT ROWID;
        """)
    let insert = try db.makeStatement(sql: "INSERT INTO event_index (key, decision_id) VALUES (?, ?)")
    for (k, id) in rows { try insert.execute(arguments: [k, id]) }
  }

  /// Migration `v4_append_only_log` (see the top of this file): copies `decision` and `outbox`
  /// into their new layouts, keeping every column value, the outbox ids and its AUTOINCREMENT
  /// counter.
  static func migrateToAppendOnlyLog(_ db: Database) throws {
    let columns =
      "tenant, event_id, seq, line, action, score, rules, event_seconds, event_nanos, bundle_digest, decided_at, prev_hash, hash"
    try db.execute(
      sql: """
        CREATE TABLE decision_v4 (
          id INTEGER PRIMARY KEY,
          tenant TEXT NOT NULL,
          event_id TEXT NOT NULL,
          seq INTEGER NOT NULL,
          line TEXT NOT NULL,
          action TEXT NOT NULL,
          score INTEGER NOT NULL,
          rules TEXT NOT NULL,
          event_seconds INTEGER NOT NULL,
          event_nanos INTEGER NOT NULL,
          bundle_digest TEXT NOT NULL,
          decided_at INTEGER NOT NULL DEFAULT 0,
          prev_hash TEXT NOT NULL DEFAULT '',
          hash TEXT NOT NULL DEFAULT ''
        );
        INSERT INTO decision_v4 (\(columns)) SELECT \(columns) FROM decision ORDER BY tenant, seq;
        DROP TABLE decision;
        ALTER TABLE decision_v4 RENAME TO decision;
        CREATE UNIQUE INDEX decision_by_event ON decision (tenant, event_id);
        CREATE UNIQUE INDEX decision_by_seq ON decision (tenant, seq);
        """)
    let counter = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'")
    try db.execute(
      sql: """
        CREATE TABLE outbox_v4 (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          tenant TEXT NOT NULL,
          stream TEXT NOT NULL,
          kind TEXT NOT NULL CHECK (kind IN ('decision', 'dead_letter')),
          decision_seq INTEGER,
          body TEXT,
          error TEXT,
          published INTEGER NOT NULL DEFAULT 0,
          CHECK ((decision_seq IS NULL) <> (body IS NULL))
        );
        INSERT INTO outbox_v4 (id, tenant, stream, kind, body, error, published)
          SELECT id, tenant, stream, kind, body, error, published FROM outbox ORDER BY id;
        DROP TABLE outbox;
        ALTER TABLE outbox_v4 RENAME TO outbox;
        CREATE INDEX outbox_unpublished ON outbox (id) WHERE published = 0;
        """)
    // The counter may be above every remaining id (rows deleted once published): keep it, so an
    // id is never reused and Redis's publication watermark stays valid.
    if let counter {
      try db.execute(sql: "DELETE FROM sqlite_sequence WHERE name = 'outbox'")
      try db.execute(
        sql: """
          INSERT INTO sqlite_sequence (name, seq)
            VALUES ('outbox', max(?, (SELECT ifnull(max(id), 0) FROM outbox)))
          """, arguments: [counter])
    }
  }
}
