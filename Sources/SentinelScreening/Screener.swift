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
  public var candidateLimit = 64

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
    return rank(q, (0..<Int32(index.names.count)).map { ($0, Float.infinity) }, cache: &cache, limit: limit)
  }

  /// The query's weighted words.
  func prepare(_ query: String) -> [WeightedToken] {
    NameNormalizer.tokens(query).map { t in
      let f = TokenFeatures(t)
      return WeightedToken(f, weight: t.role.weight * index.rarity(ofText: ScreeningIndex.vocabularyKey(t)))
    }
  }

  // MARK: - Blocking

  /// Candidate names: those sharing a similar word with the query whose coverage bound can still
  /// reach the threshold, best bound first, each with an upper bound of its score.
  func candidates(_ q: [WeightedToken], cache: inout SimilarityCache) -> [(name: Int32, bound: Float)] {
    let nameCount = index.names.count
    var acc = [Float](repeating: 0, count: nameCount)
    var best = [Float](repeating: 0, count: nameCount)
    var touched: [Int32] = []
    var scratch = TrigramScratch(count: index.vocabulary.count)
    let informative = q.indices.filter { q[$0].features.role == .name }
    // A query of only initials, particles, titles or legal forms: block on every word exactly.
    let blockOn = Set(informative.isEmpty ? Array(q.indices) : informative)
    // Words found for each query word; a joined pair credits both of its words.
    var found: [[(Int32, Float)]] = Array(repeating: [], count: q.count)
    for i in q.indices where blockOn.contains(i) {
      for v in similarWords(q[i].features, scratch: &scratch) {
        let e = Float(NameScorer.effective(cache.similarity(i, v, index).0))
        if e > 0 { found[i].append((v, e)) }
      }
      // Split words: two adjacent query words written as one list word (`TRA DING`).
      if i + 1 < q.count {
        let joined = q[i].features.joined(with: q[i + 1].features)
        for v in keyedWords(joined) {
          let e = Float(NameScorer.effective(TokenSimilarity.compare(joined, index.vocabulary[Int(v)]).0))
          if e > 0 {
            found[i].append((v, e))
            found[i + 1].append((v, e))
          }
        }
      }
    }
    var totalWeight = 0.0
    for i in q.indices { totalWeight += q[i].weight }
    // Words found that are titles, legal forms, particles or initials have long postings and
    // little weight: they are not walked but credited to every name in the bound below.
    var credited = 0.0
    for i in q.indices {
      let minor = found[i].filter { index.vocabulary[Int($0.0)].role != .name }
      if let e = minor.map(\.1).max() { credited += q[i].weight * Double(e) }
      found[i].removeAll { index.vocabulary[Int($0.0)].role != .name }
    }
    // Bound: score ≤ share · queryCoverage + (1 − share); drop names that cannot reach the
    // threshold (with a margin: weights are re-estimated when scoring).
    // Words not blocked on (initials, titles, legal forms, particles) may still pair: count them as
    // perfectly paired.
    var unblocked = 0.0
    for i in q.indices where found[i].isEmpty { unblocked += q[i].weight }
    let needed = Float(
      max(
        0,
        (threshold - 0.04 - (1 - NameScorer.queryShare)) / NameScorer.queryShare * totalWeight - unblocked
          - credited)
    )
    // Heaviest (rarest) query words first (MaxScore): once the words left could not lift a name
    // none of the walked words found up to `needed`, no new name can qualify, and the rest only
    // update the names already found — by looking their few words up, not by walking the long
    // postings of common words (`MUHAMMAD`).
    let order = q.indices.filter { !found[$0].isEmpty }.sorted {
      q[$0].weight != q[$1].weight ? q[$0].weight > q[$1].weight : $0 < $1
    }
    var remaining = Float(order.reduce(0.0) { $0 + q[$1].weight })
    var evidence: [Float] = []
    for i in order {
      let w = Float(q[i].weight)
      if remaining + 1e-4 < needed {
        // Closed: only names already touched can still qualify.
        if evidence.isEmpty { evidence = [Float](repeating: 0, count: index.vocabulary.count) }
        for (v, e) in found[i] where e > evidence[Int(v)] { evidence[Int(v)] = e }
        remaining -= w
        var kept: [Int32] = []
        kept.reserveCapacity(touched.count)
        for n in touched {
          var b: Float = 0
          for v in index.names[Int(n)].words { b = max(b, evidence[Int(v)]) }
          acc[Int(n)] += w * b
          if acc[Int(n)] + remaining + 1e-4 >= needed { kept.append(n) }
        }
        touched = kept
        for (v, _) in found[i] { evidence[Int(v)] = 0 }
        continue
      }
      remaining -= w
      var local: [Int32] = []
      index.postingNames.withUnsafeBufferPointer { names in
        for (v, e) in found[i] {
          for k in Int(index.postingStart[Int(v)])..<Int(index.postingStart[Int(v) + 1]) {
            let n = names[k]
            if e > best[Int(n)] {
              if best[Int(n)] == 0 { local.append(n) }
              best[Int(n)] = e
            }
          }
        }
      }
      for n in local {
        if acc[Int(n)] == 0 { touched.append(n) }
        acc[Int(n)] += w * best[Int(n)]
        best[Int(n)] = 0
      }
    }
    var kept = touched.filter { acc[Int($0)] >= needed }
    kept.sort { acc[Int($0)] != acc[Int($1)] ? acc[Int($0)] > acc[Int($1)] : $0 < $1 }
    // A name's score is at most share · queryCoverage + (1 − share), and its query coverage at
    // most what its words were found with, plus the words not walked (the same margin as above).
    let share = Float(NameScorer.queryShare)
    let rest = Float(unblocked + credited)
    let total = Float(max(totalWeight, 1e-9))
    return kept.prefix(candidateLimit).map { n in
      (n, share * min(1, (acc[Int(n)] + rest) / total) + (1 - share) + 0.04)
    }
  }

  /// Vocabulary words sharing the exact text or a key with `f`.
  func keyedWords(_ f: TokenFeatures) -> [Int32] {
    var out: [Int32] = []
    let text = String(decoding: f.text, as: UTF8.self)
    if let id = index.lookup[text] { out.append(id) }
    guard f.text.count > 1 else { return out }
    func add(_ tag: Unicode.Scalar, _ bytes: [UInt8]) {
      if let ids = index.keys[ScreeningIndex.key(tag, bytes)] { out += ids }
    }
    add("P", f.phonetic)
    add("O", f.ocr)
    add("C", f.core)
    if f.core != f.text { add("C", f.text) }
    if f.text.count >= 3 { add("S", NameKeys.anagram(f.text)) }
    if f.text.count <= ScreeningIndex.deletionKeyMaxLength + 1 {
      // One edit: a deletion on either side, or a substitution (the same deletion on both).
      if f.text.count >= 3 { add("D", f.text) }
      for d in NameKeys.deletions(f.text) {
        add("D", d)
        if let id = index.lookup[String(decoding: d, as: UTF8.self)] { out.append(id) }
      }
    }
    if let id = index.lookup["AL" + text + "/" + text] { out.append(id) }
    if f.core != f.text, let id = index.lookup[String(decoding: f.core, as: UTF8.self)] { out.append(id) }
    return out
  }

  /// Keyed words plus the vocabulary words sharing the most trigrams with `f` (Dice ≥ 0.3).
  func similarWords(_ f: TokenFeatures, scratch: inout TrigramScratch) -> [Int32] {
    var out = keyedWords(f)
    guard f.text.count > 1 else { return out }
    let grams = Array(Set(NameKeys.trigrams(f.text)))
    for g in grams {
      guard let ids = index.trigrams[g] else { continue }
      for id in ids { scratch.bump(id) }
    }
    let qn = Double(grams.count)
    var scored: [(Double, Int32)] = []
    for id in scratch.touched {
      let c = Int(scratch.counts[Int(id)])
      if c >= 2 || grams.count <= 3 {
        let dice = 2 * Double(c) / (qn + Double(index.vocabulary[Int(id)].text.count + 1))
        if dice >= 0.3 { scored.append((dice, id)) }
      }
    }
    scratch.reset()
    scored.sort { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }
    for (_, id) in scored.prefix(32) { out.append(id) }
    return out
  }

  // MARK: - Ranking

  /// Scores the candidates (best bound first) and explains the best `limit` entries. Stops early
  /// once `limit` entries score more than the next candidate's bound: no later one can displace them.
  func rank(
    _ q: [WeightedToken], _ names: [(name: Int32, bound: Float)], cache: inout SimilarityCache, limit: Int
  ) -> [ScreeningMatch] {
    var bestPerEntry: [Int32: (Double, Int32)] = [:]
    var kth = -Double.infinity  // the limit-th best entry score so far (−∞ until there are `limit`)
    for (n, bound) in names {
      if Double(bound) < kth - 1e-4 { break }
      let name = index.names[Int(n)]
      let list = name.words.map { WeightedToken(index.vocabulary[Int($0)], weight: index.weight($0)) }
      let s = NameScorer.score(query: q, list: list, cutoff: threshold, explain: false) { i, j in
        cache.similarity(i, name.words[j], index)
      }
      if s.score >= threshold, s.score > (bestPerEntry[name.entry]?.0 ?? -1) {
        bestPerEntry[name.entry] = (s.score, n)
        if bestPerEntry.count >= limit {
          kth = limit == 1 ? max(kth, s.score) : bestPerEntry.values.map(\.0).sorted(by: >)[limit - 1]
        }
      }
    }
    // Only the reported matches are explained (pairs and unmatched words cost strings).
    // Ranked as reported: by the rounded score, then by id.
    func rounded(_ x: Double) -> Double { (x * 10000).rounded() / 10000 }
    let reported = bestPerEntry.sorted {
      let (a, b) = (rounded($0.value.0), rounded($1.value.0))
      return a != b ? a > b : index.list.entries[Int($0.key)].id < index.list.entries[Int($1.key)].id
    }.prefix(limit)
    var out: [ScreeningMatch] = []
    for (e, (_, n)) in reported {
      let name = index.names[Int(n)]
      let list = name.words.map { WeightedToken(index.vocabulary[Int($0)], weight: index.weight($0)) }
      let s = NameScorer.score(query: q, list: list, cutoff: threshold) { i, j in
        cache.similarity(i, name.words[j], index)
      }
      let entry = index.list.entries[Int(e)]
      let published = entry.names[Int(name.alias)]
      out.append(
        ScreeningMatch(
          id: entry.id, name: entry.primaryName, score: (s.score * 10000).rounded() / 10000,
          matchedName: published.text, matchedKind: published.kind,
          queryCoverage: (s.queryCoverage * 1000).rounded() / 1000,
          listCoverage: (s.listCoverage * 1000).rounded() / 1000, truncated: s.truncated, pairs: s.pairs,
          unmatchedQuery: s.unmatchedQuery, unmatchedList: s.unmatchedList))
    }
    out.sort { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }
    return Array(out.prefix(limit))
  }
}

/// Per-query trigram counters over the vocabulary, reset through the list of touched words.
struct TrigramScratch {
  var counts: [UInt16]
  var touched: [Int32] = []

  init(count: Int) { counts = [UInt16](repeating: 0, count: count) }

  mutating func bump(_ id: Int32) {
    if counts[Int(id)] == 0 { touched.append(id) }
    counts[Int(id)] &+= 1
  }

  mutating func reset() {
    for id in touched { counts[Int(id)] = 0 }
    touched.removeAll(keepingCapacity: true)
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
