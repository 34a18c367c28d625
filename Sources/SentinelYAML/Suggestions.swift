// "Did you mean …?" for misspelled keys, operators, actions and types.

/// Finds the known word closest to a misspelled one.
enum Suggestions {
  /// The closest word within a small edit distance (one edit per three characters, at most
  /// two; a swap of neighbours counts as one), or nil.
  static func closest(to word: String, among candidates: [String]) -> String? {
    let w = Array(word.lowercased().unicodeScalars)
    guard !w.isEmpty, w.count <= 64 else { return nil }
    let limit = min(2, max(1, w.count / 3))
    var best: (String, Int)?
    for c in candidates {
      let d = distance(w, Array(c.unicodeScalars))
      if d <= limit && d < (best?.1 ?? Int.max) { best = (c, d) }
    }
    return best?.0
  }

  /// Optimal string alignment distance (Levenshtein with adjacent transpositions).
  static func distance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { table[i][0] = i }
    for j in 0...b.count { table[0][j] = j }
    for i in 1...a.count {
      for j in 1...b.count {
        let cost = a[i - 1] == b[j - 1] ? 0 : 1
        var d = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
        if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
          d = min(d, table[i - 2][j - 2] + 1)
        }
        table[i][j] = d
      }
    }
    return table[a.count][b.count]
  }
}
