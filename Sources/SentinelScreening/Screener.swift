// Screens a name against an index: normalize → block (find similar vocabulary words) →
// accumulate a query-coverage bound per candidate name → score the best candidates fully →
// best name per entry → matches at or above the threshold, best first.

/// Screens names against a `ScreeningIndex`.
public struct Screener: Sendable {
  /// The index screened against.
  public let index: ScreeningIndex
  /// Matches below this score are not reported.
  public var threshold: Double
  /// How many candidate names (by coverage bound) are scored fully per query.
  public var candidateLimit = 96

  /// Creates a screener.
  public init(index: ScreeningIndex, threshold: Double = defaultScreeningThreshold) {
    self.index = index
    self.threshold = threshold
  }

  /// Matches of `query` at or above the threshold, best first (ties by id); at most `limit`.
  public func screen(_ query: String, limit: Int = 10) -> [ScreeningMatch] {
    let q = prepare(query)
    guard !q.isEmpty else { return [] }
    var cache = SimilarityCache(query: q)
    let candidates = self.candidates(q, cache: &cache)
    return rank(q, candidates, cache: &cache, limit: limit)
  }

  /// Like `screen`, but scores every name of the list (no blocking): the reference the index is
  /// tested against, and a fallback for small lists.
  public func screenExhaustively(_ query: String, limit: Int = 10) -> [ScreeningMatch] {
    let q = prepare(query)
    guard !q.isEmpty else { return [] }
    var cache = SimilarityCache(query: q)
    return rank(q, Array(0..<Int32(index.names.count)), cache: &cache, limit: limit)
  }

  /// The query's weighted words.
  func prepare(_ query: String) -> [WeightedToken] {
    NameNormalizer.tokens(query).map { t in
      let f = TokenFeatures(t)
      return WeightedToken(f, weight: t.role.weight * index.rarity(ofText: ScreeningIndex.vocabularyKey(t)))
    }
  }

  // MARK: - Blocking

  /// Candidate names: those sharing a similar word with the query, best coverage bound first.
  func candidates(_ q: [WeightedToken], cache: inout SimilarityCache) -> [Int32] {
    var acc: [Int32: Double] = [:]
    let informative = q.indices.filter { q[$0].features.role == .name }
    // A query of only initials, particles, titles or legal forms: block on every word exactly.
    let blockOn = informative.isEmpty ? Array(q.indices) : informative
    for i in blockOn {
      var best: [Int32: Double] = [:]
      for v in similarWords(q[i].features) {
        let (s, _) = cache.similarity(i, v, index)
        let e = NameScorer.effective(s)
        if e <= 0 { continue }
        for n in index.postings[Int(v)] where e > best[n, default: 0] { best[n] = e }
      }
      // Split words: two adjacent query words written as one list word (`TRA DING`).
      if i + 1 < q.count {
        let joined = q[i].features.joined(with: q[i + 1].features)
        for v in similarWords(joined, trigramsToo: false) {
          let s = TokenSimilarity.compare(joined, index.vocabulary[Int(v)]).0
          let e = NameScorer.effective(s)
          if e <= 0 { continue }
          for n in index.postings[Int(v)] where e > best[n, default: 0] { best[n] = e }
        }
      }
      let w = q[i].weight
      for (n, e) in best { acc[n, default: 0] += w * e }
    }
    let ranked = acc.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
    return ranked.prefix(candidateLimit).map(\.key)
  }

  /// Vocabulary words that may be similar to `f`: exact, keys, and trigram neighbours.
  func similarWords(_ f: TokenFeatures, trigramsToo: Bool = true) -> [Int32] {
    var out: Set<Int32> = []
    let text = String(decoding: f.text, as: UTF8.self)
    if let id = index.lookup[text] { out.insert(id) }
    guard f.text.count > 1 else { return Array(out) }
    for key in [
      "P" + String(decoding: f.phonetic, as: UTF8.self), "O" + String(decoding: f.ocr, as: UTF8.self),
      "C" + String(decoding: f.core, as: UTF8.self), "C" + text,
    ] {
      if let ids = index.keys[key] { out.formUnion(ids) }
    }
    if let id = index.lookup["AL" + text + "/" + text] { out.insert(id) }
    if f.core != f.text, let id = index.lookup[String(decoding: f.core, as: UTF8.self)] { out.insert(id) }
    guard trigramsToo else { return Array(out) }
    let grams = Set(NameKeys.trigrams(f.text))
    var shared: [Int32: Int] = [:]
    for g in grams {
      guard let ids = index.trigrams[g], ids.count < 4000 else { continue }
      for id in ids { shared[id, default: 0] += 1 }
    }
    let qn = Double(grams.count)
    var scored: [(Double, Int32)] = []
    for (id, c) in shared where c >= 2 || grams.count <= 3 {
      let vn = Double(index.vocabulary[Int(id)].text.count + 1)
      let dice = 2 * Double(c) / (qn + vn)
      if dice >= 0.3 { scored.append((dice, id)) }
    }
    scored.sort { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }
    for (_, id) in scored.prefix(64) { out.insert(id) }
    return Array(out)
  }

  // MARK: - Ranking

  func rank(_ q: [WeightedToken], _ names: [Int32], cache: inout SimilarityCache, limit: Int) -> [ScreeningMatch] {
    var bestPerEntry: [Int32: (NameScore, Int32)] = [:]
    for n in names {
      let name = index.names[Int(n)]
      let list = name.words.map { WeightedToken(index.vocabulary[Int($0)], weight: index.weight($0)) }
      let s = NameScorer.score(query: q, list: list) { i, j in cache.similarity(i, name.words[j], index) }
      if s.score >= threshold, s.score > (bestPerEntry[name.entry]?.0.score ?? -1) {
        bestPerEntry[name.entry] = (s, n)
      }
    }
    var out: [ScreeningMatch] = []
    for (e, (s, n)) in bestPerEntry {
      let entry = index.list.entries[Int(e)]
      let name = entry.names[Int(index.names[Int(n)].alias)]
      out.append(
        ScreeningMatch(
          id: entry.id, name: entry.primaryName, score: (s.score * 10000).rounded() / 10000,
          matchedName: name.text, matchedKind: name.kind,
          queryCoverage: (s.queryCoverage * 1000).rounded() / 1000,
          listCoverage: (s.listCoverage * 1000).rounded() / 1000, pairs: s.pairs,
          unmatchedQuery: s.unmatchedQuery, unmatchedList: s.unmatchedList))
    }
    out.sort { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }
    return Array(out.prefix(limit))
  }
}

/// Word similarities of one query against vocabulary words, computed once each.
struct SimilarityCache {
  let query: [WeightedToken]
  var memo: [Int: (Double, MatchReason)] = [:]

  init(query: [WeightedToken]) { self.query = query }

  mutating func similarity(_ i: Int, _ v: Int32, _ index: ScreeningIndex) -> (Double, MatchReason) {
    let key = i << 32 | Int(v)
    if let s = memo[key] { return s }
    let s = TokenSimilarity.compare(query[i].features, index.vocabulary[Int(v)])
    memo[key] = s
    return s
  }
}
