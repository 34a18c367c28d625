// Run-time lists over HTTP (`GET/PUT/PATCH /v1/lists/{name}`), against the real daemon with the
// rule set of fixtures/runtime-lists: a change is durable before its 200 and the next decision
// uses it; it survives a restart and a bundle swap; tenants never see each other's lists; every
// bad request gets the right 4xx with an `error` naming the problem.

import Foundation
import SentinelModel
import SentinelTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

@Suite(.serialized) struct ListTests {
  static var rules: String { Repo.root + "/fixtures/runtime-lists" }

  static func string(_ a: HTTPAnswer, _ key: String) -> String? { DaemonTests.string(a.map, key) }

  static func int(_ a: HTTPAnswer, _ key: String) -> Int? {
    if case .int(let i)? = a.map?[string: key] { return Int(i) }
    return nil
  }

  static func entries(_ a: HTTPAnswer) -> [String]? {
    guard case .list(let l)? = a.map?[string: "entries"] else { return nil }
    return l.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
  }

  /// A login from `ip` (fixture rule `blocked_ip` blocks it when `ip` is in `blocked_ips`).
  static func login(_ id: String, ip: String, user: String = "u1") -> String {
    #"{"event_id":"\#(id)","type":"login","ts":"2026-11-25T10:00:00Z","user_id":"\#(user)","ip":"\#(ip)"}"#
  }

  /// The action the daemon decides for a login from `ip`.
  static func action(_ daemon: Daemon, _ id: String, ip: String, key: String = Daemon.demoKey) async throws
    -> String?
  {
    let a = try await daemon.post("/v1/decisions", login(id, ip: ip), key: key)
    #expect(a.status == 200, "\(a.body)")
    return string(a, "action")
  }

  static func put(_ daemon: Daemon, _ name: String, _ body: String, key: String = Daemon.demoKey) async throws
    -> HTTPAnswer
  {
    try await daemon.request("PUT", "/v1/lists/\(name)", body: body, key: key)
  }

  static func patch(_ daemon: Daemon, _ name: String, _ body: String, key: String = Daemon.demoKey)
    async throws
    -> HTTPAnswer
  {
    try await daemon.request("PATCH", "/v1/lists/\(name)", body: body, key: key)
  }

  @Test func aChangeIsUsedByTheNextDecisionAndSurvivesARestart() async throws {
    let daemon = try Daemon(rules: Self.rules)
    let initial = try await daemon.get("/v1/lists/blocked_ips")
    #expect(initial.status == 200, "\(initial.body)")
    #expect(Self.entries(initial) == ["10.0.0.1", "10.0.0.2"])
    #expect(Self.string(initial, "source") == "bundle")
    #expect(Self.int(initial, "version") == 0)
    #expect(Self.int(initial, "count") == 2)
    #expect(Self.string(initial, "element_type") == "string")
    #expect(try await Self.action(daemon, "a-1", ip: "203.0.113.7") == "allow")
    #expect(try await Self.action(daemon, "a-2", ip: "10.0.0.1") == "block")

    let put = try await Self.put(daemon, "blocked_ips", #"{"entries": ["203.0.113.7", "203.0.113.7"]}"#)
    #expect(put.status == 200, "\(put.body)")
    #expect(Self.entries(put) == ["203.0.113.7"], "repeated entries are kept once")
    #expect(Self.int(put, "version") == 1)
    #expect(Self.string(put, "source") == "api")
    // The very next decision uses it.
    #expect(try await Self.action(daemon, "a-3", ip: "203.0.113.7") == "block")
    #expect(try await Self.action(daemon, "a-4", ip: "10.0.0.1") == "allow")

    let patch = try await Self.patch(
      daemon, "blocked_ips", #"{"add": ["10.0.0.9", "203.0.113.7"], "remove": ["203.0.113.7"]}"#)
    #expect(patch.status == 200, "\(patch.body)")
    #expect(Self.entries(patch) == ["10.0.0.9"])
    #expect(Self.int(patch, "version") == 2)
    #expect(try await Self.action(daemon, "a-5", ip: "203.0.113.7") == "allow")
    #expect(try await Self.action(daemon, "a-6", ip: "10.0.0.9") == "block")

    // An int list: entries are decimal strings.
    let mccs = try await Self.patch(daemon, "blocked_mccs", #"{"add": ["6051"]}"#)
    #expect(mccs.status == 200, "\(mccs.body)")
    #expect(Self.entries(mccs) == ["7995", "6051"])
    let tx =
      #"{"event_id":"t-1","type":"transaction","ts":"2026-11-25T10:00:01Z","user_id":"u2","amount":10,"merchant_category":"6051"}"#
    #expect(Self.string(try await daemon.post("/v1/decisions", tx), "action") == "review")

    let metrics = try await daemon.get("/metrics").body
    #expect(metrics.contains("sentinel_list_changes_total{result=\"success\"} 3"), "\(metrics)")
    // Other lists are untouched.
    #expect(Self.string(try await daemon.get("/v1/lists/watched_users"), "source") == "bundle")
    #expect(daemon.terminate() == 0)
    let log = try Repo.read(daemon.log)
    #expect(log.contains("run-time list changed"))
    #expect(!log.contains("10.0.0.9") && !log.contains("203.0.113.7"), "a log line holds list entries")

    // Restart on the same database: the stored list is the one in use.
    let again = try Daemon(db: daemon.db, rules: Self.rules)
    let after = try await again.get("/v1/lists/blocked_ips")
    #expect(Self.entries(after) == ["10.0.0.9"])
    #expect(Self.int(after, "version") == 2)
    #expect(Self.string(after, "source") == "api")
    #expect(try await Self.action(again, "b-1", ip: "10.0.0.9") == "block")
    #expect(try await Self.action(again, "b-2", ip: "10.0.0.1") == "allow")
    #expect(again.terminate() == 0)
  }

  @Test func aBundleSwapKeepsTheStoredLists() async throws {
    let dir = try Repo.temporaryFolder()
    let folder = dir + "/rules"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let original = try Repo.read(Self.rules + "/lists.rules")
    try original.write(toFile: folder + "/lists.rules", atomically: true, encoding: .utf8)
    let daemon = try Daemon(rules: folder)
    #expect(try await Self.put(daemon, "blocked_ips", #"{"entries": ["192.0.2.1"]}"#).status == 200)

    // PUT /v1/bundle with another bundle declaring the same list (another default): stored wins.
    let other = original.replacingOccurrences(of: #"["10.0.0.1", "10.0.0.2"]"#, with: #"["10.9.9.9"]"#)
    try other.write(toFile: dir + "/other.rules", atomically: true, encoding: .utf8)
    let otherBundle = try compileBundle(dir + "/other.rules", to: dir + "/other.sbc")
    #expect(try await daemon.putBundle(otherBundle).status == 200)
    let swapped = try await daemon.get("/v1/lists/blocked_ips")
    #expect(Self.entries(swapped) == ["192.0.2.1"], "\(swapped.body)")
    #expect(Self.string(swapped, "source") == "api")
    #expect(try await Self.action(daemon, "s-1", ip: "192.0.2.1") == "block")
    #expect(try await Self.action(daemon, "s-2", ip: "10.9.9.9") == "allow")

    // A bundle whose `blocked_ips` holds ints: the stored strings do not fit, its default applies.
    let ints = """
      runtime list blocked_ips: int = [1]
      rule big { when: has(event.amount) && int(event.amount) in blocked_ips, action: block }
      """
    try ints.write(toFile: dir + "/ints.rules", atomically: true, encoding: .utf8)
    let intBundle = try compileBundle(dir + "/ints.rules", to: dir + "/ints.sbc")
    let up = try await daemon.putBundle(intBundle)
    #expect(up.status == 200, "\(up.body)")
    let typed = try await daemon.get("/v1/lists/blocked_ips")
    #expect(Self.entries(typed) == ["1"], "\(typed.body)")
    #expect(Self.string(typed, "source") == "bundle")

    // A bundle without run-time lists: 404 says so; the stored list is kept for later.
    try "rule r { when: false, score: 1 }\n".write(
      toFile: dir + "/none.rules", atomically: true, encoding: .utf8)
    #expect(
      try await daemon.putBundle(try compileBundle(dir + "/none.rules", to: dir + "/none.sbc")).status == 200)
    let gone = try await daemon.get("/v1/lists/blocked_ips")
    #expect(gone.status == 404)
    #expect(Self.string(gone, "error")?.contains("declares no run-time list") == true, "\(gone.body)")

    // SIGHUP reloads the folder (the original rules): the stored list applies again.
    kill(daemon.process.processIdentifier, SIGHUP)
    var back: HTTPAnswer?
    for _ in 0..<300 {
      let a = try await daemon.get("/v1/lists/blocked_ips")
      if a.status == 200 {
        back = a
        break
      }
      try await Task.sleep(for: .milliseconds(100))
    }
    let restored = try #require(back, "SIGHUP did not bring the list back")
    #expect(Self.entries(restored) == ["192.0.2.1"], "\(restored.body)")
    #expect(Self.int(restored, "version") == 1)
    #expect(try await Self.action(daemon, "s-3", ip: "192.0.2.1") == "block")
    #expect(daemon.terminate() == 0)
  }

  @Test func tenantsHaveTheirOwnLists() async throws {
    let daemon = try Daemon(rules: Self.rules)
    let dir = try Repo.temporaryFolder()
    let bundle = try compileBundle(Self.rules, to: dir + "/lists.sbc")
    let acme = try createKey(db: daemon.db, tenant: "acme", scopes: "decide,read,admin")
    let beta = try createKey(db: daemon.db, tenant: "beta", scopes: "decide,read,admin")
    let betaReader = try createKey(db: daemon.db, tenant: "beta", scopes: "read")
    let gamma = try createKey(db: daemon.db, tenant: "gamma", scopes: "decide,read,admin")

    // Without a bundle there are no lists: 409.
    let none = try await daemon.get("/v1/lists/blocked_ips", key: gamma)
    #expect(none.status == 409)
    #expect(Self.string(none, "error")?.contains("gamma") == true)
    #expect(try await Self.put(daemon, "blocked_ips", #"{"entries": []}"#, key: gamma).status == 409)

    #expect(try await daemon.putBundle(bundle, key: acme).status == 200)
    #expect(try await daemon.putBundle(bundle, key: beta).status == 200)
    let changed = try await Self.put(daemon, "blocked_ips", #"{"entries": ["198.51.100.1"]}"#, key: acme)
    #expect(changed.status == 200, "\(changed.body)")

    // Beta's key sees and decides with beta's list only; default's too.
    let betaList = try await daemon.get("/v1/lists/blocked_ips", key: beta)
    #expect(Self.entries(betaList) == ["10.0.0.1", "10.0.0.2"])
    #expect(Self.string(betaList, "source") == "bundle")
    #expect(try await Self.action(daemon, "x-1", ip: "198.51.100.1", key: beta) == "allow")
    #expect(try await Self.action(daemon, "x-1", ip: "198.51.100.1", key: acme) == "block")
    #expect(try await Self.action(daemon, "x-1", ip: "198.51.100.1") == "allow")
    #expect(Self.entries(try await daemon.get("/v1/lists/blocked_ips")) == ["10.0.0.1", "10.0.0.2"])

    // Beta's changes land in beta only; a read-only key changes nothing.
    #expect(
      try await Self.patch(daemon, "blocked_ips", #"{"remove": ["10.0.0.1"]}"#, key: beta).status == 200)
    let refused = try await Self.put(daemon, "blocked_ips", #"{"entries": []}"#, key: betaReader)
    #expect(refused.status == 403)
    #expect(Self.entries(try await daemon.get("/v1/lists/blocked_ips", key: acme)) == ["198.51.100.1"])
    #expect(Self.entries(try await daemon.get("/v1/lists/blocked_ips", key: beta)) == ["10.0.0.2"])
    #expect(Self.entries(try await daemon.get("/v1/lists/blocked_ips", key: betaReader)) == ["10.0.0.2"])
    #expect(try await Self.action(daemon, "x-2", ip: "10.0.0.1", key: beta) == "allow")
    #expect(try await Self.action(daemon, "x-2", ip: "10.0.0.1", key: acme) == "allow")
    #expect(try await Self.action(daemon, "x-2", ip: "10.0.0.1") == "block")
    #expect(daemon.terminate() == 0)
  }

  @Test func badRequestsGetAPreciseClientError() async throws {
    let daemon = try Daemon(rules: Self.rules)
    let reader = try createKey(db: daemon.db, tenant: "default", scopes: "read")
    let cases: [(String, String, String?, Int, String)] = [
      ("GET", "nope", nil, 404, "blocked_ips"),
      ("PUT", "nope", #"{"entries": []}"#, 404, "no run-time list"),
      ("PATCH", "sanctioned_countries", #"{"add": ["KP"]}"#, 404, "watched_users"),
      ("PUT", "blocked_ips", "", 400, "empty body"),
      ("PUT", "blocked_ips", "not json", 400, "invalid JSON"),
      ("PUT", "blocked_ips", "[\"10.0.0.1\"]", 400, "not an object"),
      ("PUT", "blocked_ips", "{}", 400, "missing field `entries`"),
      ("PUT", "blocked_ips", #"{"entries": "10.0.0.1"}"#, 400, "not an array"),
      ("PUT", "blocked_ips", #"{"entries": ["a", 1]}"#, 400, "`entries`[1] is a JSON number"),
      ("PUT", "blocked_ips", #"{"entries": [], "add": []}"#, 400, "unknown field \"add\""),
      ("PATCH", "blocked_ips", #"{"entries": []}"#, 400, "unknown field \"entries\""),
      ("PATCH", "blocked_ips", #"{"add": null}"#, 400, "`add` is a JSON null"),
      ("PUT", "blocked_mccs", #"{"entries": ["7995", "79x5"]}"#, 400, "entry 1 (\"79x5\") is not an int"),
      ("PATCH", "blocked_mccs", #"{"remove": ["-"]}"#, 400, "`remove`"),
      (
        "PUT", "blocked_ips", "{\"entries\": [\"" + String(repeating: "x", count: 70_000) + "\"]}", 413,
        "larger than"
      ),
    ]
    for (method, name, body, status, words) in cases {
      let a = try await daemon.request(method, "/v1/lists/\(name)", body: body)
      #expect(a.status == status, "\(method) \(name) \(body?.prefix(40) ?? ""): \(a.status) \(a.body)")
      let error = Self.string(a, "error") ?? ""
      #expect(error.contains(words), "\(method) \(name): \(error)")
    }
    #expect(try await Self.put(daemon, "blocked_ips", #"{"entries": []}"#, key: reader).status == 403)
    let anonymous = try await daemon.request(
      "PUT", "/v1/lists/blocked_ips", body: #"{"entries": []}"#, key: nil)
    #expect(anonymous.status == 401)
    let delete = try await daemon.request("DELETE", "/v1/lists/blocked_ips")
    #expect(delete.status == 405)
    #expect(delete.header("Allow")?.contains("PATCH") == true, "\(delete.headers)")
    // Nothing changed.
    let list = try await daemon.get("/v1/lists/blocked_ips")
    #expect(Self.int(list, "version") == 0)
    #expect(Self.entries(list) == ["10.0.0.1", "10.0.0.2"])
    #expect(daemon.terminate() == 0)
    #expect(!(try Repo.read(daemon.log)).contains("\"status\":\"5"), "a 5xx answer was logged")
  }
}
