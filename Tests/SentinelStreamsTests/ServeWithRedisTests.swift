// `sentinel serve --redis`: the daemon consumes a stream beside its HTTP routes (tenant
// `stream`), and its `GET /metrics` carries the consumer's counts.

import Foundation
import SentinelModel
import SentinelTestSupport
import Testing

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

@Suite(.serialized) struct ServeWithRedisTests {
  @Test func theDaemonConsumesAndItsMetricsCountTheStream() async throws {
    let redis = try RedisServer()
    let dir = try Repo.temporaryFolder()
    let c = redis.connection()
    let events = Array(StreamsProcessTests.corpus.prefix(200))
    try c.produce(events, stream: "events")
    let p = Process()
    p.executableURL = URL(fileURLWithPath: try Repo.requireSentinel())
    p.arguments = [
      "serve", "--rules", Repo.rules, "--db", dir + "/state.db", "--listen", "127.0.0.1:0",
      "--no-demo-key", "--log-format", "text", "--redis", redis.url, "--stream", "events", "--group",
      "sentinel", "--output", "decisions", "--block-ms", "100",
    ]
    let out = Pipe()
    p.standardOutput = out
    let log = dir + "/serve.log"
    guard FileManager.default.createFile(atPath: log, contents: nil) else {
      throw TestFailure("cannot create the log file \(log)")
    }
    p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
    try p.run()
    defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
    // The port from `listening on http://127.0.0.1:PORT`.
    var text = ""
    while !text.contains("\n") {
      let chunk = out.fileHandleForReading.availableData
      if chunk.isEmpty { break }
      text += String(decoding: chunk, as: UTF8.self)
    }
    let after = try #require(text.range(of: "http://127.0.0.1:"), "no address in \(text)").upperBound
    let port = try #require(Int(text[after...].prefix { $0.isNumber }), "no port in \(text)")
    // Every entry read (decided, duplicate or dead-lettered) and nothing pending.
    let url = try #require(URL(string: "http://127.0.0.1:\(port)/metrics"))
    var metrics = ""
    // Generous: the daemon compiles the rules and builds its screening index first, on a machine
    // that may be running the rest of the suite.
    let deadline = ContinuousClock.now + .seconds(300)
    while ContinuousClock.now < deadline {
      let (data, _) = try await URLSession.shared.data(from: url)
      metrics = String(decoding: data, as: UTF8.self)
      if metrics.contains("sentinel_stream_events_total{outcome=\"read\"} \(events.count)"),
        try c.pendingCount("events") == 0
      {
        break
      }
      try await Task.sleep(for: .milliseconds(200))
    }
    #expect(
      metrics.contains("sentinel_stream_events_total{outcome=\"read\"} \(events.count)"),
      "\(metrics)\n\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
    // The counters agree with what is on the output stream. Polled, not read once after a pause:
    // the pending gauge is refreshed by the consumer's look at the group (at most every 2 s), so a
    // scrape can still show the pending count of the last look before the final batch.
    let decided = try c.decisions().count
    #expect(decided > 0)
    let settled = ContinuousClock.now + .seconds(60)
    while ContinuousClock.now < settled {
      let (data, _) = try await URLSession.shared.data(from: url)
      metrics = String(decoding: data, as: UTF8.self)
      if metrics.contains("sentinel_stream_events_total{outcome=\"decided\"} \(decided)"),
        metrics.contains("sentinel_stream_pending 0")
      {
        break
      }
      try await Task.sleep(for: .milliseconds(200))
    }
    #expect(metrics.contains("sentinel_stream_events_total{outcome=\"decided\"} \(decided)"), "\(metrics)")
    #expect(metrics.contains("sentinel_stream_pending 0"), "\(metrics)")
    kill(p.processIdentifier, SIGTERM)
    p.waitUntilExit()
    #expect(p.terminationStatus == 0)
  }
}
