// Hardening on the real daemon: every kind of bad input gets the right 4xx with a message (never
// a 5xx) and loses nothing; security headers and request ids on every answer; the Host
// allow-list; per-key rate limits; slow clients cut off; JSON logs without secrets.

import Foundation
import SentinelModel
import SentinelState
import SentinelTestSupport
import Testing

@Suite(.serialized) struct HardeningTests {
  static let valid =
    #"{"event_id":"ID","type":"transaction","ts":"2026-11-25T10:00:00Z","user_id":"u-1","amount":50,"#
    + #""country_code":"GB"}"#

  static func event(_ id: String) -> String { valid.replacingOccurrences(of: "\"ID\"", with: "\"\(id)\"") }

  struct BadRequest: Sendable, CustomStringConvertible {
    let name: String
    let method: String
    let path: String
    let body: String?
    var contentType = "application/json"
    let status: Int
    /// Words the error message must contain (lower-cased), e.g. the offending field.
    var mentions: [String] = []
    var description: String { name }
  }

  static let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)

  static let badRequests: [BadRequest] = [
    .init(
      name: "malformed JSON", method: "POST", path: "/v1/decisions", body: #"{"event_id":"b-1","type":"#,
      status: 400),
    .init(name: "not an object", method: "POST", path: "/v1/decisions", body: "[1, 2]", status: 400),
    .init(name: "a bare string", method: "POST", path: "/v1/decisions", body: #""hello""#, status: 400),
    .init(name: "empty body", method: "POST", path: "/v1/decisions", body: "", status: 400),
    .init(
      name: "wrong type", method: "POST", path: "/v1/decisions",
      body: event("b-2").replacingOccurrences(of: "\"amount\":50", with: "\"amount\":\"fifty\""), status: 400,
      mentions: ["amount"]),
    .init(
      name: "missing field", method: "POST", path: "/v1/decisions",
      body: event("b-3").replacingOccurrences(of: "\"user_id\":\"u-1\",", with: ""), status: 400,
      mentions: ["user_id"]),
    .init(
      name: "unknown event type", method: "POST", path: "/v1/decisions",
      body: event("b-4").replacingOccurrences(of: "transaction", with: "teleport"), status: 400,
      mentions: ["type"]),
    .init(
      name: "null in a known field", method: "POST", path: "/v1/decisions",
      body: event("b-5").replacingOccurrences(of: "\"GB\"", with: "null"), status: 400,
      mentions: ["country_code"]),
    .init(
      name: "bad timestamp", method: "POST", path: "/v1/decisions",
      body: event("b-6").replacingOccurrences(of: "2026-11-25T10:00:00Z", with: "2026-02-30T10:00:00Z"),
      status: 400, mentions: ["ts"]),
    .init(
      name: "NaN", method: "POST", path: "/v1/decisions",
      body: event("b-7").replacingOccurrences(of: "\"amount\":50", with: "\"amount\":NaN"), status: 400),
    .init(
      name: "nesting too deep", method: "POST", path: "/v1/decisions",
      body: event("b-8").replacingOccurrences(of: "\"amount\":50", with: "\"amount\":50,\"extra\":\(deep)"),
      status: 400, mentions: ["deep"]),
    .init(
      name: "oversized body", method: "POST", path: "/v1/decisions",
      body: event("b-9").replacingOccurrences(of: "u-1", with: String(repeating: "u", count: 70_000)),
      status: 413, mentions: ["larger"]),
    .init(
      name: "batch: an object sent as JSON", method: "POST", path: "/v1/decisions/batch", body: event("b-10"),
      status: 400, mentions: ["array"]),
    .init(
      name: "batch: unterminated array", method: "POST", path: "/v1/decisions/batch",
      body: "[" + event("b-11"),
      status: 400, mentions: ["unterminated"]),
    .init(name: "batch: empty body", method: "POST", path: "/v1/decisions/batch", body: " ", status: 400),
    .init(
      name: "empty event id", method: "POST", path: "/v1/decisions", body: event(""), status: 400,
      mentions: ["event_id", "empty"]),
    .init(
      name: "unknown route", method: "GET", path: "/v1/nothing", body: nil, status: 404,
      mentions: ["no route"]),
    .init(
      name: "wrong method", method: "DELETE", path: "/v1/decisions", body: nil, status: 405,
      mentions: ["not allowed"]),
    .init(name: "GET on a POST route", method: "GET", path: "/v1/decisions/batch/x", body: nil, status: 404),
  ]

  @Test func everyBadInputGetsItsFourHundredWithAMessageAndChangesNothing() async throws {
    let daemon = try Daemon()
    for bad in Self.badRequests {
      let a = try await daemon.request(bad.method, bad.path, body: bad.body, contentType: bad.contentType)
      #expect(a.status == bad.status, "\(bad): \(a.status) \(a.body)")
      let message = (a.map?[string: "error"]).flatMap { v -> String? in
        if case .string(let s) = v { return s }
        return nil
      }
      #expect(message?.isEmpty == false, "\(bad): no `error` in \(a.body)")
      for word in bad.mentions {
        #expect(message?.lowercased().contains(word) == true, "\(bad): `\(word)` not in \(a.body)")
      }
      #expect(a.header("Content-Type") == "application/json", "\(bad)")
    }
    // Bytes that are not UTF-8, and a header block that is not HTTP.
    let binary = try daemon.raw(
      "POST /v1/decisions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 4"
        + "\r\nConnection: close", body: [0xFF, 0xFE, 0x7B, 0x7D])
    #expect(binary.text.hasPrefix("HTTP/1.1 400"), "\(binary.text)")
    // Nothing was lost or changed: a valid event is decided, and only it is stored.
    let ok = try await daemon.post("/v1/decisions", Self.event("fine-1"))
    #expect(ok.status == 200, "\(ok.body)")
    #expect(try await daemon.get("/healthz").status == 200)
    #expect(daemon.terminate() == 0)
    #expect(try SQLiteStateStore(path: daemon.db, readOnly: true).decisionCount() == 1)
  }

  @Test func everyAnswerCarriesSecurityHeadersAndTheRequestID() async throws {
    let daemon = try Daemon()
    let answers = [
      try await daemon.post("/v1/decisions", Self.event("h-1"), headers: ["X-Request-Id": "trace-42.a_b"]),
      try await daemon.post("/v1/decisions", "{", headers: ["X-Request-Id": "trace-43"]),
      try await daemon.request("GET", "/nowhere", headers: ["X-Request-Id": "trace-44"]),
      try await daemon.request("GET", "/healthz", headers: ["X-Request-Id": "trace-45"]),
    ]
    for (a, id) in zip(answers, ["trace-42.a_b", "trace-43", "trace-44", "trace-45"]) {
      #expect(a.header("X-Request-Id") == id, "\(a.headers)")
      #expect(a.header("X-Content-Type-Options") == "nosniff")
      #expect(a.header("Cache-Control") == "no-store")
      #expect(a.header("X-Frame-Options") == "DENY")
      #expect(a.header("Content-Security-Policy")?.contains("frame-ancestors 'none'") == true)
      #expect(a.header("Referrer-Policy") == "no-referrer")
    }
    // An id with characters outside A-Za-z0-9._- (or too long) is replaced by a fresh one.
    for bad in ["has space", String(repeating: "x", count: 65), "semi;colon"] {
      let a = try await daemon.request("GET", "/healthz", headers: ["X-Request-Id": bad])
      let id = try #require(a.header("X-Request-Id"))
      #expect(id != bad && id.count == 16 && id.allSatisfy(\.isHexDigit), "\(id)")
    }
    let fresh = try await daemon.get("/healthz")
    #expect(fresh.header("X-Request-Id")?.count == 16)
    #expect(daemon.terminate() == 0)
  }

  @Test func hostHeadersOutsideTheAllowListGet421() async throws {
    let daemon = try Daemon()
    func status(_ host: String?) throws -> String {
      var head = "GET /healthz HTTP/1.1\r\nConnection: close"
      if let host { head += "\r\nHost: \(host)" }
      return String(try daemon.raw(head).text.prefix(12))
    }
    #expect(try status("localhost:8080") == "HTTP/1.1 200")
    #expect(try status("127.0.0.1") == "HTTP/1.1 200")
    #expect(try status("[::1]:80") == "HTTP/1.1 200")
    #expect(try status("LOCALHOST.") == "HTTP/1.1 200")
    #expect(try status("evil.example") == "HTTP/1.1 421")
    #expect(try status("localhost.evil.example") == "HTTP/1.1 421")
    #expect(try status("127.0.0.1:80@evil.example") == "HTTP/1.1 421")
    let refused = try daemon.raw("GET /healthz HTTP/1.1\r\nHost: evil.example\r\nConnection: close").text
    #expect(refused.contains("{\"error\":"), "\(refused)")
    #expect(refused.lowercased().contains("x-request-id:"))
    #expect(daemon.terminate() == 0)

    let custom = try Daemon(extraArguments: ["--allowed-hosts", "api.example, risk.internal"])
    let named = try custom.raw("GET /healthz HTTP/1.1\r\nHost: risk.internal:8443\r\nConnection: close").text
    #expect(named.hasPrefix("HTTP/1.1 200"), "\(named)")
    let loopback = try await custom.get("/healthz")
    #expect(loopback.status == 421, "only the listed names: \(loopback.body)")
    #expect(custom.terminate() == 0)
  }

  @Test func aKeyOverItsRateGets429WithRetryAfterAndOthersDoNot() async throws {
    // One token per 1,000 s, three in the bucket: of six requests, the first three pass and the
    // last three get 429 however loaded the machine is (a CI run at load 11 once took 84 s for
    // six requests, which at one token per 10 s refilled the bucket). The refill itself is
    // TokenBucket's, tested with a given clock in HardeningUnitTests.
    let daemon = try Daemon(extraArguments: ["--rate-limit", "0.001", "--rate-burst", "3"])
    var statuses: [Int] = []
    var limited: HTTPAnswer?
    for _ in 0..<6 {
      let a = try await daemon.get("/v1/decisions/none")
      statuses.append(a.status)
      if a.status == 429 { limited = a }
    }
    #expect(statuses.prefix(3).allSatisfy { $0 != 429 }, "\(statuses)")
    #expect(statuses.suffix(3).allSatisfy { $0 == 429 }, "\(statuses)")
    let a = try #require(limited)
    // The next token is ~1,000 s away, and Retry-After says so (whole seconds).
    let retryAfter = Int(a.header("Retry-After") ?? "") ?? 0
    #expect(retryAfter >= 900 && retryAfter <= 1000, "\(a.headers)")
    #expect(a.map?[string: "error"] != nil, "\(a.body)")
    // The probes and /metrics are never limited; another key has its own bucket.
    for _ in 0..<5 { #expect(try await daemon.get("/healthz").status == 200) }
    let other = try await daemon.request(
      "GET", "/v1/decisions/none", headers: ["Authorization": "Bearer other-key"])
    #expect(other.status != 429, "\(other.body)")
    let metrics = try await daemon.get("/metrics")
    #expect(metrics.body.contains("sentinel_errors_total{kind=\"rate_limited\"}"), "\(metrics.body)")
    #expect(daemon.terminate() == 0)
  }

  @Test func slowAndIdleClientsCannotHoldConnections() async throws {
    // The body timeout is shorter than the idle timeout, so the missing body gets its 408.
    let daemon = try Daemon(extraArguments: ["--idle-timeout", "2", "--body-timeout", "1"])
    // A request head that never ends (slowloris): closed after the idle timeout.
    let head = try daemon.raw(
      "POST /v1/decisions HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1", finishHead: false, timeout: .seconds(8))
    #expect(head.closed, "the connection stayed open: \(head.text)")
    #expect(head.elapsed < .seconds(5), "\(head.elapsed)")
    // A body that never arrives: 408 with a JSON error, and the connection is closed.
    let body = try daemon.raw(
      "POST /v1/decisions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 300",
      body: Array("{\"event_id\":".utf8), timeout: .seconds(8))
    #expect(body.closed)
    #expect(body.text.hasPrefix("HTTP/1.1 408"), "\(body.text)")
    #expect(body.text.contains("{\"error\":"), "\(body.text)")
    #expect(body.elapsed < .seconds(5), "\(body.elapsed)")
    // A keep-alive connection left idle after an answer: closed after the idle timeout.
    let idle = try daemon.raw("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1", timeout: .seconds(8))
    #expect(idle.text.hasPrefix("HTTP/1.1 200"))
    #expect(idle.closed && idle.elapsed < .seconds(5), "\(idle.elapsed)")
    // The daemon still answers.
    #expect(try await daemon.get("/healthz").status == 200)
    #expect(daemon.terminate() == 0)
  }

  @Test func logsAreJSONLinesWithTheRequestIDAndNoSecrets() async throws {
    let daemon = try Daemon()
    let card = "4111111111111111"
    let secret = "sk_live_SECRETSECRET42"
    let body = Self.event("log-1").replacingOccurrences(of: "\"amount\":50", with: "\"amount\":\"\(card)\"")
    let a = try await daemon.post(
      "/v1/decisions", body, headers: ["Authorization": "Bearer \(secret)", "X-Request-Id": "log-trace-1"])
    #expect(a.status != 200 && a.status < 500, "\(a.body)")
    _ = try await daemon.post("/v1/decisions", Self.event(card), headers: ["X-Request-Id": "log-trace-2"])
    #expect(daemon.terminate() == 0)
    let text = try Repo.read(daemon.log)
    let lines = text.split(separator: "\n")
    #expect(lines.count >= 3)
    for line in lines {
      guard case .map(let m)? = try? JSONReader.parse(String(line)) else {
        Issue.record("not a JSON object: \(line)")
        continue
      }
      for key in ["ts", "level", "msg"] { #expect(m[string: key] != nil, "\(key) in \(line)") }
    }
    #expect(lines.contains { $0.contains("\"request_id\":\"log-trace-1\"") && $0.contains("\"status\":") })
    #expect(lines.contains { $0.contains("\"request_id\":\"log-trace-2\"") })
    #expect(!text.contains(secret), "the API key reached the log")
    #expect(!text.contains(card), "a card number reached the log")
  }
}
