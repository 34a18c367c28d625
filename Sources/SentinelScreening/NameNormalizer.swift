// Text → NameTokens. Steps, in order:
//   1. words: split on white space; drop invisible characters;
//   2. script: a word mixing Latin with Cyrillic/Greek letters has its look-alikes mapped to Latin
//      (homoglyphs); an all-Cyrillic word is romanized;
//   3. NFKD (compatibility forms: full-width, ligatures, superscripts) and combining marks dropped
//      (diacritics), special Latin letters spelled out (ß → SS, Ø → O), upper case;
//   4. punctuation: apostrophes vanish (`SA'ID` → `SAID`); dots join abbreviations (`S.A.` → `SA`)
//      and otherwise separate; any other non-alphanumeric character separates;
//   5. Arabic articles join the next word (`AL-SALAH`, `AL SALAH`, `ALSALAH` → `ALSALAH`, core `SALAH`);
//   6. roles from NameLexicon (honorific, legal form, particle, initial, name).
// Token order is kept but ignored by scoring.

import Foundation

/// Normalizes names for matching.
public enum NameNormalizer {
  /// The tokens of `name`.
  public static func tokens(_ name: String) -> [NameToken] {
    var words: [String]
    if let ascii = asciiWords(name) {
      words = ascii
    } else {
      words = []
      for word in foldedWords(name) { words += splitPunctuation(word) }
    }
    var out: [NameToken] = []
    var i = 0
    while i < words.count {
      let w = words[i]
      if NameLexicon.articles.contains(w), i + 1 < words.count, words[i + 1].utf8.count > 1,
        ![.particle, .legalForm].contains(NameLexicon.role(of: words[i + 1]))
      {
        let next = words[i + 1]
        out.append(NameToken(text: w + next, core: next, role: .name))
        i += 2
        continue
      }
      out.append(NameToken(text: w, role: NameLexicon.role(of: w)))
      i += 1
    }
    return out
  }

  /// The normalized words of `name` joined by spaces (for display and tests).
  public static func normalize(_ name: String) -> String {
    tokens(name).map(\.text).joined(separator: " ")
  }

  /// Steps 1–4 for ASCII text, on bytes: the same words as `foldedWords` then `splitPunctuation`
  /// (nil when the text is not ASCII). Normalizing is otherwise a large share of a query's cost.
  static func asciiWords(_ name: String) -> [String]? {
    var name = name
    return name.withUTF8 { bytes -> [String]? in
      for b in bytes where b >= 0x80 { return nil }
      var out: [String] = []
      var chunk: [UInt8] = []
      chunk.reserveCapacity(bytes.count)
      func flush() {
        guard !chunk.isEmpty else { return }
        // Step 4: dots join abbreviations (all pieces of at most 2 letters) and otherwise separate.
        var pieces = 0
        var short = true
        var length = 0
        for b in chunk {
          if b == UInt8(ascii: ".") {
            if length > 0 { pieces += 1 }
            if length > 2 { short = false }
            length = 0
          } else {
            length += 1
          }
        }
        if length > 0 { pieces += 1 }
        if length > 2 { short = false }
        if pieces <= 1 || short {
          let joined = chunk.filter { $0 != UInt8(ascii: ".") }
          if !joined.isEmpty { out.append(String(decoding: joined, as: UTF8.self)) }
        } else {
          for piece in chunk.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: true) {
            out.append(String(decoding: piece, as: UTF8.self))
          }
        }
        chunk.removeAll(keepingCapacity: true)
      }
      for b in bytes {
        if b == 32 || (b >= 9 && b <= 13) {
          flush()  // white space ends a word
        } else if b < 0x20 || b == 0x7F {
          continue  // a control character vanishes
        } else if b == 0x27 || b == 0x60 {
          continue  // an apostrophe (or backtick) vanishes
        } else if b >= 97 && b <= 122 {
          chunk.append(b - 32)
        } else if (b >= 65 && b <= 90) || (b >= 48 && b <= 57) || b == UInt8(ascii: ".") {
          chunk.append(b)
        } else {
          flush()  // any other character separates
        }
      }
      flush()
      return out
    }
  }

  /// Steps 1–3: white-space separated words, folded to upper-case ASCII (punctuation still in).
  static func foldedWords(_ name: String) -> [String] {
    // NOTE: most names are ASCII; NFKD through Foundation costs ~10× the rest of normalization, so
    // ASCII text takes a byte path with the same result (upper case, split on white space).
    if name.utf8.allSatisfy({ $0 < 0x80 }) {
      var words: [String] = []
      var current: [UInt8] = []
      for b in name.utf8 {
        if b == 32 || (b >= 9 && b <= 13) {
          if !current.isEmpty { words.append(String(decoding: current, as: UTF8.self)) }
          current.removeAll(keepingCapacity: true)
        } else if b >= 0x20 && b != 0x7F {
          current.append(b >= 97 && b <= 122 ? b - 32 : (b == 0x60 ? 0x27 : b))
        }
      }
      if !current.isEmpty { words.append(String(decoding: current, as: UTF8.self)) }
      return words
    }
    var words: [String] = []
    var current = String.UnicodeScalarView()
    func flush() {
      if !current.isEmpty { words.append(foldWord(current)) }
      current = String.UnicodeScalarView()
    }
    for u in name.unicodeScalars {
      if u.properties.isWhitespace || u.value == 0x2028 || u.value == 0x2029 {
        flush()
      } else if !CharacterFolding.isInvisible(u) {
        current.append(u)
      }
    }
    flush()
    return words.filter { !$0.isEmpty }
  }

  static func foldWord(_ word: String.UnicodeScalarView) -> String {
    let hasLatin = word.contains {
      ($0.value >= 0x41 && $0.value <= 0x5A) || ($0.value >= 0x61 && $0.value <= 0x7A)
    }
    let hasOther = word.contains(where: CharacterFolding.isCyrillicOrGreek)
    var mapped = String.UnicodeScalarView()
    if hasOther {
      // A word whose Cyrillic/Greek letters all look Latin is treated as disguised Latin too.
      let allLookalike = word.allSatisfy {
        !CharacterFolding.isCyrillicOrGreek($0) || CharacterFolding.homoglyphs[$0] != nil
      }
      for u in word {
        if hasLatin || allLookalike, let c = CharacterFolding.homoglyphs[u] {
          mapped.append(contentsOf: c.unicodeScalars)
        } else if let r = CharacterFolding.cyrillic[u] {
          mapped.append(contentsOf: r.unicodeScalars)
        } else {
          mapped.append(u)
        }
      }
    } else {
      mapped = word
    }
    return foldScalars(mapped) ?? foldDecomposing(mapped)
  }

  /// Step 3 of `foldWord` scalar by scalar, each non-ASCII scalar's folding computed once
  /// (`CharacterFolding.folded`): nil when a scalar's folding could depend on its neighbours.
  /// NOTE: NFKD of a word is the NFKD of each scalar followed by the canonical reordering of
  /// characters with a non-zero combining class, which never moves a starter; folding drops the
  /// combining marks and maps each remaining scalar on its own, so the word's folding is the
  /// concatenation of its scalars' unless one of them keeps a character with a non-zero combining
  /// class (then nil). Foundation's NFKD per word cost ~100,000 instructions.
  static func foldScalars(_ word: String.UnicodeScalarView) -> String? {
    var out = String.UnicodeScalarView()
    for u in word {
      if u.isASCII {
        let v = u.value
        if v == 0x27 || v == 0x60 {
          out.append("'")
        } else if v >= 0x61 && v <= 0x7A, let up = Unicode.Scalar(v - 32) {
          out.append(up)
        } else {
          out.append(u)
        }
        continue
      }
      guard let f = CharacterFolding.folded(u) else { return nil }
      out.append(contentsOf: f.unicodeScalars)
    }
    return String(out)
  }

  /// Step 3 of `foldWord` through Foundation's NFKD of the whole word.
  static func foldDecomposing(_ mapped: String.UnicodeScalarView) -> String {
    let decomposed = String(mapped).decomposedStringWithCompatibilityMapping
    var out = ""
    for u in decomposed.unicodeScalars {
      if u.properties.generalCategory == .nonspacingMark || u.properties.generalCategory == .enclosingMark {
        continue
      }
      if let s = CharacterFolding.specialLatin[u] {
        out += s.uppercased()
      } else if CharacterFolding.isApostrophe(u) {
        out.unicodeScalars.append("'")
      } else if u.value < 0x80 {
        out.unicodeScalars.append(u)
      } else if u.properties.isAlphabetic {
        // Another script: kept as is, upper-cased; it can still match itself exactly.
        out += String(u).uppercased()
      } else {
        out.unicodeScalars.append(" ")
      }
    }
    return out.uppercased()
  }

  /// Step 4 on one folded word.
  static func splitPunctuation(_ word: String) -> [String] {
    var chunks: [String] = []
    var chunk = ""
    for c in word.unicodeScalars {
      if c == "'" { continue }
      // NOTE: an ASCII scalar is alphabetic exactly when it is a letter; the Unicode property
      // lookup is kept for the rest (it is a large share of normalizing an ASCII name).
      let alphabetic =
        c.isASCII ? (c.value | 0x20) >= 0x61 && (c.value | 0x20) <= 0x7A : c.properties.isAlphabetic
      if c == "." || alphabetic || (c.value >= 0x30 && c.value <= 0x39) {
        chunk.unicodeScalars.append(c)
      } else {
        if !chunk.isEmpty { chunks.append(chunk) }
        chunk = ""
      }
    }
    if !chunk.isEmpty { chunks.append(chunk) }
    var out: [String] = []
    for ch in chunks {
      let pieces = ch.split(separator: ".", omittingEmptySubsequences: true).map(String.init)
      if pieces.count <= 1 || pieces.allSatisfy({ $0.utf8.count <= 2 }) {
        let joined = pieces.joined()
        if !joined.isEmpty { out.append(joined) }
      } else {
        out += pieces
      }
    }
    return out
  }
}
