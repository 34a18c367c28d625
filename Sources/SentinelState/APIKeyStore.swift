// API keys in the state database (table `api_key`, migration `v2_api_keys`). A key is stored as
// its id, tenant, scopes and the SHA-256 of the key text: the secret is shown once when the key
// is made and never stored. Generating keys and checking presented ones is the daemon's job
// (SentinelServer `APIKey`); this file only keeps the records.

import Foundation
import GRDB

/// One API key as stored: everything but the secret.
public struct APIKeyRecord: Sendable, Equatable {
  /// The key's public id (the part of the key text before the secret).
  public var id: String
  /// The tenant the key acts for.
  public var tenant: String
  /// What the key may do (`decide`, `read`, `admin`), sorted.
  public var scopes: [String]
  /// SHA-256 of the whole key text (32 bytes).
  public var secretHash: [UInt8]
  /// When the key was made (RFC 3339, UTC).
  public var createdAt: String
  /// When the key was revoked (RFC 3339, UTC), or nil while it is valid.
  public var revokedAt: String?

  /// A key record.
  public init(
    id: String, tenant: String, scopes: [String], secretHash: [UInt8], createdAt: String,
    revokedAt: String? = nil
  ) {
    self.id = id
    self.tenant = tenant
    self.scopes = scopes
    self.secretHash = secretHash
    self.createdAt = createdAt
    self.revokedAt = revokedAt
  }
}

/// The API keys of a state database. Uses its own connection, so that key look-ups do not wait
/// behind the daemon's commits (WAL: readers do not block on the writer).
public final class APIKeyStore: Sendable {
  private let store: SQLiteStateStore

  /// Opens (creating it when missing) the state database at `path` for its keys. Throws what
  /// `SQLiteStateStore.init` throws.
  public init(path: String) throws {
    store = try SQLiteStateStore(path: path)
  }

  /// The database file.
  public var path: String { store.path }

  /// Adds a key. Throws `StateStoreError.database` when the id is taken.
  public func insert(_ record: APIKeyRecord) throws {
    try store.run("add API key `\(record.id)`") { db in
      try db.execute(
        sql: """
          INSERT INTO api_key (id, tenant, scopes, secret_sha256, created_at, revoked_at)
          VALUES (?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          record.id, record.tenant, record.scopes.joined(separator: ","), Data(record.secretHash),
          record.createdAt, record.revokedAt,
        ])
    }
  }

  /// The key with this id, or nil (one primary-key seek).
  public func record(id: String) throws -> APIKeyRecord? {
    try store.run("look up API key `\(id)`") { db in
      let s = try db.cachedStatement(
        sql: "SELECT id, tenant, scopes, secret_sha256, created_at, revoked_at FROM api_key WHERE id = ?")
      return try Row.fetchOne(s, arguments: [id]).map(Self.record(from:))
    }
  }

  /// Every key, oldest first.
  public func all() throws -> [APIKeyRecord] {
    try store.run("list API keys") { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT id, tenant, scopes, secret_sha256, created_at, revoked_at FROM api_key
          ORDER BY created_at, id
          """
      ).map(Self.record(from:))
    }
  }

  /// Revokes the key `id` (from now on it is refused). Returns false when there is no such key;
  /// revoking a revoked key keeps its first revocation time.
  public func revoke(id: String, at date: Date = Date()) throws -> Bool {
    try store.run("revoke API key `\(id)`") { db in
      guard try Int.fetchOne(db, sql: "SELECT 1 FROM api_key WHERE id = ?", arguments: [id]) != nil else {
        return false
      }
      try db.execute(
        sql: "UPDATE api_key SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
        arguments: [date.formatted(.iso8601), id])
      return true
    }
  }

  /// Closes the connection (without a checkpoint: a running daemon may hold the database).
  public func close() throws {
    do { try store.queue.close() } catch {
      throw StateStoreError.database(
        path: path, operation: "close", reason: SQLiteStateStore.reason(error),
        code: SQLiteStateStore.resultCode(error))
    }
  }

  private static func record(from row: Row) -> APIKeyRecord {
    let scopes: String = row["scopes"]
    let hash: Data = row["secret_sha256"]
    return APIKeyRecord(
      id: row["id"], tenant: row["tenant"],
      scopes: scopes.split(separator: ",").map(String.init), secretHash: [UInt8](hash),
      createdAt: row["created_at"], revokedAt: row["revoked_at"])
  }
}
