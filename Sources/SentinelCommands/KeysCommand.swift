// `sentinel keys`: API keys of the scoring daemon, kept in its state database (table `api_key`).
// A key is printed once, when it is made; only its SHA-256 is stored.

import ArgumentParser
import Foundation
import SentinelServer
import SentinelState

/// Creates, lists and revokes API keys.
public struct KeysCommand: ParsableCommand {
  /// The command's name, help and subcommands.
  public static let configuration = CommandConfiguration(
    commandName: "keys",
    abstract: "Create, list and revoke the daemon's API keys (stored in its state database).",
    discussion: """
      A key acts for one tenant with some scopes:
        decide  POST /v1/decisions, POST /v1/decisions/batch
        read    GET /v1/decisions/{event_id}, GET /v1/bundle
        admin   PUT /v1/bundle
      Keys look like sk_<id>_<secret>. `keys create` prints the new key as its last line of
      output, once: the database keeps only its SHA-256. A running daemon sees new and revoked
      keys at once (it looks keys up on each request).

      Examples:
        sentinel keys create --db sentinel.db --tenant acme --scopes decide,read
        sentinel keys list --db sentinel.db
        sentinel keys revoke --db sentinel.db 3f9a1c2b7d4e
      """,
    subcommands: [Create.self, List.self, Revoke.self])

  /// The command with its defaults.
  public init() {}

  /// `sentinel keys create`.
  public struct Create: ParsableCommand {
    /// The subcommand's name and help.
    public static let configuration = CommandConfiguration(
      abstract: "Make a key; prints it as the last line (only its hash is stored).")

    @Option(help: ArgumentHelp("The daemon's state database (created when missing).", valueName: "file.db"))
    var db = "sentinel.db"

    @Option(help: ArgumentHelp("The tenant the key acts for.", valueName: "name"))
    var tenant: String

    @Option(help: ArgumentHelp("Comma-separated scopes: decide, read, admin.", valueName: "list"))
    var scopes = "decide,read"

    /// The subcommand with its defaults.
    public init() {}

    /// Checks the tenant name and the scopes before the database is touched.
    public func validate() throws {
      do throws(APIKeyError) {
        try APIKey.validateTenant(tenant)
        _ = try Scope.parseList(scopes)
      } catch {
        throw ValidationError(error.description)
      }
    }

    /// Makes the key, stores its record and prints it.
    public func run() throws {
      let list = try Scope.parseList(scopes)
      let (text, record) = try APIKey.generate(tenant: tenant, scopes: list)
      let store = try openKeys(db)
      try store.insert(record)
      try store.close()
      print(
        "created key \(record.id) for tenant \(record.tenant) (scopes: \(record.scopes.joined(separator: ",")))"
      )
      print("store it now: it is not shown again")
      print(text)
    }
  }

  /// `sentinel keys list`.
  public struct List: ParsableCommand {
    /// The subcommand's name and help.
    public static let configuration = CommandConfiguration(abstract: "List keys (never their secrets).")

    @Option(help: ArgumentHelp("The daemon's state database.", valueName: "file.db"))
    var db = "sentinel.db"

    /// The subcommand with its defaults.
    public init() {}

    /// Prints one line per key: id, tenant, scopes, created, revoked.
    public func run() throws {
      let store = try openKeys(db)
      let records = try store.all()
      try store.close()
      print("id\ttenant\tscopes\tcreated\trevoked")
      for r in records {
        print(
          "\(r.id)\t\(r.tenant)\t\(r.scopes.joined(separator: ","))\t\(r.createdAt)\t\(r.revokedAt ?? "-")")
      }
    }
  }

  /// `sentinel keys revoke`.
  public struct Revoke: ParsableCommand {
    /// The subcommand's name and help.
    public static let configuration = CommandConfiguration(
      abstract: "Revoke a key: a running daemon refuses it from its next request.")

    @Option(help: ArgumentHelp("The daemon's state database.", valueName: "file.db"))
    var db = "sentinel.db"

    @Argument(help: ArgumentHelp("The key's id (from `keys list`), or the whole key.", valueName: "id"))
    var id: String

    /// The subcommand with its defaults.
    public init() {}

    /// Marks the key revoked; fails when there is no such key.
    public func run() throws {
      let keyID = APIKey.id(of: id) ?? id
      let store = try openKeys(db)
      let found = try store.revoke(id: keyID)
      try store.close()
      guard found else {
        printError("no API key with id `\(keyID)` in `\(db)`")
        throw ExitCode(1)
      }
      print("revoked key \(keyID)")
    }
  }
}

/// The key store of `path`, or exit 1 with the reason.
private func openKeys(_ path: String) throws -> APIKeyStore {
  do {
    return try APIKeyStore(path: path)
  } catch {
    printError("\(error)")
    throw ExitCode(1)
  }
}
