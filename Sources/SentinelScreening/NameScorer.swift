// Name-level score: a weighted token-set similarity.
//
//   1. every query word is compared with every word of the list name (TokenSimilarity);
//   2. pairs are assigned greedily, best first, one-to-one (token order does not matter);
//   3. two adjacent words on one side may pair with one word on the other (split / joined words);
//   4. each word's similarity s counts as eff(s): s itself when s ≥ 0.85, falling steeply to 0 at
//      0.72 — a word that is merely "somewhat like" another is evidence of a different name;
//   5. queryCoverage = Σ w·eff / Σ w over query words, listCoverage likewise over the name's words,
//      with weights w from the word's role (NameLexicon) and its rarity in the list (IDF);
//   5a. truncation: a query of ≥ 16 characters whose words pair, in order, with the first words of
//      the name (the last one possibly cut: `Mi` ~ `MIKHAILOVICH`) has list coverage computed over
//      those words only;
//   6. score = 0.7 · queryCoverage + 0.3 · listCoverage: an extra, unexplained query word costs more
//      than a list word the query left out (token drops and truncations are common and benign; a
//      foreign word in the query usually means another person);
//   7. a match that rests on ONE informative (name-role) word pairing weaker than 0.95 — not
//      identical, article-equal or OCR-equal — is scaled by 0.95: one fuzzy or phonetic word
//      (`ROSARIO LTD.` ~ the alias `Rzr`, equal phonetic keys) is weak evidence on a list of 18,000 names.

/// A word of one side with its weight.
public struct WeightedToken: Sendable {
  /// The word.
  public var features: TokenFeatures
  /// Its weight (role × rarity).
  public var weight: Double

  /// Creates a weighted word.
  public init(_ features: TokenFeatures, weight: Double) {
    self.features = features
    self.weight = weight
  }
}

/// The score of one query against one list name, with the evidence.
public struct NameScore: Sendable {
  /// Overall score.
  public var score: Double
  /// See `ScreeningMatch.queryCoverage`.
  public var queryCoverage: Double
  /// See `ScreeningMatch.listCoverage`.
  public var listCoverage: Double
  /// Paired words.
  public var pairs: [TokenPair]
  /// Whether the query was read as a truncation of the name (see `minimumTruncatedLength`).
  public var truncated: Bool
  /// Unpaired query words.
  public var unmatchedQuery: [String]
  /// Unpaired list words.
  public var unmatchedList: [String]
}

/// Scores a query against a list name.
public enum NameScorer {
  /// Weight of query coverage in the score (the rest is list coverage).
  public static let queryShare = 0.7

  /// Step 7: a lone informative pairing below this similarity scales the score by `lonePairFactor`.
  public static let lonePairMinimum = 0.95
  /// See `lonePairMinimum`.
  public static let lonePairFactor = 0.95

  /// Queries at least this long (normalized characters) that read as the start of a list name
  /// are treated as truncated: the list words after the cut do not lower list coverage.
  public static let minimumTruncatedLength = 16

  /// A word's similarity as evidence (step 4).
  @inline(__always) public static func effective(_ s: Double) -> Double {
    if s >= 0.85 { return s }
    if s <= 0.72 { return 0 }
    return s * (s - 0.72) / 0.13
  }

  /// Scores `query` against `list`; `similarity(i, j)` compares query word i with list word j
  /// (a cache may stand behind it).
  public static func score(query: [WeightedToken], list: [WeightedToken]) -> NameScore {
    score(query: query, list: list, cutoff: 0) {
      TokenSimilarity.compare(query[$0].features, list[$1].features)
    }
  }

  /// Scores `query` against `list` with a given word-similarity function. Step 3 is skipped when
  /// even perfect split pairings could not lift the score to `cutoff` (the result is then below it).
  /// Without `explain`, the result's pairs and unmatched words are left empty (ranking needs only
  /// the numbers; the reported matches are scored again with their explanation).
  public static func score(
    query: [WeightedToken], list: [WeightedToken], cutoff: Double, explain: Bool = true,
    similarity: (Int, Int) -> (Double, MatchReason)
  ) -> NameScore {
    let nq = query.count
    let nl = list.count
    // Pair state: for each side, the similarity, reason and the unit it belongs to.
    var qSim = [Double](repeating: 0, count: nq)
    var lSim = [Double](repeating: 0, count: nl)
    var qPartner = [Int](repeating: -1, count: nq)
    var lPartner = [Int](repeating: -1, count: nl)
    var units: [(q: [Int], l: [Int], sim: Double, reason: MatchReason)] = []

    var candidates: [(Double, Int, Int, MatchReason)] = []
    candidates.reserveCapacity(nq * nl)
    for i in 0..<nq {
      for j in 0..<nl {
        let (s, r) = similarity(i, j)
        if s > 0.5 { candidates.append((s, i, j, r)) }
      }
    }
    candidates.sort { $0.0 != $1.0 ? $0.0 > $1.0 : ($0.1, $0.2) < ($1.1, $1.2) }
    for (s, i, j, r) in candidates where qPartner[i] < 0 && lPartner[j] < 0 {
      qPartner[i] = units.count
      lPartner[j] = units.count
      qSim[i] = s
      lSim[j] = s
      units.append(([i], [j], s, r))
    }

    // Step 3: split or joined words, only where single words paired weakly.
    if (nq >= 2 || nl >= 2) && optimistic(query, list, qSim, lSim) >= cutoff {
      for i in 0..<max(0, nq - 1) where min(qSim[i], qSim[i + 1]) < 0.9 {
        let joined = query[i].features.joined(with: query[i + 1].features)
        for j in 0..<nl where lSim[j] < 0.9 || lPartner[j] == qPartner[i] || lPartner[j] == qPartner[i + 1] {
          let (s, _) = TokenSimilarity.compare(joined, list[j].features)
          if s >= 0.85, s > qSim[i], s > qSim[i + 1], s > lSim[j] {
            release(qPartner[i], &units, &qPartner, &lPartner, &qSim, &lSim)
            release(qPartner[i + 1], &units, &qPartner, &lPartner, &qSim, &lSim)
            release(lPartner[j], &units, &qPartner, &lPartner, &qSim, &lSim)
            qPartner[i] = units.count
            qPartner[i + 1] = units.count
            lPartner[j] = units.count
            qSim[i] = s
            qSim[i + 1] = s
            lSim[j] = s
            units.append(([i, i + 1], [j], s, .split))
            break
          }
        }
      }
      for j in 0..<max(0, nl - 1) where min(lSim[j], lSim[j + 1]) < 0.9 {
        let joined = list[j].features.joined(with: list[j + 1].features)
        for i in 0..<nq where qSim[i] < 0.9 || qPartner[i] == lPartner[j] || qPartner[i] == lPartner[j + 1] {
          let (s, _) = TokenSimilarity.compare(query[i].features, joined)
          if s >= 0.85, s > lSim[j], s > lSim[j + 1], s > qSim[i] {
            release(lPartner[j], &units, &qPartner, &lPartner, &qSim, &lSim)
            release(lPartner[j + 1], &units, &qPartner, &lPartner, &qSim, &lSim)
            release(qPartner[i], &units, &qPartner, &lPartner, &qSim, &lSim)
            qPartner[i] = units.count
            lPartner[j] = units.count
            lPartner[j + 1] = units.count
            qSim[i] = s
            lSim[j] = s
            lSim[j + 1] = s
            units.append(([i], [j, j + 1], s, .split))
            break
          }
        }
      }
    }

    // Truncation: a query that reads as the start of the list name, cut off (fixed-width fields
    // in payment messages cut names at 35 characters or fewer), does not pay for the cut-off words.
    var listEnd = nl
    let queryLength = query.reduce(-1) { $0 + $1.features.text.count + 1 }
    if nq < nl, queryLength >= minimumTruncatedLength,
      (0..<nq).allSatisfy({
        qPartner[$0] >= 0 && units[qPartner[$0]].l == [$0] && units[qPartner[$0]].q == [$0]
      })
    {
      let last = nq - 1
      if list[last].features.text.starts(with: query[last].features.text), qSim[last] < 0.9 {
        qSim[last] = 0.9
        lSim[last] = 0.9
        units[qPartner[last]].sim = 0.9
        units[qPartner[last]].reason = .prefix
      }
      if (0..<nq).allSatisfy({ qSim[$0] >= 0.85 }) { listEnd = nq }
    }

    // Steps 4–6. A query word paired with a list word weighs what that list word weighs (its
    // rarity is known); an unpaired one weighs its own weight.
    var qNum = 0.0
    var qDen = 0.0
    for i in 0..<nq {
      var w = query[i].weight
      if qPartner[i] >= 0, qSim[i] >= 0.8, let j = units[qPartner[i]].l.first {
        // rarity of the list word it stands for × the query word's own role
        let rarity = list[j].weight / list[j].features.role.weight
        w = min(w, rarity * query[i].features.role.weight)
      }
      qNum += w * effective(qSim[i])
      qDen += w
    }
    var lNum = 0.0
    var lDen = 0.0
    for j in 0..<listEnd {
      lNum += list[j].weight * effective(lSim[j])
      lDen += list[j].weight
    }
    let qc = qDen > 0 ? qNum / qDen : 0
    let lc = lDen > 0 ? lNum / lDen : 0
    // Step 7.
    var informative = 0
    var strongest = 0.0
    for i in 0..<nq where query[i].features.role == .name && qPartner[i] >= 0 && qSim[i] >= 0.72 {
      informative += 1
      strongest = max(strongest, qSim[i])
    }
    let factor = informative == 1 && strongest < lonePairMinimum ? lonePairFactor : 1
    guard explain else {
      return NameScore(
        score: factor * (queryShare * qc + (1 - queryShare) * lc), queryCoverage: qc, listCoverage: lc,
        pairs: [],
        truncated: listEnd < nl, unmatchedQuery: [], unmatchedList: [])
    }
    var pairs: [TokenPair] = []
    for u in units.sorted(by: { ($0.q.first ?? 0) < ($1.q.first ?? 0) }) where !u.q.isEmpty {
      pairs.append(
        TokenPair(
          query: u.q.map { query[$0].features.string }.joined(separator: " "),
          list: u.l.map { list[$0].features.string }.joined(separator: " "),
          similarity: (u.sim * 1000).rounded() / 1000, reason: u.reason))
    }
    return NameScore(
      score: factor * (queryShare * qc + (1 - queryShare) * lc), queryCoverage: qc, listCoverage: lc,
      pairs: pairs,
      truncated: listEnd < nl,
      unmatchedQuery: (0..<nq).filter { qPartner[$0] < 0 }.map { query[$0].features.string },
      unmatchedList: (0..<nl).filter { lPartner[$0] < 0 }.map { list[$0].features.string })
  }

  /// The score if every weakly paired word (< 0.9) were paired perfectly: an upper bound of what
  /// step 3 can reach.
  static func optimistic(
    _ query: [WeightedToken], _ list: [WeightedToken], _ qSim: [Double], _ lSim: [Double]
  )
    -> Double
  {
    var qn = 0.0
    var qd = 0.0
    for (t, s) in zip(query, qSim) {
      qn += t.weight * (s < 0.9 ? 1 : effective(s))
      qd += t.weight
    }
    var ln = 0.0
    var ld = 0.0
    for (t, s) in zip(list, lSim) {
      ln += t.weight * (s < 0.9 ? 1 : effective(s))
      ld += t.weight
    }
    return queryShare * (qd > 0 ? qn / qd : 0) + (1 - queryShare) * (ld > 0 ? ln / ld : 0)
  }

  /// Undoes a unit's pairing (when a split/join pairing replaces it).
  private static func release(
    _ u: Int, _ units: inout [(q: [Int], l: [Int], sim: Double, reason: MatchReason)],
    _ qPartner: inout [Int], _ lPartner: inout [Int], _ qSim: inout [Double], _ lSim: inout [Double]
  ) {
    guard u >= 0 else { return }
    for i in units[u].q {
      qPartner[i] = -1
      qSim[i] = 0
    }
    for j in units[u].l {
      lPartner[j] = -1
      lSim[j] = 0
    }
    units[u].q = []
    units[u].l = []
  }
}
