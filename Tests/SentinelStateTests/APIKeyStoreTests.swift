// The v2 tables of a state database on real SQLite files: API key records (`APIKeyStore`),
// tenants' stored bundles, tenant stores sharing a connection, and the upgrade of a database
// written before those tables existed.

import Foundation
import GRDB
import SentinelModel
import SentinelState
import Testing

@Suite struct APIKeyStoreTests {
  static func record(_ id: String, tenant: String = "acme") -> APIKeyRecord {
    APIKeyRecord(
      id: id, tenant: tenant, scopes: ["decide", "read"], secretHash: Array(repeating: 7, count: 32),
      createdAt: "2026-12-05T10:00:00Z")
  }

  @Test func insertLookUpListRevokeAndReopen() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    let keys = try APIKeyStore(path: path)
    try keys.insert(Self.record("aaa"))
    try keys.insert(Self.record("bbb", tenant: "beta"))
    #expect(throws: StateStoreError.self) { try keys.insert(Self.record("aaa")) }
    #expect(try keys.record(id: "aaa") == Self.record("aaa"))
    #expect(try keys.record(id: "zzz") == nil)
    #expect(try keys.all().map(\.id) == ["aaa", "bbb"])
    #expect(try keys.revoke(id: "aaa"))
    let revokedAt = try #require(try keys.record(id: "aaa")?.revokedAt)
    #expect(try keys.revoke(id: "aaa"))  // again: the first time is kept
    #expect(try keys.record(id: "aaa")?.revokedAt == revokedAt)
    #expect(try !keys.revoke(id: "zzz"))
    try keys.close()
    let again = try APIKeyStore(path: path)
    #expect(try again.record(id: "bbb") == Self.record("bbb", tenant: "beta"))
    #expect(try again.record(id: "aaa")?.revokedAt == revokedAt)
    try again.close()
  }

  @Test func storedBundlesArePerTenantAndReplaced() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    let store = try SQLiteStateStore(path: path)
    let beta = store.forTenant("beta")
    #expect(beta.tenant == "beta" && beta.path == path)
    try beta.saveBundle([1, 2, 3], digest: "d1")
    try store.forTenant("acme").saveBundle([4], digest: "d2")
    try beta.saveBundle([5, 6], digest: "d3")
    let stored = try store.storedBundles()
    #expect(stored.map(\.tenant) == ["acme", "beta"])
    #expect(stored.map(\.bytes) == [[4], [5, 6]])
    #expect(stored.map(\.digest) == ["d2", "d3"])
    // Tenant stores on one connection keep their rows apart.
    try beta.commit(StateBatch(decisions: [decision("e-1")]))
    #expect(try store.decisionLine(forEventID: "e-1") == nil)
    #expect(try beta.decisionLine(forEventID: "e-1") != nil)
    try store.close()
    #expect(try SQLiteStateStore(path: path, readOnly: true).storedBundles().count == 2)
  }

  @Test func aDatabaseFromBeforeTheV2TablesIsUpgradedOnOpen() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    let store = try SQLiteStateStore(path: path)
    try store.commit(StateBatch(decisions: [decision("old-1")]))
    try store.close()
    // Make it a v1 database, as the daemon wrote it before keys and stored bundles.
    let queue = try DatabaseQueue(path: path)
    try queue.write { db in
      try db.execute(
        sql: """
          DROP TABLE api_key; DROP TABLE tenant_bundle;
          DELETE FROM grdb_migrations WHERE identifier IN ('v2_api_keys', 'v2_tenant_bundles');
          """)
    }
    try queue.close()
    let keys = try APIKeyStore(path: path)
    try keys.insert(Self.record("aaa"))
    try keys.close()
    let reopened = try SQLiteStateStore(path: path)
    #expect(try reopened.decisionLine(forEventID: "old-1") != nil)
    #expect(try reopened.storedBundles().isEmpty)
    try reopened.close()
  }
}
