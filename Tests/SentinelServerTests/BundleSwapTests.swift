// Bundles at run time on the real daemon: GET/PUT /v1/bundle, every refusal (the old bundle
// stays active), trusted keys, SIGHUP with a real signal, and a hot swap under concurrent load
// in which every decision is wholly the old bundle's or wholly the new one's.

import Foundation
import SentinelCrypto
import SentinelModel
import SentinelState
import SentinelTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

@Suite(.serialized) struct BundleSwapTests {
  static func string(_ a: HTTPAnswer, _ key: String) -> String? { DaemonTests.string(a.map, key) }

  /// Polls `GET /v1/bundle` until its digest is `digest` (or 30 s pass).
  static func waitForDigest(_ daemon: Daemon, _ digest: String) async throws -> Bool {
    for _ in 0..<300 {
      if string(try await daemon.get("/v1/bundle"), "digest") == digest { return true }
      try await Task.sleep(for: .milliseconds(100))
    }
    return false
  }

  @Test func getShowsTheActiveBundleAndBadUploadsAreRefusedWithTheReason() async throws {
    let (_, review) = try TestRules.bundles()
    let daemon = try Daemon()
    let before = try await daemon.get("/v1/bundle")
    #expect(before.status == 200, "\(before.body)")
    let digest = try #require(Self.string(before, "digest"))
    #expect(Self.string(before, "tenant") == "default")
    #expect(before.map?[string: "version"] != nil)
    #expect(TenantTests.rules(before).contains("sanctioned_card_country"), "\(before.body)")

    var flipped = review.1
    flipped[flipped.count / 2] ^= 0x01
    var unsupported = review.1
    unsupported[4] = 0x7F
    let cases: [(String, [UInt8], String)] = [
      ("garbage", Array("not a bundle".utf8), "bad_magic"),
      ("flipped content byte", flipped, "digest_mismatch"),
      ("truncated", Array(review.1.prefix(review.1.count - 10)), "malformed"),
      ("short", Array(review.1.prefix(20)), "malformed"),
      ("format version", unsupported, "unsupported_version"),
    ]
    for (name, bytes, reason) in cases {
      let a = try await daemon.putBundle(bytes)
      #expect(a.status == 422, "\(name): \(a.body)")
      #expect(Self.string(a, "reason") == reason, "\(name): \(a.body)")
      #expect(Self.string(a, "error")?.hasPrefix("bundle refused: ") == true, "\(name): \(a.body)")
    }
    #expect(try await daemon.putBundle([]).status == 400)
    // Nothing changed: same bundle, same decisions.
    #expect(Self.string(try await daemon.get("/v1/bundle"), "digest") == digest)
    let d = try await daemon.post("/v1/decisions", DaemonTests.event("k-1"))
    #expect(Self.string(d, "bundle_digest") == digest)
    #expect(Self.string(d, "action") == "block")

    // A good upload swaps; the decisions after it are the new bundle's.
    let up = try await daemon.putBundle(review.1)
    #expect(up.status == 200, "\(up.body)")
    #expect(Self.string(up, "origin") == "api")
    let after = try await daemon.post("/v1/decisions", DaemonTests.event("k-2"))
    #expect(Self.string(after, "action") == "review")
    #expect(Self.string(after, "bundle_digest") == Self.string(up, "digest"))
    // The earlier decision is kept as it was made.
    #expect(Self.string(try await daemon.get("/v1/decisions/k-1"), "action") == "block")
    #expect(daemon.terminate() == 0)
  }

  @Test func aTrustedKeyRequiresItsSignature() async throws {
    let dir = try Repo.temporaryFolder()
    #expect(try runSentinel(["keygen", "--out", dir + "/trusted"]).status == 0)
    #expect(try runSentinel(["keygen", "--out", dir + "/other"]).status == 0)
    let signed = try TestRules.bundles(sign: dir + "/trusted.key")
    let unsigned = try TestRules.bundles()
    let foreign = try TestRules.bundles(sign: dir + "/other.key")
    // --rules as a signed bundle: checked against the trusted key too.
    let daemon = try Daemon(
      extraArguments: ["--trusted-key", dir + "/trusted.pub"], rules: signed.reference.0)
    let start = try #require(Self.string(try await daemon.get("/v1/bundle"), "digest"))
    var badSignature = signed.review.1
    badSignature[badSignature.count - 1] ^= 0x01
    for (name, bytes, reason) in [
      ("unsigned", unsigned.review.1, "unsigned"), ("foreign key", foreign.review.1, "unknown_key"),
      ("bad signature", badSignature, "bad_signature"),
    ] {
      let a = try await daemon.putBundle(bytes)
      #expect(a.status == 422, "\(name): \(a.body)")
      #expect(Self.string(a, "reason") == reason, "\(name): \(a.body)")
    }
    #expect(Self.string(try await daemon.get("/v1/bundle"), "digest") == start)
    let good = try await daemon.putBundle(signed.review.1)
    #expect(good.status == 200, "\(good.body)")
    #expect(good.map?[string: "signature_trusted"]?.description == "true", "\(good.body)")
    #expect(daemon.terminate() == 0)

    // An unsigned --rules bundle does not start under a trusted key.
    let refused = try runSentinel([
      "serve", "--rules", unsigned.reference.0, "--trusted-key", dir + "/trusted.pub",
      "--db", dir + "/x.db", "--listen", "127.0.0.1:0",
    ])
    #expect(refused.status == 1)
    #expect(refused.err.contains("unsigned"), "\(refused.err)")
  }

  @Test func sighupReloadsRulesFromDiskWithTheSameChecks() async throws {
    let (reference, review) = try TestRules.bundles()
    let path = try Repo.temporaryFolder() + "/live.sbc"
    try Data(reference.1).write(to: URL(fileURLWithPath: path))
    let daemon = try Daemon(rules: path)
    let first = try #require(Self.string(try await daemon.get("/v1/bundle"), "digest"))
    #expect(
      Self.string(try await daemon.post("/v1/decisions", DaemonTests.event("h-1")), "action") == "block")

    try Data(review.1).write(to: URL(fileURLWithPath: path))
    kill(daemon.process.processIdentifier, SIGHUP)
    let reviewDigest = Self.recordedDigest(review.1)
    #expect(try await Self.waitForDigest(daemon, reviewDigest), "SIGHUP did not install the new bundle")
    #expect(reviewDigest != first)
    let bundle = try await daemon.get("/v1/bundle")
    #expect(Self.string(bundle, "origin") == "sighup")
    #expect(
      Self.string(try await daemon.post("/v1/decisions", DaemonTests.event("h-2")), "action") == "review")

    // A corrupt file on disk is refused with the reason; the active bundle stays.
    var corrupt = reference.1
    corrupt[corrupt.count / 2] ^= 0x01
    try Data(corrupt).write(to: URL(fileURLWithPath: path))
    kill(daemon.process.processIdentifier, SIGHUP)
    var logged = false
    for _ in 0..<300 where !logged {
      logged = try daemon.logText().contains("reload refused")
      if !logged { try await Task.sleep(for: .milliseconds(100)) }
    }
    #expect(logged, "no refusal logged")
    #expect(try daemon.logText().contains("digest mismatch"))
    #expect(daemon.process.isRunning)
    #expect(Self.string(try await daemon.get("/v1/bundle"), "digest") == reviewDigest)
    #expect(
      Self.string(try await daemon.post("/v1/decisions", DaemonTests.event("h-3")), "action") == "review")
    #expect(daemon.terminate() == 0)
  }

  @Test func sighupRecompilesRuleSourcesAndKeepsTheBundleWhenTheyDoNotCompile() async throws {
    let folder = try TestRules.reviewAllFolder()
    let daemon = try Daemon(rules: folder)
    let first = try #require(Self.string(try await daemon.get("/v1/bundle"), "digest"))
    #expect(
      Self.string(try await daemon.post("/v1/decisions", DaemonTests.event("s-1")), "action") == "review")

    try TestRules.reviewAll.replacingOccurrences(of: "action: review", with: "action: block")
      .write(toFile: folder + "/review.rules", atomically: true, encoding: .utf8)
    kill(daemon.process.processIdentifier, SIGHUP)
    var second: String?
    for _ in 0..<300 where second == nil {
      let d = Self.string(try await daemon.get("/v1/bundle"), "digest")
      if d != first { second = d } else { try await Task.sleep(for: .milliseconds(100)) }
    }
    #expect(second != nil, "SIGHUP did not recompile the rules")
    #expect(
      Self.string(try await daemon.post("/v1/decisions", DaemonTests.event("s-2")), "action") == "block")

    try "rule broken {\n  when: event.type ==\n}\n".write(
      toFile: folder + "/review.rules", atomically: true, encoding: .utf8)
    kill(daemon.process.processIdentifier, SIGHUP)
    var logged = false
    for _ in 0..<300 where !logged {
      logged = try daemon.logText().contains("reload refused")
      if !logged { try await Task.sleep(for: .milliseconds(100)) }
    }
    #expect(logged, "no refusal logged")
    #expect(Self.string(try await daemon.get("/v1/bundle"), "digest") == second)
    #expect(
      Self.string(try await daemon.post("/v1/decisions", DaemonTests.event("s-3")), "action") == "block")
    #expect(daemon.terminate() == 0)
  }

  /// The digest a bundle records: the first 32 bytes of its 129-byte trailer, in hex.
  static func recordedDigest(_ bytes: [UInt8]) -> String {
    Hex.encode(bytes[(bytes.count - 129)..<(bytes.count - 97)])
  }

  @Test func hotSwapUnderLoadDecidesEachEventWithOneWholeBundle() async throws {
    let (reference, review) = try TestRules.bundles()
    let daemon = try Daemon()
    let upReview = try await daemon.putBundle(review.1)
    let reviewDigest = try #require(Self.string(upReview, "digest"))
    let upReference = try await daemon.putBundle(reference.1)
    let referenceDigest = try #require(Self.string(upReference, "digest"))

    let answers = try await withThrowingTaskGroup(of: [(String, HTTPAnswer)].self) { group in
      for t in 0..<6 {
        group.addTask {
          var out: [(String, HTTPAnswer)] = []
          for i in 0..<60 {
            let id = "hs-\(t)-\(i)"
            out.append((id, try await daemon.post("/v1/decisions", DaemonTests.event(id))))
          }
          return out
        }
      }
      group.addTask {
        for i in 0..<12 {
          let a = try await daemon.putBundle(i % 2 == 0 ? review.1 : reference.1)
          #expect(a.status == 200, "\(a.body)")
          try await Task.sleep(for: .milliseconds(20))
        }
        return []
      }
      var all: [(String, HTTPAnswer)] = []
      for try await part in group { all += part }
      return all
    }
    #expect(answers.count == 360)
    var seen: Set<String> = []
    for (id, a) in answers {
      #expect(a.status == 200, "\(id): \(a.body)")
      let digest = Self.string(a, "bundle_digest") ?? ""
      seen.insert(digest)
      let rules = TenantTests.rules(a)
      switch digest {
      case reviewDigest:
        #expect(Self.string(a, "action") == "review" && rules == ["review_all"], "\(id): \(a.body)")
        #expect(a.body.contains("every transaction is reviewed"), "reasons of the deciding bundle: \(a.body)")
      case referenceDigest:
        #expect(
          Self.string(a, "action") == "block" && rules.contains("sanctioned_card_country"), "\(id): \(a.body)"
        )
      default: Issue.record("\(id): decided by an unknown bundle: \(a.body)")
      }
    }
    print("hot swap: decisions by \(seen.count) bundles")
    #expect(daemon.terminate() == 0)
    // What was answered is what was stored.
    let store = try SQLiteStateStore(path: daemon.db, readOnly: true)
    for (id, a) in answers {
      let line = try #require(try store.decisionLine(forEventID: id))
      #expect(line.contains("\"action\":\"\(Self.string(a, "action") ?? "?")\""), "\(id): \(line)")
    }
  }
}
