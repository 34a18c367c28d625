// Timestamps and durations (langdef "Date/Time Functions", "Overflow", "Timezones"):
// timestamp/duration arithmetic with range checks, parsing and printing of duration strings,
// RFC 3339 printing, and the `getFullYear … getMilliseconds` accessors with and without a
// time zone argument.
//
// Ranges: a timestamp lies in 0001-01-01T00:00:00Z … 9999-12-31T23:59:59.999999999Z; a duration
// produced by CEL arithmetic or parsing must fit an int64 count of nanoseconds (about ±292
// years), as in cel-go — so `timestamp('9999-12-31T23:59:59Z') - timestamp('0001-01-01T00:00:00Z')`
// is a range error.

import SentinelModel

enum TimeMath {
  static let nanosPerSecond: Int64 = 1_000_000_000

  /// A duration from a signed nanosecond count (seconds and nanos share the sign).
  @inline(__always)
  static func duration(nanos n: Int64) -> Duration {
    Duration(seconds: n / nanosPerSecond, nanos: Int32(truncatingIfNeeded: n % nanosPerSecond))
  }

  static let timestampRange = rangeError("timestamp out of range")

  /// Whether a timestamp lies in CEL's range (values built outside CEL might not).
  @inline(__always)
  static func inRange(_ t: Timestamp) -> Bool {
    t.seconds >= Timestamp.minSeconds && t.seconds <= Timestamp.maxSeconds
  }
  static let durationRange = rangeError("duration out of range")

  /// `timestamp + duration`, a range error outside the timestamp range.
  static func add(_ t: Timestamp, _ d: Duration) -> Value {
    let (s, o) = t.seconds.addingReportingOverflow(d.seconds)
    if o { return timestampRange }
    guard let r = Timestamp.make(seconds: s, nanos: Int64(t.nanos) + Int64(d.nanos)) else {
      return timestampRange
    }
    return .timestamp(r)
  }

  /// `timestamp - duration`.
  static func subtract(_ t: Timestamp, _ d: Duration) -> Value {
    let (s, o) = t.seconds.subtractingReportingOverflow(d.seconds)
    if o { return timestampRange }
    guard let r = Timestamp.make(seconds: s, nanos: Int64(t.nanos) - Int64(d.nanos)) else {
      return timestampRange
    }
    return .timestamp(r)
  }

  /// `duration ± duration` on int64 nanoseconds.
  static func add(_ x: Duration, _ y: Duration, negate: Bool) -> Value {
    guard let a = x.totalNanos, let b = y.totalNanos else { return durationRange }
    let (r, o) = negate ? a.subtractingReportingOverflow(b) : a.addingReportingOverflow(b)
    return o ? durationRange : .duration(duration(nanos: r))
  }

  /// `timestamp - timestamp`, a range error when the span overflows int64 nanoseconds.
  static func difference(_ a: Timestamp, _ b: Timestamp) -> Value {
    let (s, o1) = a.seconds.subtractingReportingOverflow(b.seconds)
    let (sn, o2) = s.multipliedReportingOverflow(by: nanosPerSecond)
    let (n, o3) = sn.addingReportingOverflow(Int64(a.nanos) - Int64(b.nanos))
    if o1 || o2 || o3 { return durationRange }
    return .duration(duration(nanos: n))
  }

  // MARK: Duration strings

  /// Parses a Go-style duration string (`"1h2m3.5s"`, `"-1.5s"`, `"100ms"`, `"1us"`, `"1µs"`,
  /// `"1ns"`, `"0"`), as cel-go's `duration(string)` (time.ParseDuration); nil when malformed or
  /// outside the int64-nanosecond range.
  static func parseDuration(_ text: String) -> Duration? {
    withUTF8(text) { b -> Duration? in
      var i = 0
      var negative = false
      if i < b.count && (b[i] == 0x2D || b[i] == 0x2B) {
        negative = b[i] == 0x2D
        i += 1
      }
      if b.count - i == 1 && b[i] == 0x30 { return Duration(seconds: 0) }
      if i == b.count { return nil }
      var total: UInt64 = 0
      while i < b.count {
        // Number: digits, optionally a fraction; at least one digit overall.
        var whole: UInt64 = 0
        var sawDigits = false
        var overflow = false
        while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
          let (m, o1) = whole.multipliedReportingOverflow(by: 10)
          let (s, o2) = m.addingReportingOverflow(UInt64(b[i] - 0x30))
          overflow = overflow || o1 || o2
          whole = s
          sawDigits = true
          i += 1
        }
        if overflow { return nil }
        var frac: UInt64 = 0
        var scale: UInt64 = 1
        if i < b.count && b[i] == 0x2E {
          i += 1
          while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
            if scale < 1_000_000_000_000_000_000 {  // keep 18 digits; further ones cannot matter
              frac = frac * 10 + UInt64(b[i] - 0x30)
              scale *= 10
            }
            sawDigits = true
            i += 1
          }
        }
        guard sawDigits else { return nil }
        // Unit.
        let unitStart = i
        while i < b.count, !(b[i] >= 0x30 && b[i] <= 0x39), b[i] != 0x2E { i += 1 }
        guard let unit = unitNanos(UnsafeBufferPointer(rebasing: b[unitStart..<i])) else { return nil }
        let (v, o1) = whole.multipliedReportingOverflow(by: unit)
        if o1 { return nil }
        var component = v
        if frac > 0 {
          // frac/scale < 1, so frac * unit / scale < unit: exact in 128 bits.
          let p = frac.multipliedFullWidth(by: unit)
          let (q, _) = scale.dividingFullWidth((high: p.high, low: p.low))
          let (c, o2) = component.addingReportingOverflow(q)
          if o2 { return nil }
          component = c
        }
        let (t, o3) = total.addingReportingOverflow(component)
        if o3 || t > 1 << 63 { return nil }
        total = t
      }
      if negative {
        if total == 1 << 63 { return duration(nanos: .min) }
        return duration(nanos: -Int64(total))
      }
      guard total < 1 << 63 else { return nil }
      return duration(nanos: Int64(total))
    }
  }

  /// Nanoseconds in a duration unit: ns, us, µs (U+00B5), μs (U+03BC), ms, s, m, h.
  private static func unitNanos(_ u: UnsafeBufferPointer<UInt8>) -> UInt64? {
    switch u.count {
    case 1:
      switch u[0] {
      case 0x73: return 1_000_000_000  // s
      case 0x6D: return 60_000_000_000  // m
      case 0x68: return 3_600_000_000_000  // h
      default: return nil
      }
    case 2:
      guard u[1] == 0x73 else { return nil }
      switch u[0] {
      case 0x6E: return 1  // ns
      case 0x75: return 1_000  // us
      case 0x6D: return 1_000_000  // ms
      default: return nil
      }
    case 3:
      guard u[2] == 0x73 else { return nil }
      if (u[0] == 0xC2 && u[1] == 0xB5) || (u[0] == 0xCE && u[1] == 0xBC) { return 1_000 }
      return nil
    default: return nil
    }
  }

  /// `string(duration)`: seconds with the fraction's trailing zeros removed and an `s`,
  /// e.g. `"3600s"`, `"1.5s"`, `"-0.000000001s"` (cel-go's format, computed exactly).
  static func format(_ d: Duration) -> String {
    let negative = d.seconds < 0 || d.nanos < 0
    var out = negative ? "-" : ""
    out += String(d.seconds.magnitude)
    appendFraction(&out, Int64(d.nanos.magnitude))
    out += "s"
    return out
  }

  /// `string(timestamp)`: RFC 3339 in UTC with the fraction's trailing zeros removed
  /// (Go's RFC3339Nano), e.g. `"2009-02-13T23:31:30.5Z"`.
  static func format(_ t: Timestamp) -> String {
    let (days, secs) = t.seconds.floorDivMod(86_400)
    let c = CivilDate(daysSinceEpoch: days)
    var out = ""
    out.reserveCapacity(32)
    appendPadded(&out, c.year, 4)
    out += "-"
    appendPadded(&out, c.month, 2)
    out += "-"
    appendPadded(&out, c.day, 2)
    out += "T"
    appendPadded(&out, secs / 3600, 2)
    out += ":"
    appendPadded(&out, (secs % 3600) / 60, 2)
    out += ":"
    appendPadded(&out, secs % 60, 2)
    appendFraction(&out, Int64(t.nanos))
    out += "Z"
    return out
  }

  private static func appendPadded(_ out: inout String, _ v: Int64, _ width: Int) {
    let s = String(v)
    if s.utf8.count < width { out += String(repeating: "0", count: width - s.utf8.count) }
    out += s
  }

  /// `.5`, `.000000001`, … for a nanosecond count (trailing zeros dropped); nothing for zero.
  static func appendFraction(_ out: inout String, _ nanos: Int64) {
    guard nanos > 0 else { return }
    var n = nanos
    var width = 9
    while n % 10 == 0 {
      n /= 10
      width -= 1
    }
    let s = String(n)
    out += "."
    if s.utf8.count < width { out += String(repeating: "0", count: width - s.utf8.count) }
    out += s
  }
}

// MARK: - Accessors

/// The broken-down civil time of a timestamp at a UTC offset.
struct CivilTime {
  var year: Int64
  var month: Int64  // 1...12
  var day: Int64  // 1...31
  var dayOfYear: Int64  // 0-based
  var weekday: Int64  // 0 = Sunday
  var hour: Int64
  var minute: Int64
  var second: Int64
  var millisecond: Int64

  init(_ t: Timestamp, offset: Int64) {
    let (days, secs) = (t.seconds + offset).floorDivMod(86_400)
    let c = CivilDate(daysSinceEpoch: days)
    year = c.year
    month = c.month
    day = c.day
    dayOfYear = days - CivilDate.daysSinceEpoch(year: c.year, month: 1, day: 1)
    weekday = CivilDate.weekday(daysSinceEpoch: days)
    hour = secs / 3600
    minute = (secs % 3600) / 60
    second = secs % 60
    millisecond = Int64(t.nanos) / 1_000_000
  }
}

enum TimeFunctions {
  typealias Field = @Sendable (CivilTime) -> Int64

  /// (function, UTC overload id, with-time-zone overload id, field).
  static let accessors: [(String, String, String, Field)] = [
    ("getFullYear", "timestamp_to_year", "timestamp_to_year_with_tz", { $0.year }),
    ("getMonth", "timestamp_to_month", "timestamp_to_month_with_tz", { $0.month - 1 }),
    ("getDayOfYear", "timestamp_to_day_of_year", "timestamp_to_day_of_year_with_tz", { $0.dayOfYear }),
    ("getDayOfMonth", "timestamp_to_day_of_month", "timestamp_to_day_of_month_with_tz", { $0.day - 1 }),
    ("getDate", "timestamp_to_day_of_month_1_based", "timestamp_to_day_of_month_1_based_with_tz", { $0.day }),
    ("getDayOfWeek", "timestamp_to_day_of_week", "timestamp_to_day_of_week_with_tz", { $0.weekday }),
    ("getHours", "timestamp_to_hours", "timestamp_to_hours_with_tz", { $0.hour }),
    ("getMinutes", "timestamp_to_minutes", "timestamp_to_minutes_with_tz", { $0.minute }),
    ("getSeconds", "timestamp_to_seconds", "timestamp_to_seconds_tz", { $0.second }),
    ("getMilliseconds", "timestamp_to_milliseconds", "timestamp_to_milliseconds_with_tz", { $0.millisecond }),
  ]

  static let overloads: [Overload] = {
    var out: [Overload] = []
    for (fn, id, tzID, field) in accessors {
      out.append(
        Overload(
          id, fn, receiver: true, [.timestamp], .int,
          .unary { a in
            guard case .timestamp(let t) = a else { return noOverload(fn, a) }
            guard TimeMath.inRange(t) else { return TimeMath.timestampRange }
            return .int(field(CivilTime(t, offset: 0)))
          }))
      out.append(
        Overload(
          tzID, fn, receiver: true, [.timestamp, .string], .int, cost: Cost.timeZone,
          .binary { a, b in
            guard case .timestamp(let t) = a, case .string(let tz) = b else { return noOverload(fn, a, b) }
            guard TimeMath.inRange(t) else { return TimeMath.timestampRange }
            guard let zone = TimeZones.zone(named: tz) else {
              return err(.invalidArgument, "unknown time zone: '\(tz)'")
            }
            return .int(field(CivilTime(t, offset: zone.offset(at: t.seconds))))
          }))
    }
    // Duration accessors: whole hours, minutes and seconds of the span (truncated toward zero),
    // and the milliseconds portion (langdef: getMilliseconds does not convert).
    let durationFields: [(String, String, @Sendable (Duration) -> Int64)] = [
      ("getHours", "duration_to_hours", { $0.seconds / 3600 }),
      ("getMinutes", "duration_to_minutes", { $0.seconds / 60 }),
      ("getSeconds", "duration_to_seconds", { $0.seconds }),
      ("getMilliseconds", "duration_to_milliseconds", { Int64($0.nanos) / 1_000_000 }),
    ]
    for (fn, id, field) in durationFields {
      out.append(
        Overload(
          id, fn, receiver: true, [.duration], .int,
          .unary { a in
            guard case .duration(let d) = a else { return noOverload(fn, a) }
            return .int(field(d))
          }))
    }
    return out
  }()
}
