// Jaro-Winkler similarity (Winkler 1990): Jaro's matching-characters-in-a-window measure, boosted
// for a common prefix of up to 4 characters with scale 0.1 (the standard parameters).

/// Jaro and Jaro-Winkler similarity over byte strings.
public enum JaroWinkler {
  /// Jaro similarity in [0, 1].
  public static func jaro(_ a: [UInt8], _ b: [UInt8]) -> Double {
    a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in jaro(a, b) } }
  }

  /// Jaro similarity over byte spans (the implementation; the matcher calls it on flat word
  /// storage without copying words into arrays).
  public static func jaro(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Double {
    if a.isEmpty && b.isEmpty { return 1 }
    if a.isEmpty || b.isEmpty { return 0 }
    // NOTE: words are short; 64-bit masks avoid two array allocations per call (the matcher calls
    // this hundreds of times per query). Longer inputs take the array path.
    if a.count <= 64 && b.count <= 64 { return jaroShort(a, b) }
    return jaroLong(a, b)
  }

  static func jaroLong(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Double {
    let window = max(0, max(a.count, b.count) / 2 - 1)
    var aMatched = [Bool](repeating: false, count: a.count)
    var bMatched = [Bool](repeating: false, count: b.count)
    var matches = 0
    for i in 0..<a.count {
      let lo = max(0, i - window)
      let hi = min(b.count - 1, i + window)
      if lo > hi { continue }
      for j in lo...hi where !bMatched[j] && a[i] == b[j] {
        aMatched[i] = true
        bMatched[j] = true
        matches += 1
        break
      }
    }
    if matches == 0 { return 0 }
    var transpositions = 0
    var j = 0
    for i in 0..<a.count where aMatched[i] {
      while !bMatched[j] { j += 1 }
      if a[i] != b[j] { transpositions += 1 }
      j += 1
    }
    let m = Double(matches)
    return (m / Double(a.count) + m / Double(b.count) + (m - Double(transpositions) / 2) / m) / 3
  }

  /// `jaro` for inputs of at most 64 bytes, with bit masks: for each byte value (folded to 5 bits:
  /// letters are distinct, a digit shares a slot with a letter), the positions of b holding it; a's
  /// character i takes the first unmatched position holding it in its window (as the textbook scan
  /// does), found with a few mask operations.
  static func jaroShort(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Double {
    var table: PositionTable = (
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
    )
    return withUnsafeMutableBytes(of: &table) { raw in
      let positions = raw.bindMemory(to: UInt64.self)
      for j in 0..<b.count { positions[Int(b[j] & 31)] |= 1 &<< UInt64(j) }
      return jaro(a, b, positions: UnsafePointer(positions.baseAddress.unsafelyUnwrapped))
    }
  }

  /// How many `UInt64` a word's position table (`positions(of:into:)`) holds.
  static let positionTableCount = 32

  /// Fills `table` (`positionTableCount` masks) with the positions of each byte slot in `w`
  /// (at most 64 bytes), for `jaro(_:_:positions:)`.
  static func positions(of w: UnsafeBufferPointer<UInt8>, into table: UnsafeMutablePointer<UInt64>) {
    table.update(repeating: 0, count: positionTableCount)
    for j in 0..<min(w.count, 64) { table[Int(w[j] & 31)] |= 1 &<< UInt64(j) }
  }

  /// `jaro(a, b)` for a and b of at most 64 bytes each (both non-empty), given b's position table
  /// (`positions(of: b, into:)`). Jaro is symmetric, so a caller comparing one word with many
  /// passes that word as b and builds its table once: `jaro(x, w, positions: table of w)` is
  /// exactly `jaro(w, x)`.
  ///
  /// NOTE: why exactly (`FastScorerTests.jaroIsSymmetric` checks it). Take one byte value c: the
  /// textbook scan gives each position i of a holding c (in order) the first free position j of b
  /// holding c with |i − j| ≤ window. That is the merge of the two position lists: if j < i − window
  /// drop j (no later i reaches it), if j > i + window drop i, else pair them — positions of b
  /// before the merge's head are paired or out of every later window, those after it are free.
  /// The merge's rules read the same with a and b swapped (j < i − w ⇔ i > j + w), so walking b
  /// pairs the same positions: the same m, the same matched positions on each side (so the same
  /// transpositions), and m/|a| + m/|b| is the same double either way (addition is commutative).
  static func jaro(
    _ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>, positions: UnsafePointer<UInt64>
  ) -> Double {
    let na = a.count
    let nb = b.count
    let window = max(0, max(na, nb) / 2 - 1)
    var aMatched: UInt64 = 0
    var bMatched: UInt64 = 0
    var matches = 0
    // Position i's window is bits max(0, i − window)...min(nb − 1, i + window): `span` (2·window + 1
    // ones; window ≤ 31) moved to start at i − window, cut to b's positions. NOTE: masking shifts
    // (`&<<`): the amounts are below 64, and the checked `<<` cost ~2% of a query.
    let span: UInt64 = (2 &<< UInt64(2 * window)) &- 1
    let inB: UInt64 = nb == 64 ? ~0 : (1 &<< UInt64(nb)) &- 1
    for i in 0..<na {
      let shift = i - window
      let inWindow =
        (shift >= 0
          ? span &<< UInt64(truncatingIfNeeded: shift) : span &>> UInt64(truncatingIfNeeded: -shift))
        & inB
      let c = a[i]
      var free = positions[Int(c & 31)] & inWindow & ~bMatched
      while free != 0 {
        let j = free.trailingZeroBitCount
        if b[j] == c {
          bMatched |= 1 &<< UInt64(j)
          aMatched |= 1 &<< UInt64(i)
          matches += 1
          break
        }
        free &= free &- 1
      }
    }
    if matches == 0 { return 0 }
    var transpositions = 0
    var ra = aMatched
    var rb = bMatched
    while ra != 0 {
      let i = ra.trailingZeroBitCount
      let j = rb.trailingZeroBitCount
      ra &= ra &- 1
      rb &= rb &- 1
      if a[i] != b[j] { transpositions += 1 }
    }
    let m = Double(matches)
    return (m / Double(na) + m / Double(nb) + (m - Double(transpositions) / 2) / m) / 3
  }

  /// 32 position masks on the stack.
  typealias PositionTable = (
    UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
    UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
    UInt64, UInt64, UInt64, UInt64, UInt64, UInt64
  )

  /// Jaro-Winkler similarity in [0, 1] with prefix scale `p` (0.1) over at most 4 characters.
  public static func similarity(_ a: [UInt8], _ b: [UInt8], prefixScale p: Double = 0.1) -> Double {
    a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in similarity(a, b, prefixScale: p) } }
  }

  /// Jaro-Winkler over byte spans.
  public static func similarity(
    _ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>, prefixScale p: Double = 0.1
  ) -> Double {
    let j = jaro(a, b)
    var prefix = 0
    while prefix < min(4, a.count, b.count), a[prefix] == b[prefix] { prefix += 1 }
    return j + Double(prefix) * p * (1 - j)
  }

  /// `similarity(a, b)` given a's position table (`positions(of: a, into:)`, nil when not built):
  /// the same number, without building b's table (see `jaro(_:_:positions:)`).
  @inline(__always) static func similarity(
    _ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>, aPositions: UnsafePointer<UInt64>?
  ) -> Double {
    guard let aPositions, a.count >= 1, a.count <= 64, b.count >= 1, b.count <= 64 else {
      return similarity(a, b)
    }
    let j = jaro(b, a, positions: aPositions)
    var prefix = 0
    while prefix < min(4, a.count, b.count), a[prefix] == b[prefix] { prefix += 1 }
    return j + Double(prefix) * 0.1 * (1 - j)
  }

  /// The bytes of `s` as a set of 32 slots (byte & 31: letters distinct, digits share with letters).
  @inline(__always) static func letters(_ s: UnsafeBufferPointer<UInt8>) -> UInt32 {
    var m: UInt32 = 0
    for c in s { m |= 1 &<< UInt32(c & 31) }
    return m
  }

  /// Whether `similarity(a, b)` may exceed `t`, from the letters they share (`letters` of each):
  /// at most m characters can match, and Jaro is then at most (m/|a| + m/|b| + 1)/3 (no
  /// transpositions), where m counts, on each side, the characters whose slot the other has.
  /// `false` means `similarity(a, b) <= t` for certain.
  @inline(__always) static func mayExceed(
    _ a: UnsafeBufferPointer<UInt8>, _ ma: UInt32, _ b: UnsafeBufferPointer<UInt8>, _ mb: UInt32, _ t: Double
  ) -> Bool {
    let na = a.count
    let nb = b.count
    if na == 0 || nb == 0 { return true }
    var ca = 0
    for c in a { ca &+= Int(truncatingIfNeeded: (mb &>> UInt32(c & 31)) & 1) }
    var cb = 0
    for c in b { cb &+= Int(truncatingIfNeeded: (ma &>> UInt32(c & 31)) & 1) }
    let m = min(ca, cb)
    if m == 0 { return false }  // nothing in common: 0
    var prefix = 0
    while prefix < min(4, na, nb), a[prefix] == b[prefix] { prefix += 1 }
    // Jaro ≤ j = (m/na + m/nb + 1)/3 = (m(na + nb) + na·nb) / (3·na·nb), and Jaro-Winkler ≤
    // j + p(1 − j) = j(1 − p) + p with p = 0.1·prefix; tested as j(1 − p) + p + 1e-9 > t, multiplied
    // out by the (positive) denominator — no division. The margin covers rounding: `false` still
    // means the bound is below t.
    let p = Double(prefix) * 0.1
    return Double(m * (na + nb) + na * nb) * (1 - p) > (t - p - 1e-9) * Double(3 * na * nb)
  }

  /// Jaro-Winkler over the UTF-8 bytes of two strings.
  public static func similarity(_ a: String, _ b: String) -> Double {
    similarity(Array(a.utf8), Array(b.utf8))
  }
}
