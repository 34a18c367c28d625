// Tenants: a key of tenant A can never read, change or influence tenant B's decisions, bundle
// or state. The real daemon, keys made with `sentinel keys create`, bundles with
// `sentinel compile`.

import Foundation
import SentinelModel
import SentinelState
import SentinelTestSupport
import Testing

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// Rule sets the bundle tests compile.
enum TestRules {
  /// Every transaction is sent to review by one rule: decisions unlike the reference rules'.
  static let reviewAll = """
    rule review_all {
      when: event.type == "transaction"
      action: review
      score: 5
      reason: "every transaction is reviewed"
    }
    """

  /// A folder holding `reviewAll`; returns its path.
  static func reviewAllFolder() throws -> String {
    let dir = try Repo.temporaryFolder() + "/review-rules"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    try reviewAll.write(toFile: dir + "/review.rules", atomically: true, encoding: .utf8)
    return dir
  }

  /// The reference rules and the review-all rules compiled to bundle files: (path, bytes) each.
  static func bundles(sign: String? = nil) throws -> (reference: (String, [UInt8]), review: (String, [UInt8]))
  {
    let dir = try Repo.temporaryFolder()
    let reference = try compileBundle(Repo.rules, to: dir + "/reference.sbc", sign: sign)
    let review = try compileBundle(try reviewAllFolder(), to: dir + "/review.sbc", sign: sign)
    return ((dir + "/reference.sbc", reference), (dir + "/review.sbc", review))
  }
}

/// A failed login for `user` at second `second` of a minute (the reference rules count them).
func failedLogin(_ id: String, user: String, second: Int) -> String {
  let ts = String(format: "2026-11-25T10:00:%02dZ", second)
  return #"{"event_id":"\#(id)","type":"login","ts":"\#(ts)","user_id":"\#(user)","success":false}"#
}

@Suite(.serialized) struct TenantTests {
  static func string(_ a: HTTPAnswer, _ key: String) -> String? { DaemonTests.string(a.map, key) }

  static func rules(_ a: HTTPAnswer) -> [String] {
    guard case .list(let l)? = a.map?[string: "rules"] else { return [] }
    return l.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
  }

  @Test func crossTenantMatrix() async throws {
    let (reference, review) = try TestRules.bundles()
    let daemon = try Daemon()
    let acme = try createKey(db: daemon.db, tenant: "acme", scopes: "decide,read,admin")
    let beta = try createKey(db: daemon.db, tenant: "beta", scopes: "decide,read,admin")
    let betaReader = try createKey(db: daemon.db, tenant: "beta", scopes: "read")
    let main = Daemon.demoKey  // tenant default

    // A tenant without a bundle decides nothing and has none to show.
    let noBundle = try await daemon.post("/v1/decisions", DaemonTests.event("x-1"), key: acme)
    #expect(noBundle.status == 409, "\(noBundle.body)")
    #expect(Self.string(noBundle, "error")?.contains("acme") == true)
    #expect(try await daemon.get("/v1/bundle", key: acme).status == 409)

    let defaultDigest = try #require(Self.string(try await daemon.get("/v1/bundle", key: main), "digest"))
    let upA = try await daemon.putBundle(reference.1, key: acme)
    #expect(upA.status == 200, "\(upA.body)")
    let upB = try await daemon.putBundle(review.1, key: beta)
    #expect(upB.status == 200, "\(upB.body)")
    let digestA = try #require(Self.string(upA, "digest"))
    let digestB = try #require(Self.string(upB, "digest"))
    #expect(digestA != digestB)
    #expect(Self.string(upB, "tenant") == "beta")
    // Each PUT changed only its tenant's bundle.
    #expect(Self.string(try await daemon.get("/v1/bundle", key: main), "digest") == defaultDigest)
    #expect(Self.string(try await daemon.get("/v1/bundle", key: acme), "digest") == digestA)
    #expect(Self.string(try await daemon.get("/v1/bundle", key: betaReader), "digest") == digestB)
    #expect(try await daemon.putBundle(reference.1, key: betaReader).status == 403)
    #expect(Self.string(try await daemon.get("/v1/bundle", key: beta), "digest") == digestB)

    // The same event id in three tenants: three independent first decisions.
    let event = DaemonTests.event("x-1")
    let inDefault = try await daemon.post("/v1/decisions", event, key: main)
    let inA = try await daemon.post("/v1/decisions", event, key: acme)
    let inB = try await daemon.post("/v1/decisions", event, key: beta)
    for (a, digest) in [(inDefault, defaultDigest), (inA, digestA), (inB, digestB)] {
      #expect(a.status == 200, "\(a.body)")
      #expect(a.map?[string: "duplicate"] == nil, "a first decision in its tenant: \(a.body)")
      #expect(Self.string(a, "bundle_digest") == digest)
    }
    #expect(Self.string(inDefault, "action") == "block")
    #expect(Self.string(inA, "action") == "block")
    #expect(Self.string(inB, "action") == "review")
    #expect(Self.rules(inB) == ["review_all"])

    // Reads see only the caller's tenant.
    #expect(Self.string(try await daemon.get("/v1/decisions/x-1", key: beta), "action") == "review")
    #expect(Self.string(try await daemon.get("/v1/decisions/x-1", key: acme), "action") == "block")
    let onlyB = try await daemon.post("/v1/decisions", DaemonTests.event("only-b"), key: beta)
    #expect(onlyB.status == 200)
    #expect(try await daemon.get("/v1/decisions/only-b", key: betaReader).status == 200)
    #expect(try await daemon.get("/v1/decisions/only-b", key: acme).status == 404)
    #expect(try await daemon.get("/v1/decisions/only-b", key: main).status == 404)
    // Posting B's event id in A decides it anew in A (not a duplicate of B's).
    let onlyBinA = try await daemon.post("/v1/decisions", DaemonTests.event("only-b"), key: acme)
    #expect(onlyBinA.map?[string: "duplicate"] == nil)
    #expect(Self.string(onlyBinA, "action") == "block")
    // A batch goes to the caller's tenant too.
    let batch = try await daemon.post(
      "/v1/decisions/batch", "[" + DaemonTests.event("x-1") + "," + DaemonTests.event("bb-1") + "]", key: beta
    )
    #expect(batch.status == 200)
    #expect(batch.body.contains("\"duplicate\":true") && batch.body.contains("review_all"), "\(batch.body)")
    #expect(try await daemon.get("/v1/decisions/bb-1", key: acme).status == 404)

    // State: five failed logins of one user in `default` trip `credential_stuffing` there; the
    // same user's failed login in `acme` (same rules) counts only acme's own.
    for i in 0..<5 {
      let a = try await daemon.post(
        "/v1/decisions", failedLogin("fl-\(i)", user: "u-shared", second: i), key: main)
      #expect(a.status == 200)
    }
    let sixth = try await daemon.post(
      "/v1/decisions", failedLogin("fl-5", user: "u-shared", second: 5), key: main)
    #expect(Self.rules(sixth).contains("credential_stuffing"), "\(sixth.body)")
    let inAcme = try await daemon.post(
      "/v1/decisions", failedLogin("fl-5", user: "u-shared", second: 6), key: acme)
    #expect(inAcme.status == 200)
    #expect(!Self.rules(inAcme).contains("credential_stuffing"), "\(inAcme.body)")
    #expect(!Self.rules(inAcme).contains("login_failures_warning"), "\(inAcme.body)")

    #expect(daemon.terminate() == 0)
    // The database agrees: each tenant's rows are its own.
    func count(_ tenant: String) throws -> Int {
      try SQLiteStateStore(path: daemon.db, tenant: tenant, readOnly: true).decisionCount()
    }
    #expect(try count("default") == 7)  // x-1, fl-0…fl-5
    #expect(try count("acme") == 3)  // x-1, only-b, fl-5
    #expect(try count("beta") == 3)  // x-1, only-b, bb-1
    let betaStore = try SQLiteStateStore(path: daemon.db, tenant: "beta", readOnly: true)
    #expect(try betaStore.decisionLine(forEventID: "x-1")?.contains("review") == true)
    #expect(try betaStore.stateCount() == 0)  // review-all has no aggregates
  }

  @Test func uploadedBundlesSurviveARestart() async throws {
    let (_, review) = try TestRules.bundles()
    let first = try Daemon()
    let beta = try createKey(db: first.db, tenant: "beta", scopes: "decide,read,admin")
    let up = try await first.putBundle(review.1, key: beta)
    #expect(up.status == 200, "\(up.body)")
    #expect(try await first.post("/v1/decisions", DaemonTests.event("r-1"), key: beta).status == 200)
    #expect(first.terminate() == 0)

    let second = try Daemon(db: first.db)
    let bundle = try await second.get("/v1/bundle", key: beta)
    #expect(Self.string(bundle, "digest") == Self.string(up, "digest"))
    #expect(Self.string(bundle, "origin") == "stored")
    #expect(Self.string(try await second.get("/v1/decisions/r-1", key: beta), "action") == "review")
    let again = try await second.post("/v1/decisions", DaemonTests.event("r-2"), key: beta)
    #expect(Self.string(again, "action") == "review")
    // The tenant `default` still starts with --rules.
    #expect(Self.string(try await second.get("/v1/bundle"), "origin") == "start-up")
    #expect(second.terminate() == 0)

    // Restarted with a trusted key, the unsigned stored bundle no longer loads: beta has no
    // bundle (and says so), but its committed decisions are still readable.
    let dir = try Repo.temporaryFolder()
    #expect(try runSentinel(["keygen", "--out", dir + "/k"]).status == 0)
    let third = try Daemon(extraArguments: ["--trusted-key", dir + "/k.pub"], db: first.db)
    #expect(try third.logText().contains("stored bundle refused"))
    #expect(try await third.get("/v1/bundle", key: beta).status == 409)
    #expect(try await third.post("/v1/decisions", DaemonTests.event("r-3"), key: beta).status == 409)
    #expect(Self.string(try await third.get("/v1/decisions/r-2", key: beta), "action") == "review")
    #expect(third.terminate() == 0)
  }
}
