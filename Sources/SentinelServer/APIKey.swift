// API keys: what they look like, how they are made, and how a presented one is checked.
//
//   sk_<id>_<secret>    id: 12 hex digits (6 random bytes), the look-up key in `api_key`
//                       secret: 64 hex digits (32 random bytes)
//
// Only SHA-256 of the whole key text is stored. A presented key is looked up by its id, then
// its hash is compared with the stored one in constant time (`ConstantTime.equal`).

import Foundation
import SentinelCrypto
public import SentinelState

/// What an API key may do.
public enum Scope: String, Sendable, CaseIterable, Comparable {
  /// Post events for decisions (`POST /v1/decisions`, `/v1/decisions/batch`).
  case decide
  /// Read decisions and the active bundle (`GET /v1/…`).
  case read
  /// Change the tenant's configuration (`PUT /v1/bundle`).
  case admin

  /// Scopes in a fixed order: decide, read, admin.
  public static func < (a: Scope, b: Scope) -> Bool {
    allCases.firstIndex(of: a) ?? 0 < allCases.firstIndex(of: b) ?? 0
  }

  /// The scopes of a comma-separated list (`decide,read`), or an error naming the first unknown
  /// one. Duplicates are ignored; an empty list is refused.
  public static func parseList(_ text: String) throws(APIKeyError) -> [Scope] {
    var out: Set<Scope> = []
    for part in text.split(separator: ",", omittingEmptySubsequences: false) {
      let name = part.trimmingCharacters(in: .whitespaces)
      guard let s = Scope(rawValue: name) else {
        throw APIKeyError(
          "unknown scope `\(name)` (scopes: \(allCases.map(\.rawValue).joined(separator: ", ")))")
      }
      out.insert(s)
    }
    guard !out.isEmpty else { throw APIKeyError("no scopes given") }
    return out.sorted()
  }
}

/// Who made a request: the tenant and scopes of the key it presented.
public struct Principal: Sendable, Equatable {
  /// The tenant the key acts for.
  public var tenant: String
  /// What the key may do.
  public var scopes: Set<Scope>
  /// The key's id (`demo` for the start-up demo key).
  public var keyID: String

  /// A principal.
  public init(tenant: String, scopes: Set<Scope>, keyID: String) {
    self.tenant = tenant
    self.scopes = scopes
    self.keyID = keyID
  }
}

/// A bad key, tenant or scope list, with a message naming it.
public struct APIKeyError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The message.
  public var description: String
  /// An error with `message`.
  public init(_ message: String) { description = message }
}

/// Making and reading API keys.
public enum APIKey {
  /// The prefix of every key.
  public static let prefix = "sk_"

  /// A new key for `tenant` with `scopes`: its text (show it once) and the record to store.
  public static func generate(tenant: String, scopes: [Scope], at date: Date = Date()) throws -> (
    text: String, record: APIKeyRecord
  ) {
    try validateTenant(tenant)
    let id = Hex.encode(try SecureRandom.bytes(6))
    let secret = Hex.encode(try SecureRandom.bytes(32))
    let text = prefix + id + "_" + secret
    let record = APIKeyRecord(
      id: id, tenant: tenant, scopes: scopes.sorted().map(\.rawValue), secretHash: hash(text),
      createdAt: date.formatted(.iso8601))
    return (text, record)
  }

  /// SHA-256 of the key text: what is stored and compared.
  public static func hash(_ text: String) -> [UInt8] { SHA256.digest(utf8: text) }

  /// The id of a key text `sk_<id>_<secret>`, or nil when it does not have that shape.
  public static func id(of text: String) -> String? {
    guard text.hasPrefix(prefix) else { return nil }
    let rest = text.dropFirst(prefix.count)
    guard let underscore = rest.firstIndex(of: "_") else { return nil }
    let id = rest[..<underscore]
    guard !id.isEmpty, id.count <= 64, rest[rest.index(after: underscore)...].count >= 16,
      id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
    else { return nil }
    return String(id)
  }

  /// Checks a tenant name: 1 to 64 characters of `a-z`, `A-Z`, `0-9`, `_`, `-`, `.`.
  public static func validateTenant(_ tenant: String) throws(APIKeyError) {
    guard !tenant.isEmpty, tenant.utf8.count <= 64,
      tenant.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) })
    else {
      throw APIKeyError(
        "bad tenant name `\(tenant)`: use 1 to 64 letters, digits, `_`, `-` or `.`")
    }
  }
}

/// Why a request is not authenticated or not allowed: the status, the RFC 6750
/// `WWW-Authenticate` challenge and the message.
public enum AuthFailure: Error, Sendable, Equatable {
  /// No `Authorization: Bearer` header (401, a bare challenge).
  case missing
  /// A key that is malformed, unknown, wrong or revoked (401, `invalid_token`).
  case invalid(String)
  /// A valid key without the scope the route needs (403, `insufficient_scope`).
  case insufficientScope(Scope)
  /// The key store could not be read (503): the key was neither accepted nor refused.
  case unavailable(String)

  /// 401, 403 or 503.
  public var status: Int {
    switch self {
    case .missing, .invalid: return 401
    case .insufficientScope: return 403
    case .unavailable: return 503
    }
  }

  /// The `WWW-Authenticate` header value (RFC 6750 section 3).
  public var challenge: String {
    switch self {
    case .missing, .unavailable: return #"Bearer realm="sentinel""#
    case .invalid(let m):
      return #"Bearer realm="sentinel", error="invalid_token", error_description=""#
        + m.replacingOccurrences(of: "\"", with: "'") + "\""
    case .insufficientScope(let s):
      return #"Bearer realm="sentinel", error="insufficient_scope", scope=""# + s.rawValue + "\""
    }
  }

  /// The message of the JSON error body.
  public var message: String {
    switch self {
    case .missing: return "missing API key: send `Authorization: Bearer KEY`"
    case .invalid(let m): return m
    case .insufficientScope(let s): return "this API key lacks the `\(s.rawValue)` scope"
    case .unavailable(let m): return m
    }
  }
}

/// Checks presented keys against the key store, and the start-up demo key (held in memory only).
public struct Authenticator: Sendable {
  let keys: APIKeyStore?
  let demoHash: [UInt8]?

  /// An authenticator over `keys`, also accepting `demoKey` (tenant `default`, every scope).
  public init(keys: APIKeyStore?, demoKey: String?) {
    self.keys = keys
    demoHash = demoKey.map(APIKey.hash)
  }

  /// The principal of an `Authorization` header value, or why there is none.
  public func authenticate(authorization: String?) -> Result<Principal, AuthFailure> {
    guard let header = authorization?.trimmingOWS, !header.isEmpty else {
      return .failure(.missing)
    }
    let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
    guard parts.count == 2, parts[0].lowercased() == "bearer" else {
      return .failure(.invalid("the Authorization header is not `Bearer KEY`"))
    }
    let text = String(parts[1].trimmingOWS)
    let presented = APIKey.hash(text)
    if let demoHash, ConstantTime.equal(presented, demoHash) {
      return .success(Principal(tenant: "default", scopes: Set(Scope.allCases), keyID: "demo"))
    }
    guard let id = APIKey.id(of: text) else { return .failure(.invalid("malformed API key")) }
    let record: APIKeyRecord?
    do {
      record = try keys?.record(id: id)
    } catch {
      return .failure(.unavailable("cannot check the API key: \(error)"))
    }
    // NOTE: an unknown id and a wrong secret get the same answer, so ids cannot be probed.
    guard let record, ConstantTime.equal(presented, record.secretHash) else {
      return .failure(.invalid("unknown or wrong API key"))
    }
    if record.revokedAt != nil { return .failure(.invalid("API key `\(id)` is revoked")) }
    return .success(
      Principal(
        tenant: record.tenant, scopes: Set(record.scopes.compactMap(Scope.init(rawValue:))), keyID: id))
  }
}
