// `LinePreparer`'s key ids (`runState`: a key equal to the previous aggregate's reuses its id)
// against a `[String: Int]` numbering every string key in order of
// first appearance, aggregate by aggregate and line by line: what `StateCache.read` expects.

import SentinelFixtures
import SentinelModel
import SentinelState
import Testing

@testable import SentinelRuntime

@Suite struct PreparedKeyIDTests {
  @Test func keyIDsNumberKeysInOrderOfFirstAppearance() throws {
    let bundle = try BoundedCacheTests.referenceBundle()
    let lines = try Repo.read(Repo.corpus + "/events.jsonl").split(separator: "\n").map(String.init)
    let processor = EventProcessor(bundle: bundle, store: InMemoryStateStore(writerChecksEventIDs: true))
    var preparer = try processor.makePreparer(tracksEventIDs: true)
    let n = bundle.bundle.aggregates.count
    var slots = processor.eventDecoder.makeSlots()
    var results: [Value] = []
    var numbers: [String: Int] = [:]
    var checked = 0
    var repeats = 0
    for line in lines {
      var line = line
      _ = line.withUTF8 { preparer.prepare($0, into: &slots, stateResults: &results) }
      guard results.count == 4 * n else { continue }
      var keys: Set<String> = []
      for i in 0..<n {
        guard case .string(let key) = results[3 * i] else {
          if case .null = results[3 * n + i] {} else { Issue.record("\(line): aggregate \(i) has an id") }
          continue
        }
        if !keys.insert(key).inserted { repeats += 1 }
        let expected = numbers[key, default: numbers.count]
        if expected == numbers.count { numbers[key] = expected }
        var id: Int64?
        if case .int(let k) = results[3 * n + i] { id = k }
        #expect(id == Int64(expected), "\(line): aggregate \(i)")
        checked += 1
      }
    }
    #expect(checked > 10_000 && repeats > 5_000, "\(checked) keys, \(repeats) repeated in their line")
  }
}
