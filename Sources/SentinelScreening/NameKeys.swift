// Derived keys of a word, for blocking and for similarity rules:
//   phonetic — a sound key tolerant of transliteration and vowels (MUHAMMAD, MOHAMED, MHMD → MHMT);
//   ocr      — a key that merges characters OCR confuses (RN/M, 0/O, 1/I/L, 5/S, 8/B, VV/W, CL/D).
// Both work on upper-case ASCII bytes.

/// Key functions over upper-case ASCII words.
public enum NameKeys {
  /// The phonetic key: digraphs and interchangeable consonants merged, vowels after the first
  /// letter dropped (an initial vowel becomes `A`), repeats collapsed.
  public static func phonetic(_ w: [UInt8]) -> [UInt8] {
    // First: consonant spellings that vary across transliterations.
    var s: [UInt8] = []
    s.reserveCapacity(w.count + 2)
    var i = 0
    @inline(__always) func at(_ k: Int) -> UInt8 { k < w.count ? w[k] : 0 }
    while i < w.count {
      let c = w[i]
      let n = at(i + 1)
      switch c {
      case UInt8(ascii: "P") where n == UInt8(ascii: "H"):
        s.append(UInt8(ascii: "F"))
        i += 2
        continue
      case UInt8(ascii: "K") where n == UInt8(ascii: "H"), UInt8(ascii: "G") where n == UInt8(ascii: "H"):
        s.append(UInt8(ascii: "H"))
        i += 2
        continue
      case UInt8(ascii: "T") where n == UInt8(ascii: "H"), UInt8(ascii: "D") where n == UInt8(ascii: "H"):
        s.append(UInt8(ascii: "T"))
        i += 2
        continue
      case UInt8(ascii: "S") where n == UInt8(ascii: "H"), UInt8(ascii: "C") where n == UInt8(ascii: "H"):
        s.append(UInt8(ascii: "X"))
        i += 2
        continue
      case UInt8(ascii: "T") where n == UInt8(ascii: "C") && at(i + 2) == UInt8(ascii: "H"):
        s.append(UInt8(ascii: "X"))
        i += 3
        continue
      case UInt8(ascii: "C") where n == UInt8(ascii: "K"):
        s.append(UInt8(ascii: "K"))
        i += 2
        continue
      case UInt8(ascii: "C"):
        let soft = n == UInt8(ascii: "E") || n == UInt8(ascii: "I") || n == UInt8(ascii: "Y")
        s.append(soft ? UInt8(ascii: "S") : UInt8(ascii: "K"))
      case UInt8(ascii: "Q"): s.append(UInt8(ascii: "K"))
      case UInt8(ascii: "X"):
        s.append(UInt8(ascii: "K"))
        s.append(UInt8(ascii: "S"))
      case UInt8(ascii: "Z"): s.append(UInt8(ascii: "S"))
      case UInt8(ascii: "W"): s.append(UInt8(ascii: "V"))
      case UInt8(ascii: "D"): s.append(UInt8(ascii: "T"))
      case UInt8(ascii: "J"): s.append(UInt8(ascii: "Y"))
      default: s.append(c)
      }
      i += 1
    }
    // Then: vowels (Y counts as one) dropped after the first letter; repeats collapsed.
    var out: [UInt8] = []
    out.reserveCapacity(s.count)
    for (k, c) in s.enumerated() {
      let vowel = isVowel(c) || c == UInt8(ascii: "Y")
      if k == 0 {
        out.append(vowel ? UInt8(ascii: "A") : c)
        continue
      }
      if vowel { continue }
      if out.last != c { out.append(c) }
    }
    return out
  }

  /// The OCR key: characters that scanners confuse merged into one representative.
  public static func ocr(_ w: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(w.count)
    var i = 0
    while i < w.count {
      let c = w[i]
      let n = i + 1 < w.count ? w[i + 1] : 0
      if c == UInt8(ascii: "R") && n == UInt8(ascii: "N") {
        out.append(UInt8(ascii: "M"))
        i += 2
        continue
      }
      if c == UInt8(ascii: "V") && n == UInt8(ascii: "V") {
        out.append(UInt8(ascii: "W"))
        i += 2
        continue
      }
      if c == UInt8(ascii: "C") && n == UInt8(ascii: "L") {
        out.append(UInt8(ascii: "D"))
        i += 2
        continue
      }
      switch c {
      case UInt8(ascii: "0"), UInt8(ascii: "Q"): out.append(UInt8(ascii: "O"))
      case UInt8(ascii: "1"), UInt8(ascii: "L"), UInt8(ascii: "!"), UInt8(ascii: "|"):
        out.append(UInt8(ascii: "I"))
      case UInt8(ascii: "5"): out.append(UInt8(ascii: "S"))
      case UInt8(ascii: "8"): out.append(UInt8(ascii: "B"))
      case UInt8(ascii: "6"), UInt8(ascii: "9"): out.append(UInt8(ascii: "G"))
      case UInt8(ascii: "2"): out.append(UInt8(ascii: "Z"))
      case UInt8(ascii: "4"): out.append(UInt8(ascii: "A"))
      case UInt8(ascii: "3"): out.append(UInt8(ascii: "E"))
      case UInt8(ascii: "7"): out.append(UInt8(ascii: "I"))
      case UInt8(ascii: "U"): out.append(UInt8(ascii: "V"))
      default: out.append(c)
      }
      i += 1
    }
    return out
  }

  /// The word's letters in sorted order: equal for words that differ by transpositions.
  public static func anagram(_ w: [UInt8]) -> [UInt8] { w.sorted() }

  /// The word with one character deleted, at every position (a SymSpell-style neighbourhood: two
  /// words within one edit share an entry of their neighbourhoods, or one is in the other's).
  public static func deletions(_ w: [UInt8]) -> [[UInt8]] {
    guard w.count > 1 else { return [] }
    var out: [[UInt8]] = []
    out.reserveCapacity(w.count)
    for k in 0..<w.count {
      var d = w
      d.remove(at: k)
      if out.last != d { out.append(d) }
    }
    return out
  }

  /// A, E, I, O, U.
  @inline(__always) public static func isVowel(_ c: UInt8) -> Bool {
    c == 65 || c == 69 || c == 73 || c == 79 || c == 85
  }

  /// Padded character trigrams of `w` packed into integers (`$AB`, `ABC`, …, `YZ$`).
  public static func trigrams(_ w: [UInt8]) -> [UInt32] {
    var padded: [UInt8] = [36]
    padded += w
    padded.append(36)
    guard padded.count >= 3 else { return [] }
    var out: [UInt32] = []
    out.reserveCapacity(padded.count - 2)
    for k in 0..<(padded.count - 2) {
      out.append(UInt32(padded[k]) << 16 | UInt32(padded[k + 1]) << 8 | UInt32(padded[k + 2]))
    }
    return out
  }
}
