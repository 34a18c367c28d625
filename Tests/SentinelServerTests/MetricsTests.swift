// GET /metrics on the real daemon: after known traffic, every counter says exactly what the
// answers said (decisions by action and by rule, duplicates, errors by kind, commits and group
// sizes, latency histogram counts, the active bundle's digest).

import Foundation
import SentinelModel
import SentinelTestSupport
import Testing

@Suite(.serialized) struct MetricsTests {
  /// Prometheus text → value by series (`name{a="x",b="y"}`, labels sorted by name).
  static func parse(_ text: String) -> [String: Double] {
    var out: [String: Double] = [:]
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
      guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
        continue
      }
      var series = String(line[..<space])
      if let open = series.firstIndex(of: "{"), series.hasSuffix("}") {
        let name = series[..<open]
        let labels = series[series.index(after: open)..<series.index(before: series.endIndex)]
          .split(separator: ",").map(String.init).sorted()
        series = name + "{" + labels.joined(separator: ",") + "}"
      }
      out[series] = value
    }
    return out
  }

  static func series(_ name: String, _ labels: [(String, String)] = []) -> String {
    labels.isEmpty
      ? name : name + "{" + labels.map { "\($0.0)=\"\($0.1)\"" }.sorted().joined(separator: ",") + "}"
  }

  @Test func countersMatchTheAnswersAfterRealTraffic() async throws {
    let daemon = try Daemon()
    // The reference corpus' first 200 events: rejected events, then a mix of actions and rules.
    let events = try Repo.read(Repo.corpus + "/events.jsonl").split(separator: "\n").prefix(200)
    var actions: [String: Int] = [:]
    var rules: [String: Int] = [:]
    var decided = 0
    var duplicates = 0
    var rejected = 0
    var digest = ""
    for event in events {
      let a = try await daemon.post("/v1/decisions", String(event))
      guard let m = a.map else { continue }
      if a.status == 400 {
        rejected += 1
        continue
      }
      #expect(a.status == 200, "\(a.body)")
      if case .bool(true)? = m[string: "duplicate"] {
        duplicates += 1
        continue
      }
      decided += 1
      if case .string(let action)? = m[string: "action"] { actions[action, default: 0] += 1 }
      if case .list(let ids)? = m[string: "rules"] {
        for case .string(let id) in ids { rules[id, default: 0] += 1 }
      }
      if case .string(let d)? = m[string: "bundle_digest"] { digest = d }
    }
    // Errors the middleware counts: an unknown route, a missing stored decision, a bad event.
    #expect(try await daemon.get("/v2/nothing").status == 404)
    #expect(try await daemon.get("/v1/decisions/never-sent").status == 404)
    #expect(try await daemon.post("/v1/decisions", #"{"event_id":"bad-1","type":"teleport"}"#).status == 400)
    rejected += 1

    let scrape = try await daemon.get("/metrics")
    #expect(scrape.status == 200)
    #expect(scrape.header("Content-Type")?.hasPrefix("text/plain") == true)
    let m = Self.parse(scrape.body)
    for action in ["allow", "challenge", "review", "block"] {
      #expect(
        m[Self.series("sentinel_decisions_total", [("action", action)])] == Double(actions[action] ?? 0),
        "action \(action)")
    }
    #expect(decided > 0 && actions.count >= 2, "the sample should hold several actions: \(actions)")
    // Every rule of the bundle has a series (0 when it never matched), and each count is exact.
    let ruleSeries = m.keys.filter { $0.hasPrefix("sentinel_rule_matches_total{") }
    #expect(ruleSeries.count >= 13, "\(ruleSeries)")
    for key in ruleSeries {
      let id = key.split(separator: "\"")[1]
      #expect(m[key] == Double(rules[String(id)] ?? 0), "rule \(id)")
    }
    #expect(m["sentinel_duplicate_events_total"] == Double(duplicates))
    #expect(m[Self.series("sentinel_errors_total", [("kind", "invalid_event")])] == Double(rejected))
    #expect(m[Self.series("sentinel_errors_total", [("kind", "not_found")])] == 2)
    // Group commits: every decision is in exactly one commit.
    let commits = try #require(m[Self.series("sentinel_commits_total", [("result", "success")])])
    #expect(commits >= 1)
    #expect(m["sentinel_commit_group_size_count"] == commits)
    #expect(m["sentinel_commit_group_size_sum"] == Double(decided))
    #expect(m["sentinel_commit_duration_seconds_count"] == commits)
    #expect(m["sentinel_decision_evaluation_seconds_count"] == Double(decided + duplicates))
    // Request latency: one observation per POST /v1/decisions (events + the bad one).
    #expect(
      m[Self.series("sentinel_http_request_duration_seconds_count", [("route", "/v1/decisions")])]
        == Double(events.count + 1))
    #expect(
      m[Self.series("sentinel_http_requests_total", [("route", "/v1/decisions"), ("status", "400")])]
        == Double(rejected))
    // The active bundle, as an info gauge labelled with its digest; no reloads yet.
    #expect(!digest.isEmpty)
    #expect(m[Self.series("sentinel_bundle_info", [("digest", digest), ("tenant", "default")])] == 1)
    #expect(m[Self.series("sentinel_bundle_reloads_total", [("result", "success")])] == 0)
    #expect(daemon.terminate() == 0)
  }

  /// The resident set is a gauge, and `--trim-interval` trims on its own thread: the trim counter
  /// grows while the daemon idles, and with `--trim-interval 0` there is none.
  @Test func residentMemoryAndPeriodicTrims() async throws {
    let daemon = try Daemon(extraArguments: ["--trim-interval", "0.2"])
    var trims = 0.0
    let deadline = ContinuousClock.now + .seconds(60)
    while trims < 2, ContinuousClock.now < deadline {
      try await Task.sleep(for: .milliseconds(100))
      let m = Self.parse(try await daemon.get("/metrics").body)
      trims = m["sentinel_memory_trims_total"] ?? 0
      // A daemon with the reference rules holds more than 8 MB and, idle, far less than 1 GB.
      let resident = try #require(m["process_resident_memory_bytes"])
      #expect(resident > 8_000_000 && resident < 1_000_000_000, "\(resident)")
    }
    #expect(trims >= 2)
    #expect(daemon.terminate() == 0)

    let never = try Daemon(extraArguments: ["--trim-interval", "0"])
    try await Task.sleep(for: .milliseconds(500))
    let m = Self.parse(try await never.get("/metrics").body)
    #expect(m["sentinel_memory_trims_total"] == nil)
    #expect(m["process_resident_memory_bytes"] != nil)
    #expect(never.terminate() == 0)
  }
}
