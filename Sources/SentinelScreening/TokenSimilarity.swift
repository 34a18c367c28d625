// Similarity of two words, and why. Each rule answers one kind of variation; the highest applies.
//
//   exact     identical                                                        1.00
//   article   equal once a joined Arabic article is removed (ALDURI ~ DURI)    0.96
//   ocr       equal OCR keys (AHRNAD ~ AHMAD, ZAM8ADA ~ ZAMBADA)               0.95
//   initial   a single letter that starts the other word (M ~ MUSONI)          0.90
//   prefix    one word starts the other, ≥ 3 letters (FRANC ~ FRANCISCO)       0.88 … 0.97
//   phonetic  equal phonetic keys (MOHAMMED ~ MUHAMMAD, MDSTA ~ MODESTA)       0.86 … 0.93
//   fuzzy     Jaro-Winkler of the words, or of their phonetic keys × 0.93      its value

/// Why two words were found similar.
public enum MatchReason: String, Sendable, Hashable, Codable {
  /// Identical words.
  case exact
  /// Equal once a joined Arabic article is removed.
  case article
  /// Equal OCR keys.
  case ocr
  /// A single letter that starts the other word.
  case initial
  /// One word is a prefix of the other (truncation).
  case prefix
  /// Equal phonetic keys (transliteration, vowels dropped, phonetic spelling).
  case phonetic
  /// Jaro-Winkler similarity (typos, transpositions, doubled letters).
  case fuzzy
  /// Two adjacent words of one side match one word of the other (`TRA DING` ~ `TRADING`).
  case split
}

/// Word-level similarity.
public enum TokenSimilarity {
  /// The similarity of `q` (query word) to `c` (list word) in [0, 1], and the rule that gave it.
  public static func compare(_ q: TokenFeatures, _ c: TokenFeatures) -> (Double, MatchReason) {
    q.withSpan { q in c.withSpan { c in compare(q, c) } }
  }

  /// `compare` over byte spans (the implementation). With a `floor` ≥ 0, a result at or below
  /// the floor may come out lower than `compare` gives (a Jaro-Winkler term is skipped when a
  /// cheap upper bound shows it cannot lift the result above both the rules before it and the
  /// floor); above the floor the result and its rule are exactly `compare`'s. Callers that ignore
  /// similarities at or below the floor (the scorer: 0.5) get the same outcome, faster.
  ///
  /// `tables`, when given, holds q's Jaro position tables (`QueryState.tables`: text, core and
  /// phonetic key, `JaroWinkler.positionTableCount` masks each), built once per query word.
  static func compare(
    _ q: WordSpan, _ c: WordSpan, floor: Double = -1, tables: UnsafePointer<UInt64>? = nil
  ) -> (Double, MatchReason) {
    if q.text.same(c.text) { return (1, .exact) }
    // Without an article on either side the cores are the texts, just found different.
    let articles = q.hasCore || c.hasCore
    if articles && q.core.same(c.core) { return (0.96, .article) }
    let qn = q.text.count
    let cn = c.text.count
    if qn == 1 || cn == 1 {
      // An initial matches only a word it starts (and only another word, not a letter).
      if qn == 1, cn > 1, c.text.first == q.text.first { return (0.9, .initial) }
      if cn == 1, qn > 1, q.text.first == c.text.first { return (0.9, .initial) }
      return (0, .fuzzy)
    }
    if q.ocr.same(c.ocr) { return (0.95, .ocr) }
    var best = 0.0
    var reason = MatchReason.fuzzy
    if qn >= 3, qn < cn, c.text.hasPrefix(q.text) {
      best = 0.88 + 0.09 * Double(qn) / Double(cn)
      reason = .prefix
    } else if cn >= 3, cn < qn, q.text.hasPrefix(c.text) {
      best = 0.88 + 0.09 * Double(cn) / Double(qn)
      reason = .prefix
    }
    if q.phonetic.count >= 2, q.phonetic.same(c.phonetic) {
      let s = q.phonetic.count >= 4 ? 0.93 : (q.phonetic.count == 3 ? 0.9 : 0.86)
      if s > best {
        best = s
        reason = .phonetic
      }
    }
    if floor < 0 || JaroWinkler.mayExceed(q.text, q.textMask, c.text, c.textMask, max(best, floor)) {
      let jw = JaroWinkler.similarity(q.text, c.text, aPositions: tables)
      if jw > best {
        best = jw
        reason = .fuzzy
      }
    }
    // NOTE: the two Jaro-Winkler terms below are scaled (0.97, 0.93): they cannot beat a `best`
    // at or above the scale, so they are skipped then (same result; the phonetic term was
    // computed for most near-identical blocking neighbours); with a floor, also when the letters
    // they share bound them to at most max(best, floor) once scaled.
    if articles && best < 0.97,
      floor < 0
        || JaroWinkler.mayExceed(
          q.core, q.hasCore ? JaroWinkler.letters(q.core) : q.textMask, c.core,
          c.hasCore ? JaroWinkler.letters(c.core) : c.textMask, max(best, floor) / 0.97 - 1e-9)
    {
      let jc =
        JaroWinkler.similarity(q.core, c.core, aPositions: tables.map { $0 + JaroWinkler.positionTableCount })
        * 0.97
      if jc > best {
        best = jc
        reason = .fuzzy
      }
    }
    if best < 0.93, q.phonetic.count >= 3, c.phonetic.count >= 3,
      floor < 0
        || JaroWinkler.mayExceed(
          q.phonetic, q.phoneticMask, c.phonetic, c.phoneticMask, max(best, floor) / 0.93 - 1e-9)
    {
      let jp =
        JaroWinkler.similarity(
          q.phonetic, c.phonetic, aPositions: tables.map { $0 + 2 * JaroWinkler.positionTableCount }) * 0.93
      if jp > best {
        best = jp
        reason = .phonetic
      }
    }
    return (best, reason)
  }
}

/// A word's bytes and keys as spans: over the index's flat word storage, or a query's words.
struct WordSpan {
  var text: UnsafeBufferPointer<UInt8>
  var core: UnsafeBufferPointer<UInt8>
  var phonetic: UnsafeBufferPointer<UInt8>
  var ocr: UnsafeBufferPointer<UInt8>
  var role: TokenRole
  /// `JaroWinkler.letters(text)`.
  var textMask: UInt32
  /// `JaroWinkler.letters(phonetic)`.
  var phoneticMask: UInt32
  /// Whether `core` differs from `text` (a joined article).
  var hasCore: Bool

  init(
    text: UnsafeBufferPointer<UInt8>, core: UnsafeBufferPointer<UInt8>, phonetic: UnsafeBufferPointer<UInt8>,
    ocr: UnsafeBufferPointer<UInt8>, role: TokenRole, textMask: UInt32? = nil, phoneticMask: UInt32? = nil,
    hasCore: Bool? = nil
  ) {
    self.text = text
    self.core = core
    self.phonetic = phonetic
    self.ocr = ocr
    self.role = role
    self.textMask = textMask ?? JaroWinkler.letters(text)
    self.phoneticMask = phoneticMask ?? JaroWinkler.letters(phonetic)
    self.hasCore = hasCore ?? !core.same(text)
  }
}

extension UnsafeBufferPointer where Element == UInt8 {
  /// Equal bytes.
  @inline(__always) func same(_ o: UnsafeBufferPointer<UInt8>) -> Bool {
    if count != o.count { return false }
    if count == 0 || baseAddress == o.baseAddress { return true }
    for k in 0..<count where self[k] != o[k] { return false }
    return true
  }

  /// Starts with the bytes of `p`.
  @inline(__always) func hasPrefix(_ p: UnsafeBufferPointer<UInt8>) -> Bool {
    if p.count > count { return false }
    for k in 0..<p.count where self[k] != p[k] { return false }
    return true
  }
}

extension TokenFeatures {
  /// The features as spans, for the duration of `body`.
  func withSpan<R>(_ body: (WordSpan) -> R) -> R {
    text.withUnsafeBufferPointer { t in
      core.withUnsafeBufferPointer { c in
        phonetic.withUnsafeBufferPointer { p in
          ocr.withUnsafeBufferPointer { o in
            body(WordSpan(text: t, core: c, phonetic: p, ocr: o, role: role))
          }
        }
      }
    }
  }
}
