// The run-time lists each tenant changed over the API (`PUT`/`PATCH /v1/lists/{name}`), kept in
// the state database so that a restarted daemon (or a new bundle) decides with them. Entries
// are stored as text (a JSON array of strings, as the API takes them) with the element type
// they were checked against; the runtime converts them again for the bundle that uses them.

import Foundation
import GRDB
import SentinelModel

/// A run-time list as stored for a tenant.
public struct StoredRuntimeList: Sendable, Equatable {
  /// The list's name in the rule set.
  public var name: String
  /// The element type the entries were checked against (`string`, `int`, `uint`).
  public var elementType: String
  /// The entries, as text, in order.
  public var entries: [String]
  /// 1 for the first change over the API, one more for each later change.
  public var version: Int
  /// When it last changed (RFC 3339, UTC).
  public var updatedAt: String

  /// A stored list.
  public init(name: String, elementType: String, entries: [String], version: Int, updatedAt: String) {
    self.name = name
    self.elementType = elementType
    self.entries = entries
    self.version = version
    self.updatedAt = updatedAt
  }
}

extension SQLiteStateStore {
  /// Stores `entries` as this tenant's list `name` in one transaction, one version above the
  /// stored one (1 when none), and returns what was stored; durable on return.
  public func saveRuntimeList(
    name: String, elementType: String, entries: [String], at date: Date = Date()
  ) throws -> StoredRuntimeList {
    if isReadOnly { throw StateStoreError.readOnly(path: path) }
    let text = "[" + entries.map(JSONWriter.quote).joined(separator: ",") + "]"
    let updatedAt = date.formatted(.iso8601)
    return try run("store the list `\(name)` of tenant `\(tenant)`") { db in
      try db.inTransaction(.immediate) {
        let previous =
          try Int.fetchOne(
            db, sql: "SELECT version FROM runtime_list WHERE tenant = ? AND name = ?",
            arguments: [tenant, name])
          ?? 0
        try db.execute(
          sql: """
            INSERT INTO runtime_list (tenant, name, element_type, entries, version, updated_at)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (tenant, name) DO UPDATE SET element_type = excluded.element_type,
              entries = excluded.entries, version = excluded.version, updated_at = excluded.updated_at
            """,
          arguments: [tenant, name, elementType, text, previous + 1, updatedAt])
        return .commit
      }
      let version =
        try Int.fetchOne(
          db, sql: "SELECT version FROM runtime_list WHERE tenant = ? AND name = ?",
          arguments: [tenant, name])
        ?? 0
      return StoredRuntimeList(
        name: name, elementType: elementType, entries: entries, version: version, updatedAt: updatedAt)
    }
  }

  /// This tenant's stored lists, by name (including lists its bundle no longer declares).
  public func storedRuntimeLists() throws -> [String: StoredRuntimeList] {
    try run("read the lists of tenant `\(tenant)`") { db in
      var out: [String: StoredRuntimeList] = [:]
      let rows = try Row.fetchAll(
        db,
        sql: "SELECT name, element_type, entries, version, updated_at FROM runtime_list WHERE tenant = ?",
        arguments: [tenant])
      for row in rows {
        let name: String = row["name"]
        let text: String = row["entries"]
        guard case .list(let items)? = try? JSONReader.parse(text) else {
          throw StateStoreError.database(
            path: path, operation: "read the list `\(name)` of tenant `\(tenant)`",
            reason: "its entries are not a JSON array")
        }
        var entries: [String] = []
        for case .string(let s) in items { entries.append(s) }
        guard entries.count == items.count else {
          throw StateStoreError.database(
            path: path, operation: "read the list `\(name)` of tenant `\(tenant)`",
            reason: "its entries are not all strings")
        }
        out[name] = StoredRuntimeList(
          name: name, elementType: row["element_type"], entries: entries, version: row["version"],
          updatedAt: row["updated_at"])
      }
      return out
    }
  }
}
