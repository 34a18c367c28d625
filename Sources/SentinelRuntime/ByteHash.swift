// A cheap seeded hash of a string's UTF-8 bytes, and a table numbering strings by it
// (`KeyNumbering`), for `replay`'s decoding thread: the event id's fingerprint
// (`EventProcessor.fingerprint`) and the key numbers (`LinePreparer`).
//
// NOTE: replaces SipHash-1-3 (`hashValue`, through `Hasher`), which with the `[String: Int]`
// lookup of the key numbers was ~12 % of the decoding thread's samples in an in-memory replay of
// the scaled reference corpus (docs/performance.md, "s16-dec"). The hash reads the bytes 8 at a
// time and mixes each word with a 64 × 64 → 128-bit multiply folded to 64 bits (the `wyhash`
// construction); the per-process random seed keeps collisions unpredictable from outside (the
// daemon fingerprints the event ids its clients send). It is not cryptographic, and nothing
// relies on it being: a collision only costs an exact comparison (the fingerprint set's ids are
// then looked up exactly; a key number's bytes are compared), never a wrong answer. No hash is
// stored or sent anywhere: they live in one process's memory only.
//
// Strings are equal in Swift when they are canonically equivalent ("é" as one scalar or as "e"
// and a combining accent), not when their bytes are; the fingerprint and the key numbers must
// agree with that equality (`hashValue` and `[String: Int]` did). An ASCII string is hashed as
// its bytes. A string with other bytes (`ByteHash.canonical`) first has the three scalars whose
// canonical decomposition is one ASCII character replaced by it (KELVIN SIGN is "K"); it is then
// either ASCII — equal to exactly that ASCII string — or equal to none, and is hashed by
// `hashValue` (which follows canonical equivalence; `ByteHashTests` checks the three scalars
// against every scalar).

// MARK: - ByteHash

/// The seeded 64-bit hash of a byte string.
enum ByteHash {
  /// This process's seed (random, drawn once).
  static let seed: UInt64 = {
    var g = SystemRandomNumberGenerator()
    return g.next()
  }()

  private static let k0: UInt64 = 0xA076_1D64_78BD_642F
  private static let k1: UInt64 = 0xE703_7ED1_A0B4_28DB
  private static let k2: UInt64 = 0x8EBC_6AF0_9C88_C6E3

  /// The 128-bit product of `a` and `b`, its halves xored.
  @inline(__always)
  private static func mum(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let r = a.multipliedFullWidth(by: b)
    return r.high ^ r.low
  }

  /// The hash of the `count` bytes at `p` (nil only when `count` is 0), with `seed`.
  @inline(__always)
  static func hash(_ p: UnsafeRawPointer?, count n: Int, seed: UInt64 = ByteHash.seed) -> UInt64 {
    // The length goes in first: equal bytes of different lengths (the overlapping reads below
    // read some bytes twice) hash apart.
    var h = mum(seed ^ k0, UInt64(truncatingIfNeeded: n) ^ k1)
    guard let p, n > 0 else { return mum(h ^ k0, h ^ k2 ^ seed) }
    if n >= 8 {
      var i = 0
      while i &+ 8 <= n {
        h = mum(p.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ k1, h ^ k2)
        i &+= 8
      }
      // The last 1 to 7 bytes: the word ending at the last byte (it overlaps the one before).
      if i < n { h = mum(p.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self) ^ k2, h ^ k0) }
    } else if n >= 4 {
      let lo = UInt64(p.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
      let hi = UInt64(p.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self))
      h = mum(lo | hi << 32 ^ k1, h ^ k2)
    } else {
      let a = UInt64(p.load(fromByteOffset: 0, as: UInt8.self))
      let b = UInt64(p.load(fromByteOffset: n >> 1, as: UInt8.self))
      let c = UInt64(p.load(fromByteOffset: n &- 1, as: UInt8.self))
      h = mum(a | b << 8 | c << 16 ^ k1, h ^ k2)
    }
    return mum(h ^ k0, h ^ k2 ^ seed)
  }

  /// The hash of a buffer's bytes.
  @inline(__always)
  static func hash(_ bytes: UnsafeBufferPointer<UInt8>, seed: UInt64 = ByteHash.seed) -> UInt64 {
    hash(UnsafeRawPointer(bytes.baseAddress), count: bytes.count, seed: seed)
  }

  /// The hash of a string's UTF-8 bytes (not canonical: see `stringHash`).
  @inline(__always)
  static func hash(_ s: String, seed: UInt64 = ByteHash.seed) -> UInt64 {
    if let h = s.utf8.withContiguousStorageIfAvailable({ hash($0, seed: seed) }) { return h }
    return Array(s.utf8).withUnsafeBufferPointer { hash($0, seed: seed) }
  }

  /// A hash of `s` equal for equal strings (`==`, canonical equivalence): its bytes' hash when
  /// it is ASCII, else `canonical(s)`'s (see the file's header).
  @inline(__always)
  static func stringHash(_ s: String) -> UInt64 {
    let ascii = s.utf8.withContiguousStorageIfAvailable { b -> UInt64? in isASCII(b) ? hash(b) : nil }
    if let ascii, let h = ascii { return h }
    return nonASCIIHash(s)
  }

  @inline(never)
  private static func nonASCIIHash(_ s: String) -> UInt64 {
    switch canonical(s) {
    case .ascii(let t): return hash(t)
    case .other(let t): return UInt64(UInt(bitPattern: t.hashValue))
    }
  }

  /// Whether every byte is ASCII.
  @inline(__always)
  static func isASCII(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
    let raw = UnsafeRawBufferPointer(b)
    let n = b.count
    var bits: UInt64 = 0
    var i = 0
    while i &+ 8 <= n {
      bits |= raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
      i &+= 8
    }
    while i < n {
      bits |= UInt64(b[i])
      i &+= 1
    }
    return bits & 0x8080_8080_8080_8080 == 0
  }

  /// The scalars other than ASCII whose canonical decomposition is one ASCII character: KELVIN
  /// SIGN, GREEK QUESTION MARK, GREEK VARIA (`ByteHashTests.asciiSingletonsAreComplete`).
  static let asciiSingletons: [(Unicode.Scalar, Unicode.Scalar)] = [
    ("\u{212A}", "K"), ("\u{037E}", ";"), ("\u{1FEF}", "`"),
  ]

  /// A string equal to `s` (canonically equivalent) that is ASCII when any string equal to `s`
  /// is: `s` with the `asciiSingletons` replaced.
  enum Canonical {
    case ascii(String)
    case other(String)
  }

  static func canonical(_ s: String) -> Canonical {
    var t = String.UnicodeScalarView()
    var ascii = true
    for u in s.unicodeScalars {
      let r = asciiSingletons.first { $0.0 == u }?.1 ?? u
      if !r.isASCII { ascii = false }
      t.append(r)
    }
    return ascii ? .ascii(String(t)) : .other(String(t))
  }
}

// MARK: - KeyNumbering

/// Numbers strings in order of first appearance (0, 1, 2 …), as `[String: Int]` with
/// `number(_:)` = `d[s, default: d.count]` inserting a new one would — equal strings (`==`)
/// get the same number. ASCII strings (and those `ByteHash.canonical` makes ASCII) go to an
/// open-addressing table (linear probing) over `ByteHash`: each place keeps the full hash, the
/// number, and the key itself when it has at most 16 bytes (one cache miss per lookup: user ids,
/// device ids and ips are that short), else where its bytes are kept; a match is confirmed by
/// comparing the bytes. Others go to a `[String: Int]`.
struct KeyNumbering {
  struct Place {
    var hash: UInt64 = 0
    /// The number + 1 (0 = an empty place).
    var number: Int32 = 0
    var length: Int32 = 0
    /// A key of at most 16 bytes: its bytes, zero-padded, little-endian. A longer one: `first`
    /// is its start in `bytes`.
    var first: UInt64 = 0
    var second: UInt64 = 0
  }

  /// A power of 2 in size, at most half used.
  private var places: [Place]
  private var used = 0
  /// The bytes of the keys longer than 16 bytes.
  private var bytes: [UInt8] = []
  /// The numbers of the strings that are not ASCII (after `ByteHash.canonical`), and of those
  /// longer than 2³¹ − 1 bytes.
  private var others: [String: Int] = [:]
  /// How many strings are numbered.
  private(set) var count = 0

  /// ANDed with every hash: all ones, except in tests that force collisions.
  private let hashMask: UInt64

  init(hashMask: UInt64 = ~0) {
    places = Array(repeating: Place(), count: 16)
    self.hashMask = hashMask
  }

  /// The number of `s`, numbering it when new.
  @inline(__always)
  mutating func number(_ s: String) -> Int {
    let ascii = s.utf8.withContiguousStorageIfAvailable { b -> Int? in
      ByteHash.isASCII(b) ? number(ascii: b) : nil
    }
    if let ascii, let n = ascii { return n }
    return number(nonASCII: s)
  }

  @inline(never)
  private mutating func number(nonASCII s: String) -> Int {
    switch ByteHash.canonical(s) {
    case .ascii(let t):
      return Array(t.utf8).withUnsafeBufferPointer { number(ascii: $0) }
    case .other(let t): return number(other: t)
    }
  }

  /// The number of a string kept by its text (`others`).
  private mutating func number(other t: String) -> Int {
    if let n = others[t] { return n }
    let n = count
    others[t] = n
    count += 1
    return n
  }

  /// A key of at most 16 bytes as two words, zero-padded.
  @inline(__always)
  private static func words(_ key: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64) {
    let n = key.count
    let raw = UnsafeRawBufferPointer(key)
    if n >= 8 {
      let a = raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
      // Bytes 8..<n: the word ending at the last byte, its bytes before 8 shifted out.
      let b =
        n == 8 ? 0 : raw.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self) >> UInt64(8 &* (16 &- n))
      return (a, b)
    }
    var a: UInt64 = 0
    for i in 0..<n { a |= UInt64(key[i]) << UInt64(8 &* i) }
    return (a, 0)
  }

  /// The number of the ASCII string of bytes `key`, numbering it when new.
  private mutating func number(ascii key: UnsafeBufferPointer<UInt8>) -> Int {
    number(ascii: key, hash: ByteHash.hash(key) & hashMask)
  }

  /// `number(ascii:)` given the key's hash.
  private mutating func number(ascii key: UnsafeBufferPointer<UInt8>, hash h: UInt64) -> Int {
    let n = key.count
    // A place keeps the length in 32 bits: a longer key (never in practice) is numbered by its
    // text, always there (equal keys have equal lengths).
    guard n <= Int(Int32.max) else { return number(other: String(decoding: key, as: UTF8.self)) }
    let short = n <= 16
    let (first, second) = short ? Self.words(key) : (0, 0)
    let mask = places.count - 1
    var i = Int(truncatingIfNeeded: h) & mask
    let found: Int? = places.withUnsafeBufferPointer { p in
      while true {
        let place = p[i]
        if place.number == 0 { return nil }
        if place.hash == h && Int(place.length) == n {
          if short {
            if place.first == first && place.second == second { return Int(place.number) &- 1 }
          } else if equals(Int(place.first), key) {
            return Int(place.number) &- 1
          }
        }
        i = (i &+ 1) & mask
      }
    }
    if let found { return found }
    let number = count
    count += 1
    var place = Place(
      hash: h, number: Int32(truncatingIfNeeded: number + 1), length: Int32(truncatingIfNeeded: n),
      first: first,
      second: second)
    if !short {
      place.first = UInt64(bytes.count)
      bytes.append(contentsOf: key)
    }
    places[i] = place
    used += 1
    if used * 2 > places.count { grow() }
    return number
  }

  /// Whether the `key.count` bytes at `start` in `bytes` are `key`.
  private func equals(_ start: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
    let length = key.count
    return bytes.withUnsafeBufferPointer { b in
      let rb = UnsafeRawBufferPointer(b)
      let rk = UnsafeRawBufferPointer(key)
      var i = 0
      while i &+ 8 <= length {
        let x = rb.loadUnaligned(fromByteOffset: start &+ i, as: UInt64.self)
        let y = rk.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        if x != y { return false }
        i &+= 8
      }
      while i < length {
        if b[start &+ i] != key[i] { return false }
        i &+= 1
      }
      return true
    }
  }

  /// Doubles the places and puts every key back.
  private mutating func grow() {
    let old = places
    places = Array(repeating: Place(), count: old.count * 2)
    let mask = places.count - 1
    for place in old where place.number != 0 {
      var i = Int(truncatingIfNeeded: place.hash) & mask
      while places[i].number != 0 { i = (i + 1) & mask }
      places[i] = place
    }
  }
}
