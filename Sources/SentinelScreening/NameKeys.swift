// Derived keys of a word, for blocking and for similarity rules:
//   phonetic — a sound key tolerant of transliteration and vowels (MUHAMMAD, MOHAMED, MHMD → MHMT);
//   ocr      — a key that merges characters OCR confuses (RN/M, 0/O, 1/I/L, 5/S, 8/B, VV/W, CL/D).
// Both work on upper-case ASCII bytes.

/// Key functions over upper-case ASCII words.
public enum NameKeys {
  /// The phonetic key: digraphs and interchangeable consonants merged, vowels after the first
  /// letter dropped (an initial vowel becomes `A`), repeats collapsed.
  public static func phonetic(_ w: [UInt8]) -> [UInt8] {
    w.withUnsafeBufferPointer { w in
      let capacity = phoneticCapacity(w.count)
      return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { tmp in
        [UInt8](unsafeUninitializedCapacity: capacity) { out, n in n = phonetic(w, into: out, tmp: tmp) }
      }
    }
  }

  /// Room `phonetic` needs (in `into` and `tmp`) for a word of `count` bytes.
  static func phoneticCapacity(_ count: Int) -> Int { 2 * count + 2 }

  /// `phonetic(w)` written to `out`; returns its length. `out` and `tmp` hold
  /// `phoneticCapacity(w.count)` bytes.
  static func phonetic(
    _ w: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>,
    tmp s: UnsafeMutableBufferPointer<UInt8>
  ) -> Int {
    // First: consonant spellings that vary across transliterations.
    var sn = 0
    @inline(__always) func emit(_ c: UInt8) {
      s[sn] = c
      sn += 1
    }
    var i = 0
    @inline(__always) func at(_ k: Int) -> UInt8 { k < w.count ? w[k] : 0 }
    while i < w.count {
      let c = w[i]
      let n = at(i + 1)
      switch c {
      case UInt8(ascii: "P") where n == UInt8(ascii: "H"):
        emit(UInt8(ascii: "F"))
        i += 2
        continue
      case UInt8(ascii: "K") where n == UInt8(ascii: "H"), UInt8(ascii: "G") where n == UInt8(ascii: "H"):
        emit(UInt8(ascii: "H"))
        i += 2
        continue
      case UInt8(ascii: "T") where n == UInt8(ascii: "H"), UInt8(ascii: "D") where n == UInt8(ascii: "H"):
        emit(UInt8(ascii: "T"))
        i += 2
        continue
      case UInt8(ascii: "S") where n == UInt8(ascii: "H"), UInt8(ascii: "C") where n == UInt8(ascii: "H"):
        emit(UInt8(ascii: "X"))
        i += 2
        continue
      case UInt8(ascii: "T") where n == UInt8(ascii: "C") && at(i + 2) == UInt8(ascii: "H"):
        emit(UInt8(ascii: "X"))
        i += 3
        continue
      case UInt8(ascii: "C") where n == UInt8(ascii: "K"):
        emit(UInt8(ascii: "K"))
        i += 2
        continue
      case UInt8(ascii: "C"):
        let soft = n == UInt8(ascii: "E") || n == UInt8(ascii: "I") || n == UInt8(ascii: "Y")
        emit(soft ? UInt8(ascii: "S") : UInt8(ascii: "K"))
      case UInt8(ascii: "Q"): emit(UInt8(ascii: "K"))
      case UInt8(ascii: "X"):
        emit(UInt8(ascii: "K"))
        emit(UInt8(ascii: "S"))
      case UInt8(ascii: "Z"): emit(UInt8(ascii: "S"))
      case UInt8(ascii: "W"): emit(UInt8(ascii: "V"))
      case UInt8(ascii: "D"): emit(UInt8(ascii: "T"))
      case UInt8(ascii: "J"): emit(UInt8(ascii: "Y"))
      default: emit(c)
      }
      i += 1
    }
    // Then: vowels (Y counts as one) dropped after the first letter; repeats collapsed.
    var on = 0
    for k in 0..<sn {
      let c = s[k]
      let vowel = isVowel(c) || c == UInt8(ascii: "Y")
      if k == 0 {
        out[0] = vowel ? UInt8(ascii: "A") : c
        on = 1
        continue
      }
      if vowel { continue }
      if out[on - 1] != c {
        out[on] = c
        on += 1
      }
    }
    return on
  }

  /// The OCR key: characters that scanners confuse merged into one representative.
  public static func ocr(_ w: [UInt8]) -> [UInt8] {
    w.withUnsafeBufferPointer { w in
      [UInt8](unsafeUninitializedCapacity: max(1, w.count)) { out, n in n = ocr(w, into: out) }
    }
  }

  /// `ocr(w)` written to `out` (room for `w.count` bytes); returns its length.
  static func ocr(_ w: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
    var on = 0
    @inline(__always) func emit(_ c: UInt8) {
      out[on] = c
      on += 1
    }
    var i = 0
    while i < w.count {
      let c = w[i]
      let n = i + 1 < w.count ? w[i + 1] : 0
      if c == UInt8(ascii: "R") && n == UInt8(ascii: "N") {
        emit(UInt8(ascii: "M"))
        i += 2
        continue
      }
      if c == UInt8(ascii: "V") && n == UInt8(ascii: "V") {
        emit(UInt8(ascii: "W"))
        i += 2
        continue
      }
      if c == UInt8(ascii: "C") && n == UInt8(ascii: "L") {
        emit(UInt8(ascii: "D"))
        i += 2
        continue
      }
      switch c {
      case UInt8(ascii: "0"), UInt8(ascii: "Q"): emit(UInt8(ascii: "O"))
      case UInt8(ascii: "1"), UInt8(ascii: "L"), UInt8(ascii: "!"), UInt8(ascii: "|"):
        emit(UInt8(ascii: "I"))
      case UInt8(ascii: "5"): emit(UInt8(ascii: "S"))
      case UInt8(ascii: "8"): emit(UInt8(ascii: "B"))
      case UInt8(ascii: "6"), UInt8(ascii: "9"): emit(UInt8(ascii: "G"))
      case UInt8(ascii: "2"): emit(UInt8(ascii: "Z"))
      case UInt8(ascii: "4"): emit(UInt8(ascii: "A"))
      case UInt8(ascii: "3"): emit(UInt8(ascii: "E"))
      case UInt8(ascii: "7"): emit(UInt8(ascii: "I"))
      case UInt8(ascii: "U"): emit(UInt8(ascii: "V"))
      default: emit(c)
      }
      i += 1
    }
    return on
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
