// A fast path for `matches`: patterns in a small regular subset, matched without Swift's `Regex`
// engine when the input is printable ASCII. Part of the one implementation of `matches`
// (`RegexCache.matches` tries it first, for the VM, the reference evaluator and constant folding
// alike); anything outside the subset, and every other input, goes to the RE2-translated `Regex`.
//
// The subset: literal characters, `.`, bracket classes (`[a-z_]`, `[^0-9]`, with `\d \w \s` and
// escaped punctuation inside), `\d \D \w \W \s \S`, escaped punctuation, the quantifiers `*`, `+`,
// `?`, `{n}`, `{n,}`, `{n,m}` (lazy forms too: whether a match exists does not depend on
// greediness), `^` as the first character and `$` as the last. No groups, alternation, flags,
// word boundaries or other escapes. A pattern using one of those is simply not a simple pattern.
//
// Matching is a position-set simulation: after each input character, the set of item counts
// that some match attempt has consumed is one bit mask (at most 63 items once repetitions are
// expanded), so a match is linear in the input, never backtracks and allocates nothing.
// The input must be printable ASCII (0x20–0x7E) or tab: then `.`, `$`, negated classes and the
// escapes mean the same in RE2, in Swift's `Regex` and here (no line breaks, no multi-byte code
// points); otherwise the caller uses `Regex`.
//
// NOTE: measured on the peer workload's `event.email.matches("^[0-9]{6,}@")` (docs/performance.md).

/// A compiled simple pattern (see the file comment), or nil from `init` for any other pattern.
struct SimplePattern: Sendable {
  /// One position of the expanded pattern: a set of ASCII characters (a 128-bit map) and how
  /// often it may repeat there.
  struct Item: Sendable {
    var low: UInt64 = 0
    var high: UInt64 = 0
    /// `x*`: the item consumes any number of characters (it stays at its position).
    var star = false
    /// `x?` (or the optional part of `{n,m}`): the item may be skipped.
    var optional = false

    @inline(__always) func accepts(_ c: UInt8) -> Bool {
      c < 64 ? (low >> UInt64(c)) & 1 != 0 : (high >> UInt64(c &- 64)) & 1 != 0
    }

    mutating func insert(_ c: UInt8) {
      if c < 64 { low |= 1 << UInt64(c) } else if c < 128 { high |= 1 << UInt64(c - 64) }
    }

    mutating func insert(_ from: UInt8, through to: UInt8) {
      guard from <= to else { return }
      for c in from...to { insert(c) }
    }

    mutating func invert() {
      low = ~low
      high = ~high
    }

    mutating func formUnion(_ other: Item) {
      low |= other.low
      high |= other.high
    }
  }

  let items: [Item]
  let anchoredStart: Bool
  let anchoredEnd: Bool

  /// At most this many items after expanding repetitions (a bit per position, and one for
  /// "all consumed", in a `UInt64`).
  static let maxItems = 63

  init?(_ pattern: String) {
    let p = Array(pattern.utf8)
    guard p.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
    var i = 0
    var end = p.count
    anchoredStart = p.first == UInt8(ascii: "^")
    if anchoredStart { i = 1 }
    // A final `$` that is not escaped (an odd number of backslashes before it escapes it).
    var anchorEnd = false
    if end > i, p[end - 1] == UInt8(ascii: "$") {
      var backslashes = 0
      var k = end - 2
      while k >= i, p[k] == UInt8(ascii: "\\") {
        backslashes += 1
        k -= 1
      }
      if backslashes % 2 == 0 {
        anchorEnd = true
        end -= 1
      }
    }
    anchoredEnd = anchorEnd
    var items: [Item] = []
    while i < end {
      guard var atom = Self.atom(p, &i, end) else { return nil }
      // A quantifier, if any.
      var lo = 1
      var hi: Int? = 1
      if i < end {
        switch p[i] {
        case UInt8(ascii: "*"):
          (lo, hi) = (0, nil)
          i += 1
        case UInt8(ascii: "+"):
          (lo, hi) = (1, nil)
          i += 1
        case UInt8(ascii: "?"):
          (lo, hi) = (0, 1)
          i += 1
        case UInt8(ascii: "{"):
          guard let (l, h) = Self.repetition(p, &i, end) else { return nil }
          (lo, hi) = (l, h)
        default: break
        }
        if lo != 1 || hi != 1, i < end {
          if p[i] == UInt8(ascii: "?") {
            i += 1  // lazy: the same matches exist
          }
          let quantifiers: [UInt8] = [
            UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"), UInt8(ascii: "{"),
          ]
          if i < end, quantifiers.contains(p[i]) {
            return nil  // a doubled or possessive quantifier: leave it to the full engine
          }
        }
      }
      let mandatory = lo
      let count = hi.map { $0 - lo } ?? 1
      guard items.count + mandatory + count <= Self.maxItems else { return nil }
      for _ in 0..<mandatory { items.append(atom) }
      if let hi {
        atom.optional = true
        for _ in 0..<(hi - lo) { items.append(atom) }
      } else {
        atom.star = true
        items.append(atom)
      }
    }
    self.items = items
  }

  /// One atom at `i` (advancing past it): a character, `.`, an escape or a bracket class.
  static func atom(_ p: [UInt8], _ i: inout Int, _ end: Int) -> Item? {
    var item = Item()
    let c = p[i]
    switch c {
    case UInt8(ascii: "."):
      item.invert()
      item.low &= ~(1 << 10)  // every character but `\n`
      i += 1
    case UInt8(ascii: "["):
      guard let set = bracket(p, &i, end) else { return nil }
      item = set
    case UInt8(ascii: "\\"):
      guard i + 1 < end, let set = escape(p[i + 1], inClass: false) else { return nil }
      item = set
      i += 2
    case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "|"), UInt8(ascii: "*"), UInt8(ascii: "+"),
      UInt8(ascii: "?"), UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "]"), UInt8(ascii: "^"),
      UInt8(ascii: "$"):
      return nil
    default:
      item.insert(c)
      i += 1
    }
    return item
  }

  /// `\x` as a set: the class escapes and escaped punctuation; nil for anything else.
  static func escape(_ e: UInt8, inClass: Bool) -> Item? {
    var item = Item()
    switch e {
    case UInt8(ascii: "d"), UInt8(ascii: "D"):
      item.insert(UInt8(ascii: "0"), through: UInt8(ascii: "9"))
    case UInt8(ascii: "w"), UInt8(ascii: "W"):
      item.insert(UInt8(ascii: "0"), through: UInt8(ascii: "9"))
      item.insert(UInt8(ascii: "A"), through: UInt8(ascii: "Z"))
      item.insert(UInt8(ascii: "a"), through: UInt8(ascii: "z"))
      item.insert(UInt8(ascii: "_"))
    case UInt8(ascii: "s"), UInt8(ascii: "S"):
      for s in [9, 10, 12, 13, 32] as [UInt8] { item.insert(s) }
    default:
      // Punctuation stands for itself; letters, digits and the rest are other escapes.
      let isPunctuation =
        (0x21...0x2F).contains(e) || (0x3A...0x40).contains(e) || (0x5B...0x60).contains(e)
        || (0x7B...0x7E).contains(e)
      guard isPunctuation else { return nil }
      item.insert(e)
      return item
    }
    if e == UInt8(ascii: "D") || e == UInt8(ascii: "W") || e == UInt8(ascii: "S") {
      if inClass { return nil }  // negated escapes inside a class: leave to the full engine
      item.invert()
    }
    return item
  }

  /// `[…]` at `i`: ranges, single characters, `\d \w \s` and escaped punctuation, optionally
  /// negated; a `]` right after `[` or `[^` is literal (as in RE2).
  static func bracket(_ p: [UInt8], _ i: inout Int, _ end: Int) -> Item? {
    var j = i + 1
    var negated = false
    if j < end, p[j] == UInt8(ascii: "^") {
      negated = true
      j += 1
    }
    var set = Item()
    var first = true
    while j < end {
      let c = p[j]
      if c == UInt8(ascii: "]") && !first {
        j += 1
        if negated {
          set.invert()
          set.low &= ~(1 << 10)  // RE2 classes never match `\n` unless they name it
        }
        i = j
        return set
      }
      first = false
      var from: UInt8
      if c == UInt8(ascii: "\\") {
        guard j + 1 < end, let e = escape(p[j + 1], inClass: true) else { return nil }
        j += 2
        let isSingle = e.low.nonzeroBitCount + e.high.nonzeroBitCount == 1
        guard isSingle else {
          set.formUnion(e)
          continue
        }
        from = UInt8(e.low != 0 ? e.low.trailingZeroBitCount : 64 + e.high.trailingZeroBitCount)
      } else if c == UInt8(ascii: "[") {
        return nil  // POSIX classes and nested brackets
      } else {
        from = c
        j += 1
      }
      // A range `a-z` (a `-` before `]` is literal).
      if j + 1 < end, p[j] == UInt8(ascii: "-"), p[j + 1] != UInt8(ascii: "]") {
        var to = p[j + 1]
        if to == UInt8(ascii: "\\") {
          guard j + 2 < end, let e = escape(p[j + 2], inClass: true),
            e.low.nonzeroBitCount + e.high.nonzeroBitCount == 1
          else { return nil }
          to = UInt8(e.low != 0 ? e.low.trailingZeroBitCount : 64 + e.high.trailingZeroBitCount)
          j += 3
        } else if to == UInt8(ascii: "[") {
          return nil
        } else {
          j += 2
        }
        guard from <= to else { return nil }
        set.insert(from, through: to)
      } else {
        set.insert(from)
      }
    }
    return nil  // no closing bracket
  }

  /// `{n}`, `{n,}` or `{n,m}` at `i` (advancing past it), with RE2's limit of 1000.
  static func repetition(_ p: [UInt8], _ i: inout Int, _ end: Int) -> (Int, Int?)? {
    var j = i + 1
    func number() -> Int? {
      var v = 0
      var n = 0
      while j < end, p[j] >= 48, p[j] <= 57, n < 5 {
        v = v * 10 + Int(p[j] - 48)
        j += 1
        n += 1
      }
      return n > 0 ? v : nil
    }
    guard let lo = number() else { return nil }
    var hi: Int? = lo
    if j < end, p[j] == UInt8(ascii: ",") {
      j += 1
      hi = number()
    }
    guard j < end, p[j] == UInt8(ascii: "}"), lo <= 1000, (hi ?? lo) <= 1000, (hi ?? lo) >= lo else {
      return nil
    }
    i = j + 1
    return (lo, hi)
  }

  /// Whether the pattern matches a substring of `s` (the whole of it, with both anchors); nil
  /// when `s` is not printable ASCII (then the full engine decides).
  func matches(_ s: String) -> Bool? {
    var s = s
    return s.withUTF8 { matches($0) }
  }

  /// The simulation over UTF-8 bytes; nil when it reads a byte outside printable ASCII and tab
  /// (bytes after the answer is known are not read: they cannot change it).
  func matches(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool? {
    let done: UInt64 = 1 << UInt64(items.count)
    let start = closure(1)
    var set = start
    if set & done != 0 && !anchoredEnd { return true }
    for c in bytes {
      guard (c >= 0x20 && c < 0x7F) || c == 9 else { return nil }
      var next: UInt64 = 0
      var live = set & (done - 1)
      while live != 0 {
        let p = live.trailingZeroBitCount
        live &= live - 1
        let item = items[p]
        if item.accepts(c) { next |= item.star ? (1 << UInt64(p)) : (1 << UInt64(p + 1)) }
      }
      set = closure(next)
      if !anchoredStart { set |= start }
      if set & done != 0 && !anchoredEnd { return true }
      if set == 0 { return false }
    }
    return set & done != 0
  }

  /// The positions reachable from `set` by skipping optional and starred items.
  @inline(__always) func closure(_ set: UInt64) -> UInt64 {
    var out = set
    var p = 0
    while p < items.count {
      if out & (1 << UInt64(p)) != 0, items[p].optional || items[p].star { out |= 1 << UInt64(p + 1) }
      p += 1
    }
    return out
  }
}
