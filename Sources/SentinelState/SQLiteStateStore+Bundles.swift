// The bundle each tenant last installed over the API (`PUT /v1/bundle`), kept in the state
// database so that a restarted daemon decides with the same bundle. The bytes are stored as
// uploaded; the daemon verifies them again (BundleLoader) when it loads them.

import Foundation
import GRDB

/// A bundle stored for a tenant.
public struct StoredBundle: Sendable, Equatable {
  /// The tenant it belongs to.
  public var tenant: String
  /// The encoded bundle, exactly as installed.
  public var bytes: [UInt8]
  /// The digest it had when installed (64 hex digits).
  public var digest: String
  /// When it was installed (RFC 3339, UTC).
  public var installedAt: String

  /// A stored bundle.
  public init(tenant: String, bytes: [UInt8], digest: String, installedAt: String) {
    self.tenant = tenant
    self.bytes = bytes
    self.digest = digest
    self.installedAt = installedAt
  }
}

extension SQLiteStateStore {
  /// Records `bytes` as this tenant's bundle (replacing the previous one); durable on return.
  public func saveBundle(_ bytes: [UInt8], digest: String, at date: Date = Date()) throws {
    if isReadOnly { throw StateStoreError.readOnly(path: path) }
    try run("store the bundle of tenant `\(tenant)`") { db in
      try db.execute(
        sql: """
          INSERT INTO tenant_bundle (tenant, bundle, digest, installed_at) VALUES (?, ?, ?, ?)
          ON CONFLICT (tenant) DO UPDATE SET bundle = excluded.bundle, digest = excluded.digest,
            installed_at = excluded.installed_at
          """,
        arguments: [tenant, Data(bytes), digest, date.formatted(.iso8601)])
    }
  }

  /// Every tenant's stored bundle, by tenant name.
  public func storedBundles() throws -> [StoredBundle] {
    try run("read stored bundles") { db in
      try Row.fetchAll(
        db, sql: "SELECT tenant, bundle, digest, installed_at FROM tenant_bundle ORDER BY tenant"
      ).map { row in
        let data: Data = row["bundle"]
        return StoredBundle(
          tenant: row["tenant"], bytes: [UInt8](data), digest: row["digest"], installedAt: row["installed_at"]
        )
      }
    }
  }
}
