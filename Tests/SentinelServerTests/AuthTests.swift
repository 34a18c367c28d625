// API keys and their checks: the pure parts (scope table, key shape, the authenticator over a
// real SQLite key store), `sentinel keys` as a process, and 401/403 from the real daemon.

import Foundation
import SentinelCrypto
import SentinelModel
import SentinelState
import SentinelTestSupport
import Testing

@testable import SentinelServer

#if canImport(Glibc)
  import Glibc
#endif

@Suite struct AuthUnitTests {
  @Test func everyV1RouteNeedsItsScopeAndOtherPathsAreOpen() {
    let table: [(String, String, Scope?)] = [
      ("POST", "/v1/decisions", .decide),
      ("POST", "/v1/decisions/batch", .decide),
      ("GET", "/v1/decisions/e-1", .read),
      ("GET", "/v1/bundle", .read),
      ("PUT", "/v1/bundle", .admin),
      ("GET", "/v1/lists/blocked", .read),
      ("PATCH", "/v1/lists/blocked", .admin),
      ("DELETE", "/v1/decisions/e-1", .admin),
      ("POST", "/v1/anything-new", .admin),
      ("GET", "/v1", .read),
      ("GET", "/healthz", nil),
      ("GET", "/readyz", nil),
      ("GET", "/metrics", nil),
      ("GET", "/openapi.json", nil),
      ("GET", "/v10/decisions", nil),
    ]
    for (method, path, scope) in table {
      #expect(AuthMiddleware.requiredScope(method: method, path: path) == scope, "\(method) \(path)")
    }
  }

  @Test func keyShapeAndScopeLists() throws {
    #expect(APIKey.id(of: "sk_3f9a1c2b7d4e_" + String(repeating: "a", count: 64)) == "3f9a1c2b7d4e")
    #expect(APIKey.id(of: "sk_3f9a_short") == nil)
    #expect(APIKey.id(of: "pk_3f9a1c2b7d4e_" + String(repeating: "a", count: 64)) == nil)
    #expect(APIKey.id(of: "sk__" + String(repeating: "a", count: 64)) == nil)
    #expect(APIKey.id(of: "sk_a'b_" + String(repeating: "a", count: 64)) == nil)
    #expect(try Scope.parseList("admin,decide,admin") == [.decide, .admin])
    #expect(throws: APIKeyError.self) { try Scope.parseList("decide,write") }
    #expect(throws: APIKeyError.self) { try Scope.parseList("") }
    #expect(throws: APIKeyError.self) { try APIKey.validateTenant("a b") }
    #expect(throws: APIKeyError.self) { try APIKey.validateTenant("") }
    let (text, record) = try APIKey.generate(tenant: "acme", scopes: [.read, .decide])
    #expect(APIKey.id(of: text) == record.id)
    #expect(record.scopes == ["decide", "read"])
    #expect(record.secretHash == SHA256.digest(utf8: text))
    #expect(!record.secretHash.isEmpty && !text.isEmpty)
    let (other, _) = try APIKey.generate(tenant: "acme", scopes: [.read])
    #expect(other != text)
  }

  @Test func authenticatorOverARealKeyStore() throws {
    let db = try Repo.temporaryFolder() + "/keys.db"
    let store = try APIKeyStore(path: db)
    let (text, record) = try APIKey.generate(tenant: "acme", scopes: [.decide])
    try store.insert(record)
    let auth = Authenticator(keys: store, demoKey: "sk_demo_0123456789abcdef")

    #expect(
      auth.authenticate(authorization: "Bearer \(text)")
        == .success(Principal(tenant: "acme", scopes: [.decide], keyID: record.id)))
    #expect(
      auth.authenticate(authorization: "bearer  \(text) ")
        == auth.authenticate(authorization: "Bearer \(text)"))
    #expect(
      auth.authenticate(authorization: "Bearer sk_demo_0123456789abcdef")
        == .success(Principal(tenant: "default", scopes: Set(Scope.allCases), keyID: "demo")))
    #expect(auth.authenticate(authorization: nil) == .failure(.missing))
    #expect(auth.authenticate(authorization: "") == .failure(.missing))
    // The right id with a wrong secret, an unknown id, another scheme, a malformed key.
    var wrong = Array(text)
    wrong[wrong.count - 1] = wrong.last == "0" ? "1" : "0"
    for bad in ["Bearer " + String(wrong), "Bearer sk_000000000000_" + String(repeating: "0", count: 64)] {
      #expect(
        auth.authenticate(authorization: bad) == .failure(.invalid("unknown or wrong API key")), "\(bad)")
    }
    guard case .failure(.invalid) = auth.authenticate(authorization: "Basic dXNlcjpwYXNz") else {
      Issue.record("Basic accepted")
      return
    }
    guard case .failure(.invalid) = auth.authenticate(authorization: "Bearer nonsense") else {
      Issue.record("malformed key accepted")
      return
    }
    #expect(try store.revoke(id: record.id))
    #expect(try !store.revoke(id: "nope"))
    guard case .failure(.invalid(let m)) = auth.authenticate(authorization: "Bearer \(text)") else {
      Issue.record("revoked key accepted")
      return
    }
    #expect(m.contains("revoked"))
    try store.close()
  }

  @Test func challengesFollowRFC6750() {
    #expect(AuthFailure.missing.status == 401)
    #expect(AuthFailure.missing.challenge == #"Bearer realm="sentinel""#)
    #expect(AuthFailure.invalid("x").challenge.contains(#"error="invalid_token""#))
    #expect(AuthFailure.insufficientScope(.admin).status == 403)
    #expect(
      AuthFailure.insufficientScope(.admin).challenge
        == #"Bearer realm="sentinel", error="insufficient_scope", scope="admin""#)
  }
}

@Suite(.serialized) struct KeysCommandTests {
  @Test func createPrintsTheKeyLastAndStoresOnlyItsHash() throws {
    let db = try Repo.temporaryFolder() + "/state.db"
    let r = try runSentinel([
      "keys", "create", "--db", db, "--tenant", "acme", "--scopes", "decide,read,admin",
    ])
    #expect(r.status == 0, "\(r.err)")
    let key = try #require(r.out.split(separator: "\n").last.map(String.init))
    let id = try #require(APIKey.id(of: key), "not a key: \(key)")
    #expect(key.count == "sk_".count + 12 + 1 + 64)

    let list = try runSentinel(["keys", "list", "--db", db])
    #expect(list.status == 0)
    #expect(list.out.contains(id) && list.out.contains("acme") && list.out.contains("decide,read,admin"))
    #expect(!list.out.contains(key))
    let secret = String(key.split(separator: "_").last ?? "")
    for file in [db, db + "-wal"] {
      if let bytes = FileManager.default.contents(atPath: file) {
        #expect(bytes.range(of: Data(secret.utf8)) == nil, "the secret is stored in \(file)")
      }
    }
    let records = try APIKeyStore(path: db).all()
    #expect(records.count == 1)
    #expect(records.first?.secretHash == SHA256.digest(utf8: key))

    let revoked = try runSentinel(["keys", "revoke", "--db", db, id])
    #expect(revoked.status == 0, "\(revoked.err)")
    #expect(try runSentinel(["keys", "list", "--db", db]).out.contains("\tacme\tdecide,read,admin\t"))
    #expect(try APIKeyStore(path: db).record(id: id)?.revokedAt != nil)

    let unknown = try runSentinel(["keys", "revoke", "--db", db, "000000000000"])
    #expect(unknown.status == 1)
    #expect(unknown.err.contains("000000000000"))
    let badScope = try runSentinel([
      "keys", "create", "--db", db, "--tenant", "acme", "--scopes", "decide,write",
    ])
    #expect(badScope.status != 0)
    #expect(badScope.err.contains("write"), "\(badScope.err)")
    let badTenant = try runSentinel(["keys", "create", "--db", db, "--tenant", "a/b", "--scopes", "read"])
    #expect(badTenant.status != 0)
    #expect(badTenant.err.contains("a/b"), "\(badTenant.err)")
  }
}

@Suite(.serialized) struct AuthDaemonTests {
  static let event = DaemonTests.event("a-1")

  @Test func refusalsAreRFC6750WithJSONBodies() async throws {
    let daemon = try Daemon()
    // Open paths.
    #expect(try await daemon.get("/healthz", key: nil).status == 200)
    #expect(try await daemon.get("/readyz", key: nil).status == 200)

    let none = try await daemon.post("/v1/decisions", Self.event, key: nil)
    #expect(none.status == 401)
    #expect(none.challenge == #"Bearer realm="sentinel""#)
    #expect(DaemonTests.string(none.map, "error")?.contains("Authorization") == true, "\(none.body)")
    for bad in ["sk_000000000000_" + String(repeating: "0", count: 64), "nonsense", Daemon.demoKey + "x"] {
      let a = try await daemon.post("/v1/decisions", Self.event, key: bad)
      #expect(a.status == 401, "\(bad): \(a.body)")
      #expect(a.challenge?.contains(#"error="invalid_token""#) == true, "\(a.challenge ?? "none")")
      #expect(a.map?[string: "error"] != nil)
    }
    // An unknown /v1 route is closed too (no probing without a key).
    #expect(try await daemon.get("/v1/nothing", key: nil).status == 401)
    #expect(try await daemon.get("/v1/nothing").status == 404)

    // Keys made while the daemon runs are seen at once.
    let reader = try createKey(db: daemon.db, tenant: "default", scopes: "read")
    let decider = try createKey(db: daemon.db, tenant: "default", scopes: "decide")
    let forbidden = try await daemon.post("/v1/decisions", Self.event, key: reader)
    #expect(forbidden.status == 403)
    #expect(forbidden.challenge == #"Bearer realm="sentinel", error="insufficient_scope", scope="decide""#)
    #expect(DaemonTests.string(forbidden.map, "error")?.contains("decide") == true)
    let put = try await daemon.putBundle([1, 2, 3], key: reader)
    #expect(put.status == 403)
    #expect(put.challenge?.contains(#"scope="admin""#) == true)
    #expect(try await daemon.post("/v1/decisions", Self.event, key: decider).status == 200)
    #expect(try await daemon.get("/v1/decisions/a-1", key: reader).status == 200)
    let noRead = try await daemon.get("/v1/decisions/a-1", key: decider)
    #expect(noRead.status == 403)
    #expect(noRead.challenge?.contains(#"scope="read""#) == true)
    #expect(try await daemon.get("/v1/bundle", key: decider).status == 403)

    // Revoked while running: refused from the next request.
    let id = try #require(APIKey.id(of: decider))
    #expect(try runSentinel(["keys", "revoke", "--db", daemon.db, id]).status == 0)
    let revoked = try await daemon.post("/v1/decisions", DaemonTests.event("a-2"), key: decider)
    #expect(revoked.status == 401)
    #expect(DaemonTests.string(revoked.map, "error")?.contains("revoked") == true, "\(revoked.body)")
    #expect(daemon.terminate() == 0)
  }

  @Test func withoutDemoKeyOptionAFreshDemoKeyIsPrintedAndWorks() async throws {
    let daemon = try Daemon(demoKey: nil)
    let line = try #require(daemon.banner.split(separator: "\n").first { $0.hasPrefix("demo API key") })
    let key = try #require(line.split(separator: " ").last.map(String.init))
    #expect(key.hasPrefix("sk_demo_"))
    #expect(try await daemon.post("/v1/decisions", Self.event, key: key).status == 200)
    #expect(try await daemon.post("/v1/decisions", Self.event).status == 401)  // the test key is not it
    #expect(daemon.terminate() == 0)

    let none = try Daemon(extraArguments: ["--no-demo-key"], demoKey: nil)
    #expect(!none.banner.contains("demo API key"))
    #expect(try await none.post("/v1/decisions", Self.event, key: key).status == 401)
    #expect(none.terminate() == 0)
  }
}
