// The index against brute force: on a random sample, blocking must find the same best match as
// scoring every name (differential testing), and the index must survive a Codable round trip.

import Foundation
import SentinelScreening
import Testing

/// A seeded generator (SplitMix64) so that failures reproduce.
struct SplitMix64: RandomNumberGenerator {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

@Suite struct ScreeningIndexTests {
  /// A perturbation of `name`: one of drop a word, swap two letters, delete a letter, reorder.
  static func perturb(_ name: String, _ rng: inout SplitMix64) -> String {
    var words = name.split(separator: " ").map(String.init)
    switch Int.random(in: 0..<5, using: &rng) {
    case 0 where words.count > 2: words.remove(at: Int.random(in: 0..<words.count, using: &rng))
    case 1:
      let k = Int.random(in: 0..<words.count, using: &rng)
      var cs = Array(words[k])
      if cs.count > 3 {
        let p = Int.random(in: 1..<(cs.count - 1), using: &rng)
        cs.swapAt(p, p + 1)
      }
      words[k] = String(cs)
    case 2:
      let k = Int.random(in: 0..<words.count, using: &rng)
      var cs = Array(words[k])
      if cs.count > 4 { cs.remove(at: Int.random(in: 1..<cs.count, using: &rng)) }
      words[k] = String(cs)
    case 3: words.reverse()
    default: break
    }
    return words.joined(separator: " ")
  }

  @Test func indexFindsTheSameBestMatchAsBruteForce() {
    var rng = SplitMix64(state: 7)
    let all = Fixtures.sdn.entries
    #expect(all.count > 10000)
    let subset = SanctionsList(entries: Array(all.shuffled(using: &rng).prefix(2500)))
    let screener = Screener(index: ScreeningIndex(list: subset))
    var queries: [String] = []
    for e in subset.entries.shuffled(using: &rng).prefix(120) {
      let name = e.names.randomElement(using: &rng)?.text ?? e.primaryName
      queries.append(Self.perturb(name, &rng))
    }
    // and names that should match nothing or something unrelated
    queries += ["John Smith", "ACME TRADING LLC", "Maria Garcia Lopez", "ZZZ", "AL"]
    var compared = 0
    for q in queries {
      let brute = screener.screenExhaustively(q, limit: 1).first
      let indexed = screener.screen(q, limit: 1).first
      #expect(indexed?.id == brute?.id, "\(q): index \(indexed?.id ?? -1), brute force \(brute?.id ?? -1)")
      #expect(indexed?.score == brute?.score, "\(q)")
      if brute != nil { compared += 1 }
    }
    #expect(compared > 90)
  }

  @Test func codableRoundTrip() throws {
    let list = SanctionsList(entries: Array(Fixtures.sdn.entries.prefix(300)))
    let index = ScreeningIndex(list: list)
    let data = try JSONEncoder().encode(index)
    let back = try JSONDecoder().decode(ScreeningIndex.self, from: data)
    let a = Screener(index: index).screen("CIMEX S A", limit: 3)
    let b = Screener(index: back).screen("CIMEX S A", limit: 3)
    #expect(!a.isEmpty)
    #expect(a == b)
  }
}
