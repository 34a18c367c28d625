// Jaro-Winkler against published values (Winkler 1990; Wikipedia's worked examples).

import SentinelScreening
import Testing

@Suite struct JaroWinklerTests {
  @Test(arguments: [
    ("MARTHA", "MARHTA", 0.944, 0.961),
    ("DWAYNE", "DUANE", 0.822, 0.840),
    ("DIXON", "DICKSONX", 0.767, 0.813),
    ("JELLYFISH", "SMELLYFISH", 0.896, 0.896),
    ("CRATE", "TRACE", 0.733, 0.733),
  ])
  func knownValues(a: String, b: String, jaro: Double, jw: Double) {
    #expect(abs(JaroWinkler.jaro(Array(a.utf8), Array(b.utf8)) - jaro) < 0.001)
    #expect(abs(JaroWinkler.similarity(a, b) - jw) < 0.001)
    #expect(abs(JaroWinkler.similarity(b, a) - jw) < 0.001)
  }

  @Test func edges() {
    #expect(JaroWinkler.similarity("", "") == 1)
    #expect(JaroWinkler.similarity("ABC", "") == 0)
    #expect(JaroWinkler.similarity("ABC", "XYZ") == 0)
    #expect(JaroWinkler.similarity("SAME", "SAME") == 1)
  }
}
