// The pure parts of the hardening: token buckets, the rate limiter's bounded memory, Host
// parsing, log redaction, request ids and the 405 route table. No process.

import Foundation
import Logging
import Synchronization
import Testing

@testable import SentinelServer

@Suite struct HardeningUnitTests {
  @Test func tokenBucketAllowsABurstThenTheRate() {
    var bucket = TokenBucket(capacity: 3, rate: 2, now: 0)
    #expect(bucket.take(now: 0) == nil)
    #expect(bucket.take(now: 0) == nil)
    #expect(bucket.take(now: 0) == nil)
    let wait = bucket.take(now: 0)
    #expect(wait == 0.5, "one token per 0.5 s")
    #expect(bucket.take(now: 0.25) != nil)
    #expect(bucket.take(now: 0.5) == nil)
    #expect(!bucket.isFull(now: 0.5))
    #expect(bucket.isFull(now: 10))
    // Refill never exceeds the capacity.
    #expect(bucket.take(now: 100) == nil)
    #expect(bucket.tokens == 2)
    var closed = TokenBucket(capacity: 1, rate: 0, now: 0)
    #expect(closed.take(now: 0) == nil)
    #expect(closed.take(now: 1000) == .infinity)
  }

  @Test func rateLimiterKeepsKeysApartAndItsMemoryBounded() {
    let limiter = RateLimiter(rate: 1, burst: 1, maxKeys: 4)
    #expect(limiter.take(key: "a", now: 0) == nil)
    #expect(limiter.take(key: "a", now: 0) != nil)
    #expect(limiter.take(key: "b", now: 0) == nil)
    for i in 0..<100 { _ = limiter.take(key: "k\(i)", now: Double(i) * 10) }
    #expect(limiter.keyCount <= 4)
  }

  @Test func hostNamesAreParsedStrictly() {
    #expect(HostAllowList.hostName(of: "LocalHost:8080") == "localhost")
    #expect(HostAllowList.hostName(of: "[::1]:8080") == "::1")
    #expect(HostAllowList.hostName(of: "::1") == "::1")
    #expect(HostAllowList.hostName(of: "example.com.") == "example.com")
    #expect(HostAllowList.hostName(of: "a:b") == nil)
    #expect(HostAllowList.hostName(of: "[::1") == nil)
    #expect(HostAllowList.hostName(of: "") == nil)
    #expect(HostAllowList.hostName(of: "evil/x") == nil)
    // Ports are ASCII digits only (Unicode digits such as U+0663 are not a port).
    #expect(HostAllowList.hostName(of: "localhost:\u{0663}") == nil)
    #expect(HostAllowList.hostName(of: "[::1]:8\u{0663}") == nil)
    #expect(HostAllowList.hostName(of: "localhost:") == "localhost")
    #expect(HostAllowList.hostName(of: "EXAMPLE.Com:443") == "example.com")
    let defaults = HostAllowList.defaults(listeningOn: "0.0.0.0")
    #expect(defaults.hosts == ["localhost", "127.0.0.1", "::1"])
    #expect(HostAllowList.defaults(listeningOn: "10.0.0.5").allows("10.0.0.5:8080"))
    #expect(!defaults.allows("10.0.0.5"))
    #expect(HostAllowList(["*"]).allows("anything.example"))
  }

  @Test func logRedactionRemovesKeysAndCardNumbers() {
    #expect(
      LogRedaction.scrub("Authorization: Bearer abc.def-123 end") == "Authorization: Bearer [redacted] end")
    #expect(LogRedaction.scrub("card 4111111111111111 ok") == "card 411111******1111 ok")
    #expect(LogRedaction.scrub("id 123456789012 short") == "id 123456789012 short")
    #expect(LogRedaction.scrub(key: "Authorization", "anything") == "[redacted]")
    #expect(LogRedaction.scrub("plain text") == "plain text")
  }

  @Test func jsonLogLinesAreValidJSONWithRedactedFields() throws {
    let lines = LinesBox()
    var handler = JSONLogHandler(label: "t", level: .info) { lines.append($0) }
    handler[metadataKey: "request_id"] = "r-1"
    var logger = Logger(label: "t") { _ in handler }
    logger.logLevel = .info
    logger.info("hello \"world\"\n", metadata: ["token": "secret", "pan": "4111111111111111"])
    logger.debug("not written")
    let written = lines.all
    #expect(written.count == 1)
    let line = try #require(written.first)
    let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
    #expect(object?["msg"] as? String == "hello \"world\"\n")
    #expect(object?["request_id"] as? String == "r-1")
    #expect(object?["token"] as? String == "[redacted]")
    #expect(object?["pan"] as? String == "411111******1111")
    #expect(object?["level"] as? String == "info")
    // An error logged with the event is a field too, redacted like the rest.
    struct Failure: Error, CustomStringConvertible { var description: String { "bad card 4111111111111111" } }
    logger.error("failed", error: Failure())
    let errorLine = try #require(lines.all.last)
    let errorObject = try JSONSerialization.jsonObject(with: Data(errorLine.utf8)) as? [String: Any]
    #expect(errorObject?["error"] as? String == "bad card 411111******1111", "\(errorLine)")
  }

  @Test func requestIDsAreTheClientsOnlyWhenWellFormed() {
    #expect(RequestObservationMiddleware.requestID(from: "abc-1.2_3") == "abc-1.2_3")
    for bad in [nil, "", "a b", "é", String(repeating: "a", count: 65), "x\ny"] {
      let id = RequestObservationMiddleware.requestID(from: bad)
      #expect(id.count == 16 && id.allSatisfy(\.isHexDigit), "\(String(describing: bad)) → \(id)")
    }
  }

  @Test func generatedRequestIDsAreSixteenPaddedHexDigits() {
    var rng = SystemRandomNumberGenerator()
    let samples: [UInt64] =
      [0, 1, 0xF, 0xABC, 1 << 63, .max] + (0..<200).map { _ in rng.next() >> (rng.next() % 64) }
    for n in samples {
      let hex = String(n, radix: 16)
      #expect(
        RequestObservationMiddleware.hex16(n) == String(repeating: "0", count: 16 - hex.count) + hex,
        "\(n)")
    }
  }

  @Test func securityHeadersAreTheSubscriptsResult() {
    // Without a route's header, with one set by the route, and with it repeated: `apply` gives
    // what setting each field through the subscript gives.
    let plain = DecisionServer.jsonResponse(200, "{}").headers
    let cacheControl = SecurityHeaders.fields[1].0
    var preset = plain
    preset[cacheControl] = "max-age=60"
    var repeated = preset
    repeated[values: cacheControl] = ["public", "max-age=60"]
    for var headers in [plain, preset, repeated] {
      var expected = headers
      for (name, value) in SecurityHeaders.fields { expected[name] = value }
      SecurityHeaders.apply(to: &headers)
      #expect(headers == expected)
      #expect(headers[values: cacheControl] == ["no-store"])
    }
  }

  @Test func documentedRoutesGiveTheirMethods() {
    let routes = RouteMethods.documented
    #expect(routes.allowed(path: "/v1/decisions") == ["POST"])
    #expect(routes.allowed(path: "/v1/decisions/e-1") == ["GET"])
    #expect(routes.allowed(path: "/v1/lists/blocked") == ["GET", "PATCH", "PUT"])
    #expect(routes.allowed(path: "/v1/decisions/") == nil)
    #expect(routes.allowed(path: "/nothing") == nil)
  }
}

/// Lines written by a log handler under test.
final class LinesBox: Sendable {
  let lines = Mutex<[String]>([])
  func append(_ s: String) { lines.withLock { $0.append(s) } }
  var all: [String] { lines.withLock { $0 } }
}

@Suite struct EmptyEventIDTests {
  static func check(_ s: String) -> Bool { EmptyEventID.check(Array(s.utf8)) }

  @Test func onlyAnEmptyTopLevelIDIsFound() {
    #expect(Self.check(#"{"event_id":"","type":"login"}"#))
    #expect(Self.check(#"{ "type":"login" , "event_id" :  "" }"#))
    #expect(!Self.check(#"{"event_id":"e-1"}"#))
    #expect(!Self.check(#"{"meta":{"event_id":""},"event_id":"x"}"#))
    #expect(!Self.check(#"{"note":"\"event_id\":\"\"","event_id":"x"}"#))
    #expect(!Self.check(#"{"event_id":"\"\""}"#))
    #expect(!Self.check("{"))
    #expect(!Self.check(""))
    #expect(!Self.check(#"[{"event_id":""}]"#))
    #expect(!Self.check(#"{"x":"event_id","y":""}"#))
    #expect(!Self.check(#"{"event_id":"#))
    #expect(Self.check(#"{"b":"\"","event_id":""}"#))
  }
}
