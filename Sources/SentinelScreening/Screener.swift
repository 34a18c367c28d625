// Screens a name against an index: normalize → block (find similar vocabulary words) →
// accumulate a query-coverage bound per candidate name → score the best candidates fully →
// best name per entry → matches at or above the threshold, best first.
//
// The hot path works on the index's flat tables (`CompiledIndex`) with reused working memory
// (`ScreenScratch`, one per concurrent query) and scores candidates for their number only
// (`QueryState.score`); only the reported matches are explained (`NameScorer.score`).

/// Screens names against a `ScreeningIndex`.
public struct Screener: Sendable {
  /// The index screened against.
  public let index: ScreeningIndex
  /// Matches below this score are not reported.
  public var threshold: Double
  /// How many candidate names (by coverage bound) are scored fully per query.
  public var candidateLimit = 64
  private let pool = ScratchPool()

  /// Creates a screener.
  public init(index: ScreeningIndex, threshold: Double = defaultScreeningThreshold) {
    self.index = index
    self.threshold = threshold
  }

  /// Matches of `query` at or above the threshold, best first (ties by id); at most `limit`.
  public func screen(_ query: String, limit: Int = 10) -> [ScreeningMatch] {
    let q = prepare(query)
    guard !q.isEmpty, limit > 0 else { return [] }
    let ix = index.compiled
    return pool.with(ix) { scratch in
      var state = QueryState(q, ix, scratch)
      defer { state.release(to: scratch) }
      let candidates = self.candidates(&state, scratch)
      return rank(&state, candidates, limit: limit, scratch)
    }
  }

  /// Like `screen`, but scores every name of the list (no blocking): the reference the index is
  /// tested against, and a fallback for small lists.
  public func screenExhaustively(_ query: String, limit: Int = 10) -> [ScreeningMatch] {
    let q = prepare(query)
    guard !q.isEmpty, limit > 0 else { return [] }
    let ix = index.compiled
    return pool.with(ix) { scratch in
      var state = QueryState(q, ix, scratch)
      defer { state.release(to: scratch) }
      return rank(&state, (0..<Int32(ix.nameCount)).map { ($0, Float.infinity) }, limit: limit, scratch)
    }
  }

  /// The query's weighted words.
  func prepare(_ query: String) -> [WeightedToken] {
    let ix = index.compiled
    return NameNormalizer.tokens(query).map { t in
      let f = TokenFeatures(t)
      let id = f.text.withUnsafeBufferPointer { text in
        f.core.withUnsafeBufferPointer { core in ix.word(text: text, core: t.core == nil ? nil : core) }
      }
      return WeightedToken(f, weight: t.role.weight * (id.map { ix.rarity[Int($0)] } ?? 1))
    }
  }

  // MARK: - Blocking

  /// Candidate names: those sharing a similar word with the query whose coverage bound can still
  /// reach the threshold, best bound first, each with an upper bound of its score.
  func candidates(_ q: inout QueryState, _ scratch: ScreenScratch) -> [(name: Int32, bound: Float)] {
    let ix = q.ix
    let nq = q.nq
    let acc = scratch.acc
    let best = scratch.best
    let evidence = scratch.evidence
    let touched = scratch.touchedNames
    var touchedCount = 0
    let local = scratch.localNames
    var ids = scratch.ids
    scratch.ids = []  // moved out: appends must not copy
    defer { scratch.ids = ids }
    var anyInformative = false
    for i in 0..<nq where q.spans[i].role == .name { anyInformative = true }
    // Words found for each query word; a joined pair credits both of its words. (The scratch's
    // arrays, moved out and back: their capacity is kept across queries.)
    var found = scratch.found
    scratch.found = []
    defer { scratch.found = found }
    if found.count < nq { found.append(contentsOf: repeatElement([], count: nq - found.count)) }
    for i in 0..<nq { found[i].removeAll(keepingCapacity: true) }
    for i in 0..<nq where !anyInformative || q.spans[i].role == .name {
      // A query of only initials, particles, titles or legal forms: block on every word exactly.
      ids.removeAll(keepingCapacity: true)
      similarWords(q.spans[i], into: &ids, scratch)
      scratch.touchSink ^= UInt32(truncatingIfNeeded: q.touch(ids))
      found[i].reserveCapacity(found[i].count + ids.count + 8)
      for v in ids {
        let e = Float(NameScorer.effective(q.similarity(i, v)))
        if e > 0 { found[i].append((v, e)) }
      }
      // Split words: two adjacent query words written as one list word (`TRA DING`).
      if i + 1 < nq {
        ids.removeAll(keepingCapacity: true)
        keyedWords(q.spans[nq + i], into: &ids, scratch)
        scratch.touchSink ^= UInt32(truncatingIfNeeded: q.touch(ids))
        for v in ids {
          let e = Float(NameScorer.effective(q.similarity(nq + i, v)))
          if e > 0 {
            found[i].append((v, e))
            found[i + 1].append((v, e))
          }
        }
      }
    }
    // A word found several times counts once, with its best evidence (only maxima are used below).
    // In place: the first occurrences, in order (every evidence here is above 0).
    for i in 0..<nq where found[i].count > 1 {
      let kept = found[i].withUnsafeMutableBufferPointer { words in
        var kept = 0
        for k in 0..<words.count {
          let (v, e) = words[k]
          if evidence[Int(v)] == 0 {
            words[kept] = (v, 0)
            kept += 1
          }
          evidence[Int(v)] = max(evidence[Int(v)], e)
        }
        for k in 0..<kept {
          let v = words[k].0
          words[k].1 = evidence[Int(v)]
          evidence[Int(v)] = 0
        }
        return kept
      }
      found[i].removeLast(found[i].count - kept)
    }
    var totalWeight = 0.0
    for i in 0..<nq { totalWeight += q.weights[i] }
    // Words found that are titles, legal forms, particles or initials have long postings and
    // little weight: they are not walked but credited to every name in the bound below.
    var credited = 0.0
    for i in 0..<nq {
      var minor: Float = -1
      for (v, e) in found[i] where ix.words[Int(v)].role != .name { minor = max(minor, e) }
      if minor >= 0 { credited += q.weights[i] * Double(minor) }
      found[i].removeAll { ix.words[Int($0.0)].role != .name }
    }
    // Bound: score ≤ share · queryCoverage + (1 − share); drop names that cannot reach the
    // threshold (with a margin: weights are re-estimated when scoring).
    // Words not blocked on (initials, titles, legal forms, particles) may still pair: count them as
    // perfectly paired.
    var unblocked = 0.0
    for i in 0..<nq where found[i].isEmpty { unblocked += q.weights[i] }
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
    let order = (0..<nq).filter { !found[$0].isEmpty }.sorted {
      q.weights[$0] != q.weights[$1] ? q.weights[$0] > q.weights[$1] : $0 < $1
    }
    var remaining = Float(order.reduce(0.0) { $0 + q.weights[$1] })
    for i in order {
      let w = Float(q.weights[i])
      if remaining + 1e-4 < needed {
        // Closed: only names already touched can still qualify.
        for (v, e) in found[i] where e > evidence[Int(v)] { evidence[Int(v)] = e }
        remaining -= w
        var kept = 0
        for k in 0..<touchedCount {
          let n = touched[k]
          var b: Float = 0
          for v in ix.nameWordIds(n) { b = max(b, evidence[Int(v)]) }
          acc[Int(n)] += w * b
          if acc[Int(n)] + remaining + 1e-4 >= needed {
            touched[kept] = n
            kept += 1
          } else {
            acc[Int(n)] = 0  // out for good: no open step follows a closed one
          }
        }
        touchedCount = kept
        for (v, _) in found[i] { evidence[Int(v)] = 0 }
        continue
      }
      remaining -= w
      var localCount = 0
      for (v, e) in found[i] {
        for n in ix.postings(v) where e > best[Int(n)] {
          if best[Int(n)] == 0 {
            local[localCount] = n
            localCount += 1
          }
          best[Int(n)] = e
        }
      }
      for k in 0..<localCount {
        let n = local[k]
        if acc[Int(n)] == 0 {
          touched[touchedCount] = n
          touchedCount += 1
        }
        acc[Int(n)] += w * best[Int(n)]
        best[Int(n)] = 0
      }
    }
    // The best `candidateLimit` names by accumulated evidence (ties by name), in that order.
    let limit = candidateLimit
    var top: [(Float, Int32)] = []
    top.reserveCapacity(min(limit, touchedCount))
    @inline(__always) func before(_ a: (Float, Int32), _ b: (Float, Int32)) -> Bool {
      a.0 != b.0 ? a.0 > b.0 : a.1 < b.1
    }
    for k in 0..<touchedCount {
      let n = touched[k]
      let a = acc[Int(n)]
      acc[Int(n)] = 0
      guard a >= needed, limit > 0 else { continue }
      let x = (a, n)
      if top.count == limit {
        guard let last = top.last, before(x, last) else { continue }
        top.removeLast()
      }
      var lo = 0
      var hi = top.count
      while lo < hi {
        let mid = (lo + hi) / 2
        if before(top[mid], x) { lo = mid + 1 } else { hi = mid }
      }
      top.insert(x, at: lo)
    }
    // A name's score is at most share · queryCoverage + (1 − share), and its query coverage at
    // most what its words were found with, plus the words not walked (the same margin as above).
    let share = Float(NameScorer.queryShare)
    let rest = Float(unblocked + credited)
    let total = Float(max(totalWeight, 1e-9))
    return top.map { a, n in (n, share * min(1, (a + rest) / total) + (1 - share) + 0.04) }
  }

  /// Vocabulary words sharing the exact text or a key with `f`.
  func keyedWords(_ f: WordSpan, into out: inout [Int32], _ scratch: ScreenScratch) {
    let ix = index.compiled
    let text = f.text
    if let id = ix.word(text: text, core: nil) { out.append(id) }
    guard text.count > 1 else { return }
    // The keys first, then their lookups in the same order: each lookup's first load is a cache
    // miss in a large table, and loading every key's slot before looking any up lets the processor
    // wait for those misses together instead of one after another.
    var keys = scratch.keys
    scratch.keys = []  // moved out: appends must not copy
    keys.removeAll(keepingCapacity: true)
    let hasCore = !f.core.same(text)
    keys.append(ScreeningIndex.key("P", f.phonetic))
    keys.append(ScreeningIndex.key("O", f.ocr))
    keys.append(ScreeningIndex.key("C", f.core))
    if hasCore { keys.append(ScreeningIndex.key("C", text)) }
    var buf = scratch.bytes
    scratch.bytes = []  // moved out: appends must not copy
    defer { scratch.bytes = buf }
    if text.count >= 3 {
      buf.removeAll(keepingCapacity: true)
      buf.append(contentsOf: text)
      buf.sort()
      keys.append(ScreeningIndex.key("S", buf))
    }
    if text.count <= ScreeningIndex.deletionKeyMaxLength + 1 {
      // One edit: a deletion on either side, or a substitution (the same deletion on both).
      if text.count >= 3 { keys.append(ScreeningIndex.key("D", text)) }
      // A D key also finds the words (without an article) equal to the deletion: the compiled
      // key table files each such word of up to `deletionKeyMaxLength` letters under its own text.
      for k in 0..<text.count where k == 0 || text[k] != text[k - 1] {
        keys.append(ScreeningIndex.key("D", text, skipping: k))
      }
    }
    var touched: UInt32 = 0
    for key in keys { touched ^= ix.keys.touch(key) }
    scratch.touchSink ^= touched
    for key in keys {
      for id in ix.keys.lookup(key) { out.append(id) }
    }
    scratch.keys = keys
    buf.removeAll(keepingCapacity: true)
    buf.append(UInt8(ascii: "A"))
    buf.append(UInt8(ascii: "L"))
    buf.append(contentsOf: text)
    if let id = buf.withUnsafeBufferPointer({ ix.word(text: $0, core: text) }) { out.append(id) }
    if hasCore, let id = ix.word(text: f.core, core: nil) { out.append(id) }
  }

  /// A trigram count (`ScreenScratch.counts`) plus one, wrapping within its 16 bits.
  @inline(__always) static func increment(_ x: UInt32) -> UInt32 { x & 0xFFFF_0000 | (x &+ 1) & 0xFFFF }

  /// Keyed words plus the vocabulary words sharing the most trigrams with `f` (Dice ≥ 0.3).
  func similarWords(_ f: WordSpan, into out: inout [Int32], _ scratch: ScreenScratch) {
    keyedWords(f, into: &out, scratch)
    let text = f.text
    guard text.count > 1 else { return }
    let ix = index.compiled
    let counts = scratch.counts
    var grams = scratch.grams
    scratch.grams = []  // moved out: appends must not copy
    let touched = scratch.touchedWords
    var touchedCount = 0
    defer { scratch.grams = grams }
    // Distinct padded trigrams (`$AB`, `ABC`, …, `YZ$`), as `NameKeys.trigrams`.
    grams.removeAll(keepingCapacity: true)
    @inline(__always) func at(_ k: Int) -> UInt32 { k == 0 || k == text.count + 1 ? 36 : UInt32(text[k - 1]) }
    for k in 0..<text.count {
      let g = at(k) << 16 | at(k + 1) << 8 | at(k + 2)
      if !grams.contains(g) { grams.append(g) }
    }
    // Prefix filter: a word qualifies (below) only with `need` shared trigrams — 2 beyond 3
    // trigrams, and Dice 2c/d ≥ 0.3 with d ≥ grams.count + 2 (every word sharing a trigram with
    // the query word has a letter) asks for 20c ≥ 3(grams.count + 2), so 3 from 12 trigrams on.
    // A word found only in the `need − 1` longest posting lists cannot qualify: those lists only
    // add to words the others found (the counts of qualifying words stay exact).
    let need = grams.count > 3 ? max(2, (3 * (grams.count + 2) + 19) / 20) : 1
    var skipped: UInt64 = 0  // posting lists (among the first 64) walked second
    if need > 1 {
      for _ in 1..<need {
        var longest = -1
        var longestCount = 0
        for k in 0..<min(grams.count, 64) where skipped & (1 &<< UInt64(k)) == 0 {
          let c = ix.trigrams.lookup(UInt64(grams[k])).count
          if c > longestCount {
            longestCount = c
            longest = k
          }
        }
        guard longest >= 0 else { break }
        skipped |= 1 &<< UInt64(longest)
      }
    }
    for k in grams.indices where k >= 64 || skipped & (1 &<< UInt64(k)) == 0 {
      for id in ix.trigrams.lookup(UInt64(grams[k])) {
        let x = counts[Int(id)]
        if x & 0xFFFF == 0 {
          touched[touchedCount] = id
          touchedCount += 1
        }
        counts[Int(id)] = Self.increment(x)
      }
    }
    var rest = skipped
    while rest != 0 {
      let k = rest.trailingZeroBitCount
      rest &= rest &- 1
      for id in ix.trigrams.lookup(UInt64(grams[k])) where counts[Int(id)] & 0xFFFF != 0 {
        counts[Int(id)] = Self.increment(counts[Int(id)])
      }
    }
    let qn = Double(grams.count)
    // The best `ScreenScratch.keptWords` by Dice coefficient (ties by id), kept sorted as they come.
    let scored = scratch.scored
    let kept = ScreenScratch.keptWords
    var scoredCount = 0
    @inline(__always) func before(_ a: (Double, Int32), _ b: (Double, Int32)) -> Bool {
      a.0 != b.0 ? a.0 > b.0 : a.1 < b.1
    }
    for k in 0..<touchedCount {
      let id = touched[k]
      let x = counts[Int(id)]
      let c = Int(x & 0xFFFF)
      counts[Int(id)] = x & 0xFFFF_0000
      guard c >= 2 || grams.count <= 3 else { continue }
      let length = x >> 16 == 0xFFFF ? Int(ix.textCount[Int(id)]) : Int(x >> 16)
      // Dice 2c/d ≥ 0.3 exactly when 20c ≥ 3d (integers; 2c/d rounds to 0.3 when they are equal).
      let d = grams.count + length + 1
      guard 20 * c >= 3 * d else { continue }
      let dice = 2 * Double(c) / (qn + Double(length + 1))
      let entry = (dice, id)
      var end = scoredCount
      if scoredCount == kept {
        guard before(entry, scored[kept - 1]) else { continue }
        end -= 1
      } else {
        scoredCount += 1
      }
      // Binary search for the entry's place among scored[0..<end], then shift the rest up by one.
      var lo = 0
      var hi = end
      while lo < hi {
        let mid = (lo + hi) / 2
        if before(scored[mid], entry) { lo = mid + 1 } else { hi = mid }
      }
      var k = end
      while k > lo {
        scored[k] = scored[k - 1]
        k -= 1
      }
      scored[lo] = entry
    }
    for k in 0..<scoredCount { out.append(scored[k].1) }
  }

  // MARK: - Ranking

  /// Scores the candidates (best bound first) and explains the best `limit` entries. Stops early
  /// once `limit` entries score more than the next candidate's bound: no later one can displace them.
  func rank(
    _ q: inout QueryState, _ names: [(name: Int32, bound: Float)], limit: Int, _ scratch: ScreenScratch
  ) -> [ScreeningMatch] {
    let ix = q.ix
    var bestPerEntry: [Int32: (Double, Int32)] = [:]
    var kth = -Double.infinity  // the limit-th best entry score so far (−∞ until there are `limit`)
    var sink: UInt64 = 0
    for (k, (n, bound)) in names.enumerated() {
      if Double(bound) < kth - 1e-4 { break }
      // The next candidate's words are loaded while this one is scored (`QueryState.touch`).
      if k + 1 < names.count { sink ^= q.touch(ix.nameWordIds(names[k + 1].name)) }
      let s = q.score(name: n, cutoff: threshold)
      let entry = ix.nameEntry[Int(n)]
      if s >= threshold, s > (bestPerEntry[entry]?.0 ?? -1) {
        bestPerEntry[entry] = (s, n)
        if bestPerEntry.count >= limit {
          kth = limit == 1 ? max(kth, s) : bestPerEntry.values.map(\.0).sorted(by: >)[limit - 1]
        }
      }
    }
    scratch.touchSink ^= UInt32(truncatingIfNeeded: sink)
    // Only the reported matches are explained (pairs and unmatched words cost strings).
    // Ranked as reported: by the rounded score, then by id.
    func rounded(_ x: Double) -> Double { (x * 10000).rounded() / 10000 }
    let list = index.list.storage
    let ids = list.ids
    let reported = bestPerEntry.sorted {
      let (a, b) = (rounded($0.value.0), rounded($1.value.0))
      return a != b ? a > b : ids[Int($0.key)] < ids[Int($1.key)]
    }.prefix(limit)
    var out: [ScreeningMatch] = []
    for (e, (_, n)) in reported {
      let s = q.explain(name: n, cutoff: threshold)
      let published = list.name(entry: Int(e), alias: Int(ix.nameAlias[Int(n)]))
      out.append(
        ScreeningMatch(
          id: ids[Int(e)], name: list.name(entry: Int(e), alias: 0).text,
          score: (s.score * 10000).rounded() / 10000,
          matchedName: published.text, matchedKind: published.kind,
          queryCoverage: (s.queryCoverage * 1000).rounded() / 1000,
          listCoverage: (s.listCoverage * 1000).rounded() / 1000, truncated: s.truncated, pairs: s.pairs,
          unmatchedQuery: s.unmatchedQuery, unmatchedList: s.unmatchedList))
    }
    out.sort { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }
    return Array(out.prefix(limit))
  }
}
