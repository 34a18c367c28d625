// A match and its explanation: which list name (primary or alias) and which words paired up.

/// Two words paired by the scorer.
public struct TokenPair: Sendable, Hashable, Codable {
  /// The query word(s), normalized (two words joined by a space for a `split`).
  public var query: String
  /// The list word(s), normalized.
  public var list: String
  /// Word similarity in [0, 1].
  public var similarity: Double
  /// The rule that gave the similarity.
  public var reason: MatchReason
}

/// One list entry that matched a query, with the evidence.
public struct ScreeningMatch: Sendable, Hashable, Codable {
  /// The entry's `ent_num`.
  public var id: Int
  /// The entry's primary name.
  public var name: String
  /// Overall score in [0, 1]; reported matches have `score >= threshold`.
  public var score: Double
  /// The list name that matched best: the primary name or an alias, as published.
  public var matchedName: String
  /// Whether `matchedName` is the primary name or which kind of alias.
  public var matchedKind: NameKind
  /// Weighted share of the query's words found in the matched name.
  public var queryCoverage: Double
  /// Weighted share of the matched name's words found in the query.
  public var listCoverage: Double
  /// Whether the query was read as the start of the matched name, cut off.
  public var truncated: Bool
  /// Paired words, in query order.
  public var pairs: [TokenPair]
  /// Query words that found no partner.
  public var unmatchedQuery: [String]
  /// Words of the matched name that found no partner.
  public var unmatchedList: [String]
}
