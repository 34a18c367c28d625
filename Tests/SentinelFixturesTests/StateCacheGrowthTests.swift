// The state cache reserves its arrays ahead (`StateCache.reserveRoom`: 4,096 entries, then 8
// times as many, up to the capacity; a write-back cache with huge pages) instead of letting them
// double. Differential: a stream of more keys than the first reservation — states made before
// the arrays grew are read and changed after — decides exactly as a cache without write-back and
// one whose capacity bounds the growth (and evicts), and the states written back are the same.

import SentinelModel
import SentinelRuntime
import SentinelState
import Testing

@Suite struct StateCacheGrowthTests {
  /// The time of event `k`, a millisecond apart (all within a minute).
  static func time(_ k: Int) -> String {
    let s = k / 1000
    let ms = k % 1000
    return "2026-11-23T00:00:" + (s < 10 ? "0" : "") + String(s) + "." + String(ms + 1000).dropFirst() + "Z"
  }

  /// Four rounds over `users` users: a login from London with a device, a failed login from one
  /// of 7 ips, a login from New York (impossible travel), a large payment from a new device.
  static func events(users: Int) -> [String] {
    var lines: [String] = []
    var k = 0
    func add(_ fields: String) {
      lines.append("{\"event_id\":\"g-\(k)\",\"ts\":\"\(time(k))\"," + fields + "}")
      k += 1
    }
    for u in 0..<users {
      add(
        "\"type\":\"login\",\"user_id\":\"gu\(u)\",\"success\":true,\"geo\":{\"lat\":51.5,\"lon\":-0.12},"
          + "\"device_id\":\"dev-first-\(u)\"")
    }
    for u in 0..<users {
      add("\"type\":\"login\",\"user_id\":\"gu\(u)\",\"success\":false,\"ip\":\"10.9.9.\(u % 7)\"")
    }
    for u in 0..<users {
      add(
        "\"type\":\"login\",\"user_id\":\"gu\(u)\",\"success\":true,\"geo\":{\"lat\":40.7,\"lon\":-74.0}")
    }
    for u in 0..<users {
      add(
        "\"type\":\"transaction\",\"user_id\":\"gu\(u)\",\"amount\":5000,\"currency\":\"USD\","
          + "\"device_id\":\"dev-new-\(u)\"")
    }
    return lines
  }

  @Test func aCacheGrowingPastItsFirstReservationDecidesAsOneThatDoesNot() throws {
    let bundle = try BoundedCacheTests.referenceBundle()
    let lines = Self.events(users: 5000).map { $0[...] }
    let plainStore = InMemoryStateStore()
    let plain = EventProcessor(bundle: bundle, store: plainStore)
    let want = try BoundedCacheTests.replay(plain, lines, batch: 1000)
    let writeBackStore = InMemoryStateStore()
    let writeBack = EventProcessor(bundle: bundle, store: writeBackStore, writeBack: true)
    let got = try BoundedCacheTests.replay(writeBack, lines, batch: 1000)
    // Growth bounded by the capacity, then evictions.
    let bounded = EventProcessor(
      bundle: bundle, store: InMemoryStateStore(), cacheCapacity: 4500, writeBack: true)
    let gotBounded = try BoundedCacheTests.replay(bounded, lines, batch: 1000)

    // More keys than the first reservation (4,096), and decisions that read the states.
    #expect(writeBack.cacheStatistics.keys > 5000)
    #expect(bounded.cacheStatistics.evictions > 0)
    #expect(want.filter { $0?.contains("impossible_travel") == true }.count == 5000)
    #expect(want.filter { $0?.contains("new_device_high_value") == true }.count == 5000)
    for (name, lines) in [("write-back", got), ("bounded", gotBounded)] {
      var differ = 0
      for (n, (a, b)) in zip(lines, want).enumerated() where a != b {
        differ += 1
        if differ <= 3 { Issue.record("\(name), line \(n + 1): \(a ?? "-") vs \(b ?? "-")") }
      }
      #expect(differ == 0 && lines.count == want.count, "\(name)")
    }
    try writeBack.writeBackStates()
    #expect(try writeBackStore.allStates() == plainStore.allStates())
  }
}
