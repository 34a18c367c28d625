// Word similarity: the rule that fires per variation class, and scores of whole names.

import SentinelScreening
import Testing

@Suite struct TokenSimilarityTests {
  func f(_ s: String) -> TokenFeatures {
    NameNormalizer.tokens(s).first.map(TokenFeatures.init) ?? TokenFeatures(text: [], role: .name)
  }

  @Test(arguments: [
    ("SMITH", "SMITH", MatchReason.exact),
    ("DURI", "AL-DURI", .article),
    ("Ahrnad", "AHMAD", .ocr),
    ("M", "MUSONI", .initial),
    ("Franc", "FRANCISCO", .prefix),
    ("Mohammed", "MUHAMMAD", .phonetic),
    ("CORDPVA", "CORDOVA", .fuzzy),
  ])
  func reasons(q: String, l: String, reason: MatchReason) {
    let (s, r) = TokenSimilarity.compare(f(q), f(l))
    #expect(r == reason)
    #expect(s >= 0.85)
  }

  @Test func differentWordsAreNotEvidence() {
    #expect(NameScorer.effective(TokenSimilarity.compare(f("MOND"), f("MOHAMMAD")).0) < 0.5)
    #expect(TokenSimilarity.compare(f("X"), f("MUSONI")).0 == 0)
  }

  func score(_ q: String, _ l: String) -> NameScore {
    let w = { (s: String) in
      NameNormalizer.tokens(s).map { WeightedToken(TokenFeatures($0), weight: $0.role.weight) }
    }
    return NameScorer.score(query: w(q), list: w(l))
  }

  @Test func nameScores() {
    // token order and titles do not matter
    #expect(score("Dr Eidelber Jhon CORREA, CANO", "CANO CORREA, Jhon Eidelber").score > 0.95)
    // a dropped word costs little, a foreign word costs a lot
    #expect(score("CANO Jhon Eidelber", "CANO CORREA, Jhon Eidelber").score > 0.9)
    #expect(score("POPOV Dimitri FAYAD", "POPOV, Dimitri Igorevich").score < 0.86)
    // split and joined words
    let split = score("KOREA HYOKSIN TRA DING CORPORATION", "KOREA HYOKSIN TRADING CORPORATION")
    #expect(split.score > 0.95)
    #expect(split.pairs.contains { $0.reason == .split && $0.query == "TRA DING" })
    #expect(score("COMERCIALIZADORA DECAFE", "COMERCIALIZADORA DE CAFE").score > 0.9)
  }
}
