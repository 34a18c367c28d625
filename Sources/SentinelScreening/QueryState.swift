// One query's words as spans, its word-similarity cache, and the numeric name scorer used to rank
// candidates (`NameScorer.score` without the explanation, over flat storage and reused buffers;
// it must give the same number — `FastScorerTests` checks it against `NameScorer.score`).

/// A query being screened.
struct QueryState {
  let ix: CompiledIndex
  /// The query's weighted words (for explanations).
  let tokens: [WeightedToken]
  /// Number of query words.
  let nq: Int
  /// Rows: the nq query words, then the nq − 1 adjacent pairs joined (`TRA` + `DING`).
  let spans: [WordSpan]
  let weights: [Double]
  /// Σ (word length + 1) − 1: the query's normalized length.
  let length: Int

  // Similarity cache: word v's similarities to every row live at `sims[slot * rows + row]` once
  // `cells[v] == generation << 32 | slot` (NaN until computed). Similarities at or below
  // `floor` may be stored lower (`TokenSimilarity.compare(_:_:floor:)`; above it they are exact).
  //
  // Why 0.71 and not the scorer's 0.5 (the pairing threshold of `NameScorer.score`): a similarity
  // s ≤ 0.72 is worth nothing (`NameScorer.effective(s) == 0`), and blocking reads only
  // `effective`. In the scorer, pairs are formed best first, one to one: the pairs above 0.71
  // (exact here) come before every weak one (at most 0.71 here, exact or lower) and are the same
  // whatever the weak similarities are; a weak pair only takes words no stronger pair took. The
  // weak pairs then change nothing the score reads: each test on a similarity (< 0.9, < 0.85,
  // ≥ 0.8, ≥ 0.72, `effective`; a step-3 challenger needs ≥ 0.85) answers the same for a weak
  // similarity, a lower one and none; a test on a partner (`lPartner[j] == qPartner[i]`) is read
  // only after its side's similarity was found ≥ 0.9; and releasing a weak pair (step 3) frees
  // only words whose similarity is then 0 either way. The one exception is truncation, which asks
  // whether every query word has a partner at its own position: `score` recomputes the weak
  // similarities exactly (`exactWeak`) when that answer could decide the result
  // (`mayNeedWeakPairs`). Explanations (`similarityAndReason`) recompute them too, so the
  // reported pairs are those of the 0.5 floor. `FastScorerTests` checks the score against
  // `NameScorer.score` with exact similarities.
  private let rows: Int
  /// Each row's Jaro position tables (text, core, phonetic key: `TokenSimilarity.compare`'s
  /// `tables`), `tableStride` masks per row, in the scratch.
  private let tables: UnsafeMutablePointer<UInt64>
  static let tableStride = 3 * JaroWinkler.positionTableCount
  private let cells: UnsafeMutablePointer<UInt64>
  private let generation: UInt64
  static let floor = 0.71
  /// The floor of the reference scorer: similarities above it take part in pairing.
  static let pairingFloor = 0.5
  private let join: UnsafeMutablePointer<UInt8>
  /// The joined-pair cache (`pairSlot`): per slot, the pair's key, the generation that filled
  /// it, and `pairRows` similarities.
  private let pairKeys: UnsafeMutablePointer<UInt64>
  private let pairStamps: UnsafeMutablePointer<UInt32>
  private let pairSims: UnsafeMutablePointer<Double>
  private var pairCount = 0
  private var slots = 0
  private var sims: UnsafeMutablePointer<Double>
  private var reasons: UnsafeMutablePointer<MatchReason>
  private var capacity: Int

  // Scorer buffers.
  private var qSim: [Double] = []
  private var lSim: [Double] = []
  private var qPartner: [Int] = []
  private var lPartner: [Int] = []
  private var units: [Unit] = []
  private var pairs: [(Double, Int, Int)] = []
  /// Recompute similarities at or below `floor` exactly (above `pairingFloor`) when pairing.
  private var exactWeak = false

  /// A pairing of one or two query words with one or two list words (−1: absent).
  struct Unit {
    var q0: Int
    var q1: Int
    var l0: Int
    var l1: Int
  }

  init(_ tokens: [WeightedToken], _ ix: CompiledIndex, _ scratch: ScreenScratch) {
    self.ix = ix
    self.tokens = tokens
    nq = tokens.count
    // Rows in the scratch's arena: each word's bytes and keys, then each adjacent pair joined
    // (`TokenFeatures.joined(with:)`: the two texts, no article, their keys computed in place).
    rows = nq + max(0, nq - 1)
    var size = 0
    for t in tokens {
      let f = t.features
      size += f.text.count + f.core.count + f.phonetic.count + f.ocr.count
    }
    for i in 0..<max(0, nq - 1) {
      let n = tokens[i].features.text.count + tokens[i + 1].features.text.count
      size += 2 * n + 2 * NameKeys.phoneticCapacity(n)
    }
    scratch.reserveArena(size)
    let arena = scratch.arena
    var at = 0
    func put(_ b: [UInt8]) -> UnsafeBufferPointer<UInt8> {
      let start = at
      b.withUnsafeBufferPointer { src in
        if let base = src.baseAddress { (arena + start).update(from: base, count: src.count) }
      }
      at += b.count
      return UnsafeBufferPointer(start: arena + start, count: b.count)
    }
    var spans: [WordSpan] = []
    spans.reserveCapacity(rows)
    for t in tokens {
      let f = t.features
      spans.append(
        WordSpan(
          text: put(f.text), core: put(f.core), phonetic: put(f.phonetic), ocr: put(f.ocr), role: f.role))
    }
    for i in 0..<max(0, nq - 1) {
      let a = spans[i].text
      let b = spans[i + 1].text
      let n = a.count + b.count
      let text = UnsafeMutableBufferPointer(start: arena + at, count: n)
      for k in 0..<a.count { text[k] = a[k] }
      for k in 0..<b.count { text[a.count + k] = b[k] }
      at += n
      let p = NameKeys.phoneticCapacity(n)
      let phonetic = UnsafeMutableBufferPointer(start: arena + at, count: p)
      let tmp = UnsafeMutableBufferPointer(start: arena + at + p, count: p)
      at += 2 * p
      let ocr = UnsafeMutableBufferPointer(start: arena + at, count: n)
      at += n
      let t = UnsafeBufferPointer(text)
      let pn = NameKeys.phonetic(t, into: phonetic, tmp: tmp)
      let on = NameKeys.ocr(t, into: ocr)
      spans.append(
        WordSpan(
          text: t, core: t, phonetic: UnsafeBufferPointer(rebasing: phonetic[0..<pn]),
          ocr: UnsafeBufferPointer(rebasing: ocr[0..<on]), role: .name))
    }
    self.spans = spans
    scratch.reserveJaroTables(rows * Self.tableStride)
    tables = scratch.jaroTables
    for (r, f) in spans.enumerated() {
      let t = tables + r * Self.tableStride
      JaroWinkler.positions(of: f.text, into: t)
      JaroWinkler.positions(of: f.core, into: t + JaroWinkler.positionTableCount)
      JaroWinkler.positions(of: f.phonetic, into: t + 2 * JaroWinkler.positionTableCount)
    }
    weights = tokens.map(\.weight)
    length = tokens.reduce(-1) { $0 + $1.features.text.count + 1 }
    cells = scratch.cells
    generation = UInt64(scratch.nextGeneration())
    join = scratch.join
    pairKeys = scratch.pairKeys
    pairStamps = scratch.pairStamps
    pairSims = scratch.pairSims
    sims = scratch.sims
    reasons = scratch.reasons
    capacity = scratch.simCapacity
  }

  /// Gives the buffers back to the scratch.
  mutating func release(to scratch: ScreenScratch) {
    scratch.sims = sims
    scratch.reasons = reasons
    scratch.simCapacity = capacity
  }

  /// Row `row`'s Jaro position tables.
  @inline(__always) private func table(_ row: Int) -> UnsafePointer<UInt64> {
    UnsafePointer(tables + row * Self.tableStride)
  }

  @inline(__always) private mutating func cell(_ row: Int, _ v: Int32) -> Int {
    let tag = cells[Int(v)]
    if tag >> 32 == generation { return Int(tag & 0xFFFF_FFFF) * rows + row }
    let slot = slots
    cells[Int(v)] = generation << 32 | UInt64(slot)
    slots += 1
    let used = slot * rows
    if used + rows > capacity {
      let grown = max(2 * capacity, used + rows)
      let s = UnsafeMutablePointer<Double>.allocate(capacity: grown)
      s.moveInitialize(from: sims, count: used)
      sims.deallocate()
      sims = s
      let r = UnsafeMutablePointer<MatchReason>.allocate(capacity: grown)
      r.moveInitialize(from: reasons, count: used)
      reasons.deallocate()
      reasons = r
      capacity = grown
    }
    (sims + used).initialize(repeating: .nan, count: rows)
    (reasons + used).initialize(repeating: .fuzzy, count: rows)
    return used + row
  }

  /// Loads what `similarity` reads first for each of `words` (its cache cell, its entry and first
  /// byte), all before any is compared: they are mostly cache misses (words found by blocking lie
  /// anywhere in the vocabulary), and loads that do not wait for each other overlap. Returns a
  /// value made of them, for the caller to keep (so that the loads are not optimized away).
  func touch(_ words: [Int32]) -> UInt64 {
    words.withUnsafeBufferPointer { touch($0) }
  }

  /// `touch` over a span (a name's words).
  func touch(_ words: UnsafeBufferPointer<Int32>) -> UInt64 {
    var sink: UInt64 = 0
    for v in words {
      let e = ix.words[Int(v)]
      sink ^= cells[Int(v)] ^ UInt64(ix.bytes[Int(e.text)])
    }
    return sink
  }

  /// `TokenSimilarity.compare(row, word v)`, computed once per query.
  @inline(__always) mutating func similarity(_ row: Int, _ v: Int32) -> Double {
    let k = cell(row, v)
    let s = sims[k]
    if !s.isNaN { return s }
    let (x, r) = TokenSimilarity.compare(spans[row], ix.wordSpan(v), floor: Self.floor, tables: table(row))
    sims[k] = x
    reasons[k] = r
    return x
  }

  /// The similarity and its rule, exact above `pairingFloor` (as the explanation reports it).
  mutating func similarityAndReason(_ row: Int, _ v: Int32) -> (Double, MatchReason) {
    let s = similarity(row, v)
    if s <= Self.floor {
      return TokenSimilarity.compare(spans[row], ix.wordSpan(v), floor: Self.pairingFloor, tables: table(row))
    }
    return (s, reasons[cell(row, v)])
  }

  /// `similarity`, exact above `pairingFloor` while `exactWeak` is set.
  @inline(__always) private mutating func pairingSimilarity(_ row: Int, _ v: Int32) -> Double {
    let s = similarity(row, v)
    if exactWeak, s <= Self.floor {
      return TokenSimilarity.compare(spans[row], ix.wordSpan(v), floor: Self.pairingFloor, tables: table(row))
        .0
    }
    return s
  }

  // MARK: - Scoring

  /// `NameScorer.score(query:list:cutoff:explain: false).score` of the query against name n.
  mutating func score(name n: Int32, cutoff: Double) -> Double {
    let list = ix.nameWordIds(n)
    let nl = list.count
    resetPairing(listCount: nl)

    pairs.removeAll(keepingCapacity: true)
    for i in 0..<nq {
      for j in 0..<nl {
        let s = pairingSimilarity(i, list[j])
        if s > Self.pairingFloor { pairs.append((s, i, j)) }
      }
    }
    pairs.sort { $0.0 != $1.0 ? $0.0 > $1.0 : ($0.1 != $1.1 ? $0.1 < $1.1 : $0.2 < $1.2) }
    for (s, i, j) in pairs where qPartner[i] < 0 && lPartner[j] < 0 {
      qPartner[i] = units.count
      lPartner[j] = units.count
      qSim[i] = s
      lSim[j] = s
      units.append(Unit(q0: i, q1: -1, l0: j, l1: -1))
    }

    joinWords(list, name: n, cutoff: cutoff)

    // Truncation (see NameScorer).
    if !exactWeak, nq < nl, length >= NameScorer.minimumTruncatedLength, mayNeedWeakPairs(list) {
      // Whether every query word has a partner may hang on a weak pair (see `floor`).
      exactWeak = true
      defer { exactWeak = false }
      return score(name: n, cutoff: cutoff)
    }
    let listEnd = truncation(list).listEnd

    let (qc, lc, factor) = coverages(list, listEnd: listEnd)
    return factor * (NameScorer.queryShare * qc + (1 - NameScorer.queryShare) * lc)
  }

  /// Truncation (see NameScorer), steps shared by `score` and `explain`: when every query word
  /// is paired one to one and in order with the name's first words, a last query word that is a
  /// prefix of its partner counts 0.9, and the name's coverage ends after the query's words if
  /// every query word then reaches 0.85. Returns where coverage ends and whether the last word
  /// was raised.
  @inline(__always) private mutating func truncation(_ list: UnsafeBufferPointer<Int32>) -> (
    listEnd: Int, prefixed: Bool
  ) {
    let nl = list.count
    guard nq < nl, length >= NameScorer.minimumTruncatedLength,
      (0..<nq).allSatisfy({ i in
        let p = qPartner[i]
        guard p >= 0 else { return false }
        let u = units[p]
        return u.l0 == i && u.l1 < 0 && u.q0 == i && u.q1 < 0
      })
    else { return (nl, false) }
    let last = nq - 1
    var prefixed = false
    if ix.wordSpan(list[last]).text.hasPrefix(spans[last].text), qSim[last] < 0.9 {
      qSim[last] = 0.9
      lSim[last] = 0.9
      prefixed = true
    }
    return ((0..<nq).allSatisfy({ qSim[$0] >= 0.85 }) ? nq : nl, prefixed)
  }

  /// Empties the pairing state for a name of `listCount` words.
  @inline(__always) private mutating func resetPairing(listCount nl: Int) {
    qSim.removeAll(keepingCapacity: true)
    qSim.append(contentsOf: repeatElement(0, count: nq))
    lSim.removeAll(keepingCapacity: true)
    lSim.append(contentsOf: repeatElement(0, count: nl))
    qPartner.removeAll(keepingCapacity: true)
    qPartner.append(contentsOf: repeatElement(-1, count: nq))
    lPartner.removeAll(keepingCapacity: true)
    lPartner.append(contentsOf: repeatElement(-1, count: nl))
    units.removeAll(keepingCapacity: true)
  }

  /// Step 3 of the score: split or joined words, only where single words paired weakly. Adds a
  /// unit for each join that wins, releasing the units it replaces.
  @inline(__always) private mutating func joinWords(
    _ list: UnsafeBufferPointer<Int32>, name n: Int32, cutoff: Double
  ) {
    let nl = list.count
    if (nq >= 2 || nl >= 2) && optimistic(list) >= cutoff {
      for i in 0..<max(0, nq - 1) where min(qSim[i], qSim[i + 1]) < 0.9 {
        for j in 0..<nl where lSim[j] < 0.9 || lPartner[j] == qPartner[i] || lPartner[j] == qPartner[i + 1] {
          // No similarity exceeds 1: beside an identical pair, the joined words cannot win.
          if max(qSim[i], qSim[i + 1], lSim[j]) >= 1 { continue }
          let s = similarity(nq + i, list[j])
          if s >= 0.85, s > qSim[i], s > qSim[i + 1], s > lSim[j] {
            release(qPartner[i])
            release(qPartner[i + 1])
            release(lPartner[j])
            qPartner[i] = units.count
            qPartner[i + 1] = units.count
            lPartner[j] = units.count
            qSim[i] = s
            qSim[i + 1] = s
            lSim[j] = s
            units.append(Unit(q0: i, q1: i + 1, l0: j, l1: -1))
            break
          }
        }
      }
      for j in 0..<max(0, nl - 1) where min(lSim[j], lSim[j + 1]) < 0.9 {
        var joined: WordSpan?
        var pair = -2  // the pair's slot in the joined-pair cache: −2 not looked up yet, −1 none
        for i in 0..<nq where qSim[i] < 0.9 || qPartner[i] == lPartner[j] || qPartner[i] == lPartner[j + 1] {
          if max(lSim[j], lSim[j + 1], qSim[i]) >= 1 { continue }  // as above
          if pair == -2 { pair = pairSlot(list[j], list[j + 1]) }
          let cached = pair >= 0 ? pairSims[pair * Self.pairRows + i] : .nan
          let s: Double
          if cached.isNaN {
            let f = joined ?? self.joined(list[j], list[j + 1], at: Int(ix.nameStart[Int(n)]) + j)
            joined = f
            s = TokenSimilarity.compare(spans[i], f, floor: 0.85, tables: table(i)).0
            if pair >= 0 { pairSims[pair * Self.pairRows + i] = s }
          } else {
            s = cached
          }
          if s >= 0.85, s > lSim[j], s > lSim[j + 1], s > qSim[i] {
            release(lPartner[j])
            release(lPartner[j + 1])
            release(qPartner[i])
            qPartner[i] = units.count
            lPartner[j] = units.count
            lPartner[j + 1] = units.count
            qSim[i] = s
            lSim[j] = s
            lSim[j + 1] = s
            units.append(Unit(q0: i, q1: -1, l0: j, l1: j + 1))
            break
          }
        }
      }
    }

  }

  /// Steps 4–7 of the score: the query's and the list's coverage and the lone-pairing factor.
  @inline(__always) private func coverages(_ list: UnsafeBufferPointer<Int32>, listEnd: Int) -> (
    qc: Double, lc: Double, factor: Double
  ) {
    var qNum = 0.0
    var qDen = 0.0
    for i in 0..<nq {
      var w = weights[i]
      if qPartner[i] >= 0, qSim[i] >= 0.8 {
        let u = units[qPartner[i]]
        if u.l0 >= 0 {
          let v = list[u.l0]
          let rarity = ix.weight[Int(v)] / ix.words[Int(v)].role.weight
          w = min(w, rarity * spans[i].role.weight)
        }
      }
      qNum += w * NameScorer.effective(qSim[i])
      qDen += w
    }
    var lNum = 0.0
    var lDen = 0.0
    for j in 0..<listEnd {
      let lw = ix.weight[Int(list[j])]
      lNum += lw * NameScorer.effective(lSim[j])
      lDen += lw
    }
    let qc = qDen > 0 ? qNum / qDen : 0
    let lc = lDen > 0 ? lNum / lDen : 0
    var informative = 0
    var strongest = 0.0
    for i in 0..<nq where spans[i].role == .name && qPartner[i] >= 0 && qSim[i] >= 0.72 {
      informative += 1
      strongest = max(strongest, qSim[i])
    }
    let factor = informative == 1 && strongest < NameScorer.lonePairMinimum ? NameScorer.lonePairFactor : 1
    return (qc, lc, factor)
  }

  // MARK: - Explanation

  /// `NameScorer.score(query: tokens, list: name n's words, cutoff: cutoff)` with its explanation
  /// (pairs, reasons, unmatched words), computed like `score` over the cache instead of on
  /// `TokenFeatures` arrays: single words pair by `similarityAndReason` (exact above the reference's
  /// pairing floor, as the reference computes them), step 3 reads the joined rows and the
  /// joined-pair cache as `score` does (only its tests at 0.85 and above read them, where they are
  /// exact). `FastScorerTests` checks the whole result against `NameScorer.score`.
  mutating func explain(name n: Int32, cutoff: Double) -> NameScore {
    let list = ix.nameWordIds(n)
    let nl = list.count
    resetPairing(listCount: nl)
    var unitSim: [Double] = []
    var unitReason: [MatchReason] = []

    var candidates: [(Double, Int, Int, MatchReason)] = []
    candidates.reserveCapacity(nq * nl)
    for i in 0..<nq {
      for j in 0..<nl {
        let (s, r) = similarityAndReason(i, list[j])
        if s > Self.pairingFloor { candidates.append((s, i, j, r)) }
      }
    }
    candidates.sort { $0.0 != $1.0 ? $0.0 > $1.0 : ($0.1 != $1.1 ? $0.1 < $1.1 : $0.2 < $1.2) }
    for (s, i, j, r) in candidates where qPartner[i] < 0 && lPartner[j] < 0 {
      qPartner[i] = units.count
      lPartner[j] = units.count
      qSim[i] = s
      lSim[j] = s
      units.append(Unit(q0: i, q1: -1, l0: j, l1: -1))
      unitSim.append(s)
      unitReason.append(r)
    }

    // Step 3, shared with `score`. Every unit it adds joins two words (reason `split`); a live
    // unit's similarity is its first query word's (a word's similarity only changes with a
    // new unit, after its old one is released).
    let singles = units.count
    joinWords(list, name: n, cutoff: cutoff)
    for u in units[singles...] {
      unitSim.append(qSim[u.q0])
      unitReason.append(.split)
    }

    // Truncation (see NameScorer), shared with `score`; a raised last word is a prefix match.
    let (listEnd, prefixed) = truncation(list)
    if prefixed {
      unitSim[qPartner[nq - 1]] = 0.9
      unitReason[qPartner[nq - 1]] = .prefix
    }

    // Steps 4–7, shared with `score`.
    let (qc, lc, factor) = coverages(list, listEnd: listEnd)

    // The explanation: live units in query order (each query word is in at most one, and a unit's
    // first query word is q0), then the words left unpaired.
    func listWord(_ j: Int) -> String { String(decoding: ix.wordSpan(list[j]).text, as: UTF8.self) }
    var pairs: [TokenPair] = []
    for i in 0..<nq where qPartner[i] >= 0 && units[qPartner[i]].q0 == i {
      let p = qPartner[i]
      let u = units[p]
      let query =
        u.q1 >= 0
        ? tokens[u.q0].features.string + " " + tokens[u.q1].features.string : tokens[u.q0].features.string
      let words = u.l1 >= 0 ? listWord(u.l0) + " " + listWord(u.l1) : (u.l0 >= 0 ? listWord(u.l0) : "")
      pairs.append(
        TokenPair(
          query: query, list: words, similarity: (unitSim[p] * 1000).rounded() / 1000, reason: unitReason[p]))
    }
    return NameScore(
      score: factor * (NameScorer.queryShare * qc + (1 - NameScorer.queryShare) * lc), queryCoverage: qc,
      listCoverage: lc, pairs: pairs, truncated: listEnd < nl,
      unmatchedQuery: (0..<nq).filter { qPartner[$0] < 0 }.map { tokens[$0].features.string },
      unmatchedList: (0..<nl).filter { lPartner[$0] < 0 }.map(listWord))
  }

  /// Whether the truncation rule could answer differently with the weak pairs (similarity at or
  /// below `floor`) the reference scorer forms than with those formed here: only when some query
  /// word is unpaired or weakly paired, every strongly paired one is paired alone with the list
  /// word at its own position, and the last word is strongly paired below 0.9 as a prefix of its
  /// list word (it would be raised to 0.9). The last word is never raised through a weak pair: a
  /// prefix of its list word is more than 0.72 like it (an initial 0.9, two letters ≥ 0.73 by
  /// Jaro-Winkler, three or more by `prefix`), so that pair is strong, formed alike by both
  /// scorers, or its words were taken by stronger pairs. Otherwise listCoverage is cut only when
  /// every query word pairs at 0.85 or more, which no weak pair does.
  private func mayNeedWeakPairs(_ list: UnsafeBufferPointer<Int32>) -> Bool {
    var unpaired = false
    for i in 0..<nq {
      let p = qPartner[i]
      if p < 0 || qSim[i] <= Self.floor {
        unpaired = true
        continue
      }
      let u = units[p]
      guard u.l0 == i, u.l1 < 0, u.q0 == i, u.q1 < 0 else { return false }
    }
    let last = nq - 1
    return unpaired && qPartner[last] >= 0 && qSim[last] > Self.floor && qSim[last] < 0.9
      && ix.wordSpan(list[last]).text.hasPrefix(spans[last].text)
  }

  // MARK: - Joined list pairs

  /// How many query words the joined-pair cache holds similarities for (longer queries skip it).
  static let pairRows = 16
  /// Slots of the joined-pair cache (a power of two; filled to three quarters at most).
  static let pairCapacity = 1024

  /// The slot of list words a + b joined in the joined-pair cache (made for this query if new:
  /// its similarities NaN), or −1 when the query is too long or the cache full. The step-3
  /// similarity of a query word to two joined list words depends only on the three words, and
  /// the same pair recurs across a query's candidates (its joined word and keys cost ~5% of a
  /// query when rebuilt for each candidate).
  private mutating func pairSlot(_ a: Int32, _ b: Int32) -> Int {
    guard nq <= Self.pairRows else { return -1 }
    let key = UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
    let stamp = UInt32(truncatingIfNeeded: generation)
    let mask = Self.pairCapacity - 1
    var s = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask
    while true {
      if pairStamps[s] != stamp {
        guard pairCount < Self.pairCapacity / 4 * 3 else { return -1 }
        pairStamps[s] = stamp
        pairKeys[s] = key
        pairCount += 1
        (pairSims + s * Self.pairRows).update(repeating: .nan, count: nq)
        return s
      }
      if pairKeys[s] == key { return s }
      s = (s + 1) & mask
    }
  }

  /// Room `joined` needs for two words of at most `longest` bytes.
  static func joinCapacity(_ longest: Int) -> Int { 12 * longest + 16 }

  /// List words a and b written as one (`TokenFeatures.joined(with:)`), in the scratch's join
  /// buffer (valid until the next call); `position` is a's position in `ix.nameWords` (its keys are
  /// precomputed there, `CompiledIndex.joinedKeys`).
  private func joined(_ a: Int32, _ b: Int32, at position: Int) -> WordSpan {
    let ta = ix.wordSpan(a).text
    let tb = ix.wordSpan(b).text
    let n = ta.count + tb.count
    let text = UnsafeMutableBufferPointer(start: join, count: n)
    for k in 0..<ta.count { text[k] = ta[k] }
    for k in 0..<tb.count { text[ta.count + k] = tb[k] }
    let t = UnsafeBufferPointer(text)
    let keys = ix.joinedKeys[position]
    if keys.start >= 0 {
      let phonetic = ix.joinedBytes + Int(keys.start)
      return WordSpan(
        text: t, core: t, phonetic: UnsafeBufferPointer(start: phonetic, count: Int(keys.phoneticCount)),
        ocr: UnsafeBufferPointer(start: phonetic + Int(keys.phoneticCount), count: Int(keys.ocrCount)),
        role: .name, hasCore: false)
    }
    let p = NameKeys.phoneticCapacity(n)
    let phonetic = UnsafeMutableBufferPointer(start: join + n, count: p)
    let tmp = UnsafeMutableBufferPointer(start: join + n + p, count: p)
    let ocr = UnsafeMutableBufferPointer(start: join + n + 2 * p, count: n)
    let pn = NameKeys.phonetic(t, into: phonetic, tmp: tmp)
    let on = NameKeys.ocr(t, into: ocr)
    return WordSpan(
      text: t, core: t, phonetic: UnsafeBufferPointer(rebasing: phonetic[0..<pn]),
      ocr: UnsafeBufferPointer(rebasing: ocr[0..<on]), role: .name)
  }

  /// `NameScorer.optimistic` on the current pairing.
  private func optimistic(_ list: UnsafeBufferPointer<Int32>) -> Double {
    var qn = 0.0
    var qd = 0.0
    for i in 0..<nq {
      let s = qSim[i]
      qn += weights[i] * (s < 0.9 ? 1 : NameScorer.effective(s))
      qd += weights[i]
    }
    var ln = 0.0
    var ld = 0.0
    for j in 0..<list.count {
      let s = lSim[j]
      let w = ix.weight[Int(list[j])]
      ln += w * (s < 0.9 ? 1 : NameScorer.effective(s))
      ld += w
    }
    return NameScorer.queryShare * (qd > 0 ? qn / qd : 0) + (1 - NameScorer.queryShare)
      * (ld > 0 ? ln / ld : 0)
  }

  private mutating func release(_ u: Int) {
    guard u >= 0 else { return }
    let x = units[u]
    if x.q0 >= 0 {
      qPartner[x.q0] = -1
      qSim[x.q0] = 0
    }
    if x.q1 >= 0 {
      qPartner[x.q1] = -1
      qSim[x.q1] = 0
    }
    if x.l0 >= 0 {
      lPartner[x.l0] = -1
      lSim[x.l0] = 0
    }
    if x.l1 >= 0 {
      lPartner[x.l1] = -1
      lSim[x.l1] = 0
    }
    units[u] = Unit(q0: -1, q1: -1, l0: -1, l1: -1)
  }
}
