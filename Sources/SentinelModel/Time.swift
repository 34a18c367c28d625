// Timestamps and durations: CEL's google.protobuf.Timestamp and google.protobuf.Duration,
// with nanosecond precision and the protobuf ranges, independent of Foundation.

/// A point in time: seconds since the Unix epoch plus nanoseconds, in UTC.
/// Valid range: 0001-01-01T00:00:00Z … 9999-12-31T23:59:59.999999999Z.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
  public var seconds: Int64
  /// INVARIANT: 0 ..< 1_000_000_000
  public var nanos: Int32

  public static let minSeconds: Int64 = -62_135_596_800
  public static let maxSeconds: Int64 = 253_402_300_799

  public init(seconds: Int64, nanos: Int32 = 0) {
    self.seconds = seconds
    self.nanos = nanos
  }

  /// A normalized timestamp, or nil when outside the valid range.
  public static func make(seconds: Int64, nanos: Int64) -> Timestamp? {
    var s = seconds
    var n = nanos
    let (q, r) = n.quotientAndRemainder(dividingBy: 1_000_000_000)
    let (s2, o) = s.addingReportingOverflow(q)
    if o { return nil }
    s = s2
    n = r
    if n < 0 {
      n += 1_000_000_000
      s -= 1
    }
    guard s >= minSeconds && s <= maxSeconds else { return nil }
    return Timestamp(seconds: s, nanos: Int32(n))
  }

  public static func < (a: Timestamp, b: Timestamp) -> Bool {
    (a.seconds, a.nanos) < (b.seconds, b.nanos)
  }

  /// RFC 3339 in UTC, with 0, 3, 6 or 9 fraction digits (the protobuf JSON form).
  public var description: String {
    let (days, secs) = seconds.floorDivMod(86_400)
    let c = CivilDate(daysSinceEpoch: days)
    let h = secs / 3600
    let m = (secs % 3600) / 60
    let s = secs % 60
    var out = "\(pad(c.year, 4))-\(pad(c.month, 2))-\(pad(c.day, 2))T\(pad(h, 2)):\(pad(m, 2)):\(pad(s, 2))"
    out += fractionString(Int64(nanos))
    return out + "Z"
  }

  /// Parses RFC 3339: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`. With `strictUTC`, only the `Z`
  /// form (upper-case `T` and `Z`) is accepted, as the reference event schema requires.
  public static func parse(_ text: String, strictUTC: Bool = false) -> Timestamp? {
    let b = Array(text.utf8)
    var i = 0
    func digits(_ n: Int) -> Int64? {
      guard i + n <= b.count else { return nil }
      var v: Int64 = 0
      for k in 0..<n {
        let c = b[i + k]
        guard c >= 48 && c <= 57 else { return nil }
        v = v * 10 + Int64(c - 48)
      }
      i += n
      return v
    }
    func expect(_ c: UInt8) -> Bool {
      guard i < b.count, b[i] == c else { return false }
      i += 1
      return true
    }
    guard let year = digits(4), expect(45), let month = digits(2), expect(45), let day = digits(2)
    else { return nil }
    guard i < b.count else { return nil }
    if b[i] == 84 || (!strictUTC && b[i] == 116) { i += 1 } else { return nil }
    guard let hour = digits(2), expect(58), let minute = digits(2), expect(58), let second = digits(2)
    else { return nil }
    guard month >= 1 && month <= 12, day >= 1, day <= CivilDate.daysIn(year: year, month: month),
      hour <= 23, minute <= 59, second <= 59
    else { return nil }
    var nanos: Int64 = 0
    if i < b.count && b[i] == 46 {
      i += 1
      var n = 0
      while i < b.count && b[i] >= 48 && b[i] <= 57 {
        if n < 9 { nanos = nanos * 10 + Int64(b[i] - 48) }
        n += 1
        i += 1
      }
      guard n > 0 else { return nil }
      if n < 9 { for _ in n..<9 { nanos *= 10 } }
    }
    var offset: Int64 = 0
    guard i < b.count else { return nil }
    if b[i] == 90 || (!strictUTC && b[i] == 122) {
      i += 1
    } else if !strictUTC && (b[i] == 43 || b[i] == 45) {
      let sign: Int64 = b[i] == 45 ? -1 : 1
      i += 1
      guard let oh = digits(2), expect(58), let om = digits(2), oh <= 23, om <= 59 else { return nil }
      offset = sign * (oh * 3600 + om * 60)
    } else {
      return nil
    }
    guard i == b.count else { return nil }
    let days = CivilDate.daysSinceEpoch(year: year, month: month, day: day)
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset
    return Timestamp.make(seconds: secs, nanos: nanos)
  }
}

/// A signed span of time: seconds plus nanoseconds of the same sign.
/// Valid range: ±315,576,000,000 seconds (the protobuf Duration range).
public struct Duration: Sendable, Hashable, Comparable, CustomStringConvertible {
  public var seconds: Int64
  /// INVARIANT: same sign as `seconds` (or zero), magnitude < 1_000_000_000
  public var nanos: Int32

  public static let maxSeconds: Int64 = 315_576_000_000

  public init(seconds: Int64, nanos: Int32 = 0) {
    self.seconds = seconds
    self.nanos = nanos
  }

  /// A normalized duration, or nil when outside the valid range.
  public static func make(seconds: Int64, nanos: Int64) -> Duration? {
    let (q, r) = nanos.quotientAndRemainder(dividingBy: 1_000_000_000)
    let (s0, o) = seconds.addingReportingOverflow(q)
    if o { return nil }
    var s = s0
    var n = r
    if s > 0 && n < 0 {
      s -= 1
      n += 1_000_000_000
    } else if s < 0 && n > 0 {
      s += 1
      n -= 1_000_000_000
    }
    guard s >= -maxSeconds && s <= maxSeconds else { return nil }
    return Duration(seconds: s, nanos: Int32(n))
  }

  /// The duration as total nanoseconds, or nil when that overflows Int64.
  public var totalNanos: Int64? {
    let (a, o1) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
    if o1 { return nil }
    let (b, o2) = a.addingReportingOverflow(Int64(nanos))
    return o2 ? nil : b
  }

  public static func < (a: Duration, b: Duration) -> Bool {
    (a.seconds, a.nanos) < (b.seconds, b.nanos)
  }

  /// The protobuf JSON form: seconds with 0, 3, 6 or 9 fraction digits and an `s` suffix.
  public var description: String {
    let neg = seconds < 0 || nanos < 0
    let s = seconds.magnitude
    let n = Int64(nanos.magnitude)
    return (neg ? "-" : "") + String(s) + fractionString(n) + "s"
  }
}

/// `.123`, `.123456` or `.123456789` for a nanosecond count, or "" for zero.
func fractionString(_ nanos: Int64) -> String {
  if nanos == 0 { return "" }
  var digits = String(nanos)
  while digits.count < 9 { digits = "0" + digits }
  if digits.hasSuffix("000000") { return "." + digits.prefix(3) }
  if digits.hasSuffix("000") { return "." + digits.prefix(6) }
  return "." + digits
}

func pad(_ v: Int64, _ width: Int) -> String {
  var s = String(v)
  while s.count < width { s = "0" + s }
  return s
}

extension Int64 {
  /// Floor division and the matching non-negative remainder.
  @inlinable public func floorDivMod(_ d: Int64) -> (Int64, Int64) {
    let (q, r) = quotientAndRemainder(dividingBy: d)
    return r < 0 ? (q - 1, r + d) : (q, r)
  }
}

/// A proleptic Gregorian calendar date (Howard Hinnant's days-from-civil algorithms).
public struct CivilDate: Sendable, Hashable {
  public var year: Int64
  public var month: Int64
  public var day: Int64

  public init(year: Int64, month: Int64, day: Int64) {
    self.year = year
    self.month = month
    self.day = day
  }

  public init(daysSinceEpoch z0: Int64) {
    let z = z0 + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let y = yoe + era * 400
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    day = doy - (153 * mp + 2) / 5 + 1
    month = mp < 10 ? mp + 3 : mp - 9
    year = month <= 2 ? y + 1 : y
  }

  public static func daysSinceEpoch(year y0: Int64, month m: Int64, day d: Int64) -> Int64 {
    let y = m <= 2 ? y0 - 1 : y0
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
  }

  public static func isLeap(_ y: Int64) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

  public static func daysIn(year: Int64, month: Int64) -> Int64 {
    switch month {
    case 2: return isLeap(year) ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
  }

  /// 0 = Sunday … 6 = Saturday.
  public static func weekday(daysSinceEpoch z: Int64) -> Int64 {
    let (_, r) = (z + 4).floorDivMod(7)
    return r
  }
}
