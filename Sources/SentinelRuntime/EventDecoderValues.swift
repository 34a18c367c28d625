// Scalar parsers of the event decoder, over UTF-8 bytes held in any random-access collection
// (the scanner passes views of its buffer; generic specialization makes them direct loads).

import SentinelModel

/// A JSON number token as scanned: its bytes' range and, when exact, its decimal digits.
struct NumberToken {
  var start: Int
  var end: Int
  var negative = false
  /// The decimal significand (all digits without the point), exact when `exact`.
  var mantissa: UInt64 = 0
  /// The number of significant digits in `mantissa`.
  var digits = 0
  /// Value = ±mantissa × 10^exponent (when `exact`).
  var exponent = 0
  /// Whether the token has neither fraction nor exponent (JSON "integer" syntax).
  var integral = true
  /// Whether `mantissa` holds every significant digit (at most 19).
  var exact = true

  init(start: Int) {
    self.start = start
    self.end = start
  }
}

enum EventValues {
  /// 10^0 … 10^22, the powers of ten a `Double` holds exactly.
  static let powersOfTen: [Double] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17,
    1e18, 1e19, 1e20, 1e21, 1e22,
  ]

  /// The double a token denotes when it can be computed exactly with one multiplication or
  /// division (Clinger's fast path: significand ≤ 2^53 and |exponent| ≤ 22 give the correctly
  /// rounded result, the same as `Double(String)`); nil otherwise.
  @inline(__always)
  static func fastDouble(_ t: NumberToken) -> Double? {
    guard t.exact, t.mantissa <= 1 << 53, t.exponent >= -22, t.exponent <= 22 else { return nil }
    // JSON integer syntax denotes an integer: `-0` is 0 (0.0), as in JSONReader and Python.
    if t.integral && t.mantissa == 0 { return 0 }
    var d = Double(t.mantissa)
    if t.exponent > 0 {
      d *= powersOfTen[t.exponent]
    } else if t.exponent < 0 {
      d /= powersOfTen[-t.exponent]
    }
    return t.negative ? -d : d
  }

  /// The Int64 an integral token denotes, or nil when out of range.
  @inline(__always)
  static func int64(_ t: NumberToken) -> Int64? {
    guard t.exact else { return nil }
    if t.negative {
      if t.mantissa <= UInt64(Int64.max) { return -Int64(t.mantissa) }
      return t.mantissa == UInt64(Int64.max) + 1 ? Int64.min : nil
    }
    return t.mantissa <= UInt64(Int64.max) ? Int64(t.mantissa) : nil
  }

  /// The UInt64 an integral token denotes, or nil when out of range (or negative and non-zero).
  @inline(__always)
  static func uint64(_ t: NumberToken) -> UInt64? {
    guard t.exact else { return nil }
    if t.negative { return t.mantissa == 0 ? 0 : nil }
    return t.mantissa
  }

  /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction]Z` exactly as `Timestamp.parse(_:strictUTC: true)`
  /// does (upper-case `T` and `Z`, a real date, 00–23 / 00–59 / 00–59, one or more fraction
  /// digits of which the first nine count), without building a String.
  static func timestamp<C: RandomAccessCollection>(_ b: C) -> Timestamp?
  where C.Element == UInt8, C.Index == Int {
    var i = b.startIndex
    let end = b.endIndex
    func digits(_ n: Int) -> Int64? {
      guard end - i >= n else { return nil }
      var v: Int64 = 0
      for k in i..<i + n {
        let c = b[k]
        guard c >= 0x30 && c <= 0x39 else { return nil }
        v = v * 10 + Int64(c &- 0x30)
      }
      i += n
      return v
    }
    func expect(_ c: UInt8) -> Bool {
      guard i < end, b[i] == c else { return false }
      i += 1
      return true
    }
    guard let year = digits(4), expect(0x2D), let month = digits(2), expect(0x2D), let day = digits(2),
      expect(0x54), let hour = digits(2), expect(0x3A), let minute = digits(2), expect(0x3A),
      let second = digits(2)
    else { return nil }
    guard month >= 1 && month <= 12, day >= 1, day <= CivilDate.daysIn(year: year, month: month),
      hour <= 23, minute <= 59, second <= 59
    else { return nil }
    var nanos: Int64 = 0
    if i < end && b[i] == 0x2E {
      i += 1
      var n = 0
      while i < end, b[i] >= 0x30, b[i] <= 0x39 {
        if n < 9 { nanos = nanos * 10 + Int64(b[i] &- 0x30) }
        n += 1
        i += 1
      }
      guard n > 0 else { return nil }
      if n < 9 { for _ in n..<9 { nanos *= 10 } }
    }
    guard expect(0x5A), i == end else { return nil }
    let days = CivilDate.daysSinceEpoch(year: year, month: month, day: day)
    return Timestamp.make(seconds: days * 86_400 + hour * 3600 + minute * 60 + second, nanos: nanos)
  }

  /// `timestamp(_:)` for a buffer (the scanner's), the same grammar and results: the fixed-width
  /// part (`YYYY-MM-DDTHH:MM:SS`, every field exactly that many digits) read at fixed positions.
  @inline(__always)
  static func timestamp(bytes b: UnsafeBufferPointer<UInt8>) -> Timestamp? {
    // The shortest accepted form is `YYYY-MM-DDTHH:MM:SSZ`: 20 bytes.
    guard b.count >= 20 else { return nil }
    // Every fixed position read below is < 20 <= b.count.
    @inline(__always) func digit(_ k: Int) -> Int64? {
      let d = b[k] &- 0x30
      return d < 10 ? Int64(d) : nil
    }
    @inline(__always) func two(_ k: Int) -> Int64? {
      guard let high = digit(k), let low = digit(k + 1) else { return nil }
      return high * 10 + low
    }
    guard b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54, b[13] == 0x3A, b[16] == 0x3A,
      let y0 = two(0), let y1 = two(2), let month = two(5), let day = two(8), let hour = two(11),
      let minute = two(14), let second = two(17)
    else { return nil }
    let year = y0 * 100 + y1
    guard month >= 1 && month <= 12, day >= 1, day <= CivilDate.daysIn(year: year, month: month),
      hour <= 23, minute <= 59, second <= 59
    else { return nil }
    var i = 19
    let end = b.count
    var nanos: Int64 = 0
    if b[i] == 0x2E {
      i += 1
      var n = 0
      while i < end, b[i] &- 0x30 < 10 {
        if n < 9 { nanos = nanos * 10 + Int64(b[i] &- 0x30) }
        n += 1
        i += 1
      }
      guard n > 0 else { return nil }
      if n < 9 { for _ in n..<9 { nanos *= 10 } }
    }
    guard i + 1 == end, b[i] == 0x5A else { return nil }
    let days = CivilDate.daysSinceEpoch(year: year, month: month, day: day)
    return Timestamp.make(seconds: days * 86_400 + hour * 3600 + minute * 60 + second, nanos: nanos)
  }

  /// Parses a protobuf JSON duration: `-?digits[.1–9 digits]s` (`"1.5s"`, `"-0.250s"`, `"90s"`).
  static func duration<C: RandomAccessCollection>(_ b: C) -> SentinelModel.Duration?
  where C.Element == UInt8, C.Index == Int {
    var i = b.startIndex
    let end = b.endIndex
    var negative = false
    if i < end && b[i] == 0x2D {
      negative = true
      i += 1
    }
    var seconds: Int64 = 0
    let digitsStart = i
    while i < end, b[i] >= 0x30, b[i] <= 0x39 {
      guard seconds <= SentinelModel.Duration.maxSeconds else { return nil }
      seconds = seconds * 10 + Int64(b[i] &- 0x30)
      i += 1
    }
    guard i > digitsStart else { return nil }
    var nanos: Int64 = 0
    if i < end && b[i] == 0x2E {
      i += 1
      var n = 0
      while i < end, b[i] >= 0x30, b[i] <= 0x39, n < 9 {
        nanos = nanos * 10 + Int64(b[i] &- 0x30)
        n += 1
        i += 1
      }
      guard n > 0 else { return nil }
      for _ in n..<9 { nanos *= 10 }
    }
    guard i + 1 == end, b[i] == 0x73 else { return nil }
    return negative
      ? SentinelModel.Duration.make(seconds: -seconds, nanos: -nanos)
      : SentinelModel.Duration.make(seconds: seconds, nanos: nanos)
  }

  /// Whether a decoded value is one of a field's allowed values (same kind, equal; numbers
  /// compare by value).
  static func isAllowed(_ v: Value, _ allowed: [Value]) -> Bool {
    allowed.contains { a in
      switch (v, a) {
      case (.string(let x), .string(let y)): return x == y
      case (.bool(let x), .bool(let y)): return x == y
      case (.int(let x), .int(let y)): return x == y
      case (.uint(let x), .uint(let y)): return x == y
      case (.double(let x), .double(let y)): return x == y
      case (.double(let x), .int(let y)): return x == Double(y)
      case (.timestamp(let x), .timestamp(let y)): return x == y
      case (.duration(let x), .duration(let y)): return x == y
      default: return false
      }
    }
  }

  /// The JSON kind a value's first byte announces, as error messages name it.
  static func jsonKind(_ c: UInt8) -> String {
    switch c {
    case 0x22: return "a string"
    case 0x7B: return "an object"
    case 0x5B: return "a list"
    case 0x74, 0x66: return "a boolean"
    case 0x6E: return "null"
    default: return "a number"
    }
  }
}
