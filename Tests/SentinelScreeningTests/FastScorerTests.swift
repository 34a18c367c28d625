// The screener ranks candidates with a numeric-only port of `NameScorer.score` over the index's
// flat tables (`QueryState.score`); it must give exactly the same number as the reference scorer,
// which explains the reported matches.

import Testing

@testable import SentinelScreening

@Suite struct FastScorerTests {
  @Test func fastScoreEqualsNameScorer() {
    var rng = SplitMix64(state: 11)
    let list = SanctionsList(entries: Array(Fixtures.sdn.entries.shuffled(using: &rng).prefix(800)))
    let index = ScreeningIndex(list: list)
    let screener = Screener(index: index)
    var queries: [String] = []
    for e in list.entries.shuffled(using: &rng).prefix(60) {
      let name = e.names.randomElement(using: &rng)?.text ?? e.primaryName
      queries.append(ScreeningIndexTests.perturb(name, &rng))
    }
    queries += ["KOREA HYOKSIN TRA DING CORPORATION", "COMERCIALIZADORA DECAFE", "AL DURI", "Mi", "S.A."]
    let scratch = ScreenScratch(index.compiled)
    var compared = 0
    for query in queries {
      let q = screener.prepare(query)
      if q.isEmpty { continue }
      var state = QueryState(q, index.compiled, scratch)
      // Names sharing a word-ish with the query, and a few at random.
      var names = Set(screener.candidates(&state, scratch).map(\.name))
      for _ in 0..<20 { names.insert(Int32.random(in: 0..<Int32(index.names.count), using: &rng)) }
      for n in names.sorted() {
        let name = index.names[Int(n)]
        let words = name.words.map { WeightedToken(index.vocabulary[Int($0)], weight: index.weight($0)) }
        for cutoff in [0, defaultScreeningThreshold] {
          let reference = NameScorer.score(query: q, list: words, cutoff: cutoff, explain: false) { i, j in
            TokenSimilarity.compare(q[i].features, words[j].features)
          }
          let fast = state.score(name: n, cutoff: cutoff)
          #expect(fast == reference.score, "\(query) ~ \(words.map(\.features.string))")
          Self.expectSameExplanation(state.explain(name: n, cutoff: cutoff), words, q, cutoff)
          compared += 1
        }
      }
      state.release(to: scratch)
    }
    #expect(compared > 1000)
  }

  /// Truncated queries with a weakly similar word: the one place where the ranking cache's weak
  /// similarities (floored at 0.71) must be recomputed (`QueryState.mayNeedWeakPairs`).
  @Test func fastScoreEqualsNameScorerOnTruncatedQueriesWithWeakWords() {
    var rng = SplitMix64(state: 23)
    let list = SanctionsList(entries: Array(Fixtures.sdn.entries.shuffled(using: &rng).prefix(300)))
    let index = ScreeningIndex(list: list)
    let screener = Screener(index: index)
    let scratch = ScreenScratch(index.compiled)
    let letters = Array("ABDEHILMNORSTUZ")
    var compared = 0
    for name in index.names where name.words.count >= 3 {
      var words = name.words.map { index.vocabulary[Int($0)].string }
      words.removeLast(Int.random(in: 1...(words.count - 2), using: &rng))
      // One word before the last rewritten into a weakly similar one, the last cut to 1–3 letters.
      let k = Int.random(in: 0..<(words.count - 1), using: &rng)
      words[k] = String(
        words[k].map { c in Bool.random(using: &rng) ? c : (letters.randomElement(using: &rng) ?? c) })
      words[words.count - 1] = String(words[words.count - 1].prefix(Int.random(in: 1...3, using: &rng)))
      let query = words.joined(separator: " ")
      guard query.count >= NameScorer.minimumTruncatedLength else { continue }
      let q = screener.prepare(query)
      if q.isEmpty { continue }
      var state = QueryState(q, index.compiled, scratch)
      for n in 0..<Int32(index.names.count) {
        let target = index.names[Int(n)]
        let list = target.words.map { WeightedToken(index.vocabulary[Int($0)], weight: index.weight($0)) }
        for cutoff in [0, defaultScreeningThreshold] {
          let reference = NameScorer.score(query: q, list: list, cutoff: cutoff, explain: false) { i, j in
            TokenSimilarity.compare(q[i].features, list[j].features)
          }
          #expect(state.score(name: n, cutoff: cutoff) == reference.score, "\(query) ~ \(target.words)")
          Self.expectSameExplanation(state.explain(name: n, cutoff: cutoff), list, q, cutoff)
          compared += 1
        }
      }
      state.release(to: scratch)
    }
    #expect(compared > 10000)
  }

  /// `QueryState.explain` gives what the reference scorer explains, field by field.
  static func expectSameExplanation(
    _ fast: NameScore, _ list: [WeightedToken], _ q: [WeightedToken], _ cutoff: Double
  ) {
    let reference = NameScorer.score(query: q, list: list, cutoff: cutoff) { i, j in
      TokenSimilarity.compare(q[i].features, list[j].features)
    }
    let what = "\(q.map(\.features.string)) ~ \(list.map(\.features.string))"
    #expect(fast.score == reference.score, "\(what)")
    #expect(fast.queryCoverage == reference.queryCoverage, "\(what)")
    #expect(fast.listCoverage == reference.listCoverage, "\(what)")
    #expect(fast.truncated == reference.truncated, "\(what)")
    #expect(fast.pairs == reference.pairs, "\(what)")
    #expect(fast.unmatchedQuery == reference.unmatchedQuery, "\(what)")
    #expect(fast.unmatchedList == reference.unmatchedList, "\(what)")
  }

  /// A word of 1…`longest` letters drawn from `alphabet`.
  static func randomWord(_ alphabet: [UInt8], longest: Int, using rng: inout SplitMix64) -> [UInt8] {
    (0..<Int.random(in: 1...longest, using: &rng)).map { _ in alphabet.randomElement(using: &rng) ?? 65 }
  }

  @Test func maskJaroEqualsTheTextbookScan() {
    var rng = SplitMix64(state: 5)
    let alphabet = Array("ABDEHLMNORS".utf8)
    for k in 0..<20000 {
      let longest = k % 10 == 0 ? 64 : 12
      let a = Self.randomWord(alphabet, longest: longest, using: &rng)
      let b = Self.randomWord(alphabet, longest: longest, using: &rng)
      a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
          #expect(JaroWinkler.jaroShort(a, b) == JaroWinkler.jaroLong(a, b))
        }
      }
    }
  }

  /// Jaro walks either side to the same number (`JaroWinkler.jaro(_:_:positions:)`): with the
  /// position table of one word and the other walked, as the screener compares a query word with
  /// many list words. Letters that share a 5-bit slot with digits, repeats and both lengths.
  @Test func jaroIsSymmetric() {
    var rng = SplitMix64(state: 29)
    let alphabet = Array("AABDEHLMNORS1289".utf8)
    var table = [UInt64](repeating: 0, count: JaroWinkler.positionTableCount)
    for k in 0..<20000 {
      let longest = k % 10 == 0 ? 64 : 12
      let a = Self.randomWord(alphabet, longest: longest, using: &rng)
      let b = Self.randomWord(alphabet, longest: longest, using: &rng)
      a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
          table.withUnsafeMutableBufferPointer { t in
            guard let t = t.baseAddress else { return }
            JaroWinkler.positions(of: a, into: t)
            #expect(JaroWinkler.jaro(b, a, positions: t) == JaroWinkler.jaroLong(a, b))
            #expect(
              JaroWinkler.similarity(a, b, aPositions: t) == JaroWinkler.similarity(Array(a), Array(b)))
          }
        }
      }
    }
  }

  @Test func scalarFoldingMatchesFoundationNFKD() {
    var rng = SplitMix64(state: 17)
    // Latin with diacritics, precomposed and combining; compatibility forms; special letters;
    // Greek, Cyrillic, Arabic, CJK, Hangul; marks with a combining class; apostrophes.
    let pool = Array(
      "aZé\u{0301}\u{0323}\u{0302}ÅøßŁĳﬁＡｚ²ǅÐþ'`’ʼΑβγΣςАбЖшЁءمحد中文한글\u{0F71}\u{0F72}\u{0F80}\u{1D165}\u{1D16D}ᾅ"
        .unicodeScalars)
    var fast = 0
    for _ in 0..<4000 {
      let word = String.UnicodeScalarView(
        (0..<Int.random(in: 1...8, using: &rng)).compactMap { _ in pool.randomElement(using: &rng) })
      let reference = NameNormalizer.foldDecomposing(word)
      if let f = NameNormalizer.foldScalars(word) {
        #expect(f == reference, "\(String(word).debugDescription)")
        fast += 1
      }
    }
    #expect(fast > 1000)
  }

  @Test func asciiNormalizationMatchesTheGeneralPath() {
    var rng = SplitMix64(state: 3)
    let alphabet = Array("aBcDeZz09.. .'`-,/_()\t\u{01}\u{7F}ALSA".unicodeScalars)
    for _ in 0..<5000 {
      let text = String(
        String.UnicodeScalarView(
          (0..<Int.random(in: 0...24, using: &rng)).compactMap { _ in alphabet.randomElement(using: &rng) }))
      var general: [String] = []
      for word in NameNormalizer.foldedWords(text) { general += NameNormalizer.splitPunctuation(word) }
      #expect(NameNormalizer.asciiWords(text) == general, "\(text.debugDescription)")
    }
    #expect(NameNormalizer.asciiWords("José") == nil)
  }

  @Test func wordLookupFindsEveryWordAndOnlyThem() {
    let index = ScreeningIndex(list: SanctionsList(entries: Array(Fixtures.sdn.entries.prefix(2000))))
    #expect(index.vocabulary.count > 1000)
    func find(_ text: [UInt8], _ core: [UInt8]?) -> Int32? {
      text.withUnsafeBufferPointer { t in
        guard let core else { return index.compiled.word(text: t, core: nil) }
        return core.withUnsafeBufferPointer { c in index.compiled.word(text: t, core: c) }
      }
    }
    var seen = Set<[UInt8]>()
    for (id, f) in index.vocabulary.enumerated() {
      let hasCore = f.core != f.text
      #expect(find(f.text, hasCore ? f.core : nil) == Int32(id), "\(f.string)")
      // The same text with the other article reading is another key (or no word at all).
      if let other = find(f.text, hasCore ? nil : Array("X".utf8)) { #expect(other != Int32(id)) }
      seen.insert(f.text)
    }
    // Words the list lacks: one letter appended to each of a few hundred words.
    for f in index.vocabulary.prefix(300) where !seen.contains(f.text + [UInt8(ascii: "Q")]) {
      #expect(find(f.text + [UInt8(ascii: "Q")], nil) == nil)
    }
  }
}
