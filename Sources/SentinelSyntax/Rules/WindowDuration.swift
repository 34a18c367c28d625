// Aggregate windows: the duration notation both front ends accept for `window:` and the
// canonical text the formatter writes.
//
//     duration  = component { component } ;
//     component = DIGIT { DIGIT } [ "." DIGIT { DIGIT } ] unit ;
//     unit      = "ns" | "us" | "ms" | "s" | "m" | "h" | "d" ;       (* d = 24h *)
//
// `60s`, `10m`, `1h30m`, `1.5h`, `500ms`, `7d`. The value is kept in nanoseconds (`Int64`, as
// `AggregateSpec.windowNanos`); it must be positive, a whole number of nanoseconds, and fit in
// 64 bits (about 292 years). Arithmetic is exact (no floating point): `1.1s` is 1,100,000,000 ns.

/// The duration notation of aggregate windows (`60s`, `1h30m`, `1.5h`, `7d`).
public enum WindowDuration {
  /// Why a window's text is not a valid duration.
  public struct Failure: Error, Sendable, Equatable {
    /// A one-line, lowercase message.
    public var message: String
    /// What to write instead, if there is something useful to say.
    public var help: String?
    /// The UTF-8 byte range of the text at fault, relative to the parsed text.
    public var range: Range<Int>
  }

  /// The units, largest first, with their length in nanoseconds.
  public static let units: [(name: String, nanos: Int64)] = [
    ("d", 86_400_000_000_000), ("h", 3_600_000_000_000), ("m", 60_000_000_000), ("s", 1_000_000_000),
    ("ms", 1_000_000), ("us", 1_000), ("ns", 1),
  ]

  /// The units the formatter writes: days are written in hours (`7d` → `168h`).
  static let canonicalUnits = units.filter { $0.name != "d" }

  static let unitList = "`ns`, `us`, `ms`, `s`, `m`, `h`, `d`"

  /// Common spellings of units that are not units here, with the unit to use.
  static let unitHelp: [String: String] = [
    "sec": "s", "secs": "s", "second": "s", "seconds": "s", "min": "m", "mins": "m", "minute": "m",
    "minutes": "m", "hr": "h", "hrs": "h", "hour": "h", "hours": "h", "day": "d", "days": "d",
    "µs": "us", "μs": "us", "msec": "ms", "millis": "ms",
  ]

  /// The window written as `text`, in nanoseconds.
  public static func parse(_ text: String) -> Result<Int64, Failure> {
    let b = Array(text.utf8)
    let all = 0..<b.count
    guard !b.isEmpty else {
      return .failure(
        Failure(message: "the window is empty", help: "write a duration such as `60s`", range: all))
    }
    if b[0] == Byte.minus || b[0] == Byte.plus {
      if b[0] == Byte.minus {
        return .failure(
          Failure(
            message: "the window must be positive, found `\(text)`",
            help: "a window is a length of time such as `60s`", range: all))
      }
      return .failure(
        Failure(
          message: "invalid window `\(text)`: a duration has no sign", help: "write `\(text.dropFirst())`",
          range: 0..<1))
    }
    var total: Int64 = 0
    var i = 0
    while i < b.count {
      let start = i
      while i < b.count && Byte.isDigit(b[i]) { i += 1 }
      guard i > start else {
        return .failure(
          Failure(
            message: "invalid window `\(text)`: expected a number at `\(suffix(b, from: start))`",
            help: "a window is a number and a unit, such as `60s` or `1h30m`", range: start..<b.count))
      }
      let whole = b[start..<i]
      var fraction: ArraySlice<UInt8> = []
      if i < b.count && b[i] == Byte.dot {
        let dot = i
        i += 1
        let fractionStart = i
        while i < b.count && Byte.isDigit(b[i]) { i += 1 }
        guard i > fractionStart else {
          return .failure(
            Failure(
              message: "invalid window `\(text)`: expected digits after `.`", help: "write `1.5h` or `90m`",
              range: dot..<(dot + 1)))
        }
        fraction = b[fractionStart..<i]
      }
      let numberEnd = i
      while i < b.count && !Byte.isDigit(b[i]) && b[i] != Byte.dot { i += 1 }
      let unitText = String(decoding: b[numberEnd..<i], as: UTF8.self)
      let number = String(decoding: b[start..<numberEnd], as: UTF8.self)
      guard !unitText.isEmpty else {
        return .failure(
          Failure(
            message: "invalid window `\(text)`: `\(number)` has no unit",
            help: "add a unit: `\(number)s`, `\(number)m`, `\(number)h`… (units are \(unitList))",
            range: start..<numberEnd))
      }
      guard let unit = units.first(where: { $0.name == unitText }) else {
        let help =
          unitHelp[unitText.lowercased()].map { "did you mean `\(number)\($0)`?" }
          ?? "units are \(unitList)"
        return .failure(
          Failure(
            message: "invalid window `\(text)`: unknown unit `\(unitText)`", help: help,
            range: numberEnd..<i))
      }
      let tooLong = Failure(
        message: "the window `\(text)` is too long", help: "windows are at most about 292 years (106,751d)",
        range: all)
      let value: Int64
      switch nanoseconds(whole, fraction, unit.nanos) {
      case .value(let v): value = v
      case .overflow: return .failure(tooLong)
      case .inexact:
        return .failure(
          Failure(
            message: "invalid window `\(text)`: `\(number)\(unitText)` is not a whole number of nanoseconds",
            help: "windows are counted in nanoseconds", range: start..<i))
      }
      let (sum, overflow) = total.addingReportingOverflow(value)
      guard !overflow else { return .failure(tooLong) }
      total = sum
    }
    guard total > 0 else {
      return .failure(
        Failure(
          message: "the window must be positive, found `\(text)`",
          help: "omit `window` for an aggregate over all time", range: all))
    }
    return .success(total)
  }

  /// What `nanoseconds` found.
  enum Component {
    case value(Int64)
    /// Past `Int64.max` nanoseconds.
    case overflow
    /// Not a whole number of nanoseconds (`0.5ns`).
    case inexact
  }

  /// `whole.fraction × unit` in nanoseconds, exactly.
  static func nanoseconds(_ whole: ArraySlice<UInt8>, _ fraction: ArraySlice<UInt8>, _ unit: Int64)
    -> Component
  {
    var w: Int64 = 0
    for d in whole {
      let (m, o1) = w.multipliedReportingOverflow(by: 10)
      let (a, o2) = m.addingReportingOverflow(Int64(d - 0x30))
      if o1 || o2 { return .overflow }
      w = a
    }
    let (base, o) = w.multipliedReportingOverflow(by: unit)
    if o { return .overflow }
    // Trailing zeros of the fraction say nothing; what is left must come to whole nanoseconds.
    var digits = Array(fraction)
    while digits.last == 0x30 { digits.removeLast() }
    if digits.isEmpty { return .value(base) }
    // The largest unit has 14 digits of nanoseconds: a longer fraction cannot be whole.
    guard digits.count <= 18 else { return .inexact }
    var f: Int64 = 0
    var scale: Int64 = 1
    for d in digits {
      f = f * 10 + Int64(d - 0x30)
      scale *= 10
    }
    // f × unit / scale with unit / scale reduced (coprime parts): whole iff scale's part divides f.
    let g = gcd(unit, scale)
    let unitPart = unit / g
    let scalePart = scale / g
    guard f % scalePart == 0 else { return .inexact }
    let (part, o3) = (f / scalePart).multipliedReportingOverflow(by: unitPart)
    if o3 { return .overflow }
    let (sum, o4) = base.addingReportingOverflow(part)
    return o4 ? .overflow : .value(sum)
  }

  static func gcd(_ a: Int64, _ b: Int64) -> Int64 {
    var (x, y) = (a, b)
    while y != 0 { (x, y) = (y, x % y) }
    return x
  }

  static func suffix(_ b: [UInt8], from i: Int) -> String {
    String(decoding: b[i...].prefix(12), as: UTF8.self)
  }

  /// The canonical text of a window: components from hours down to nanoseconds, zeros left
  /// out (`60s` → `1m`, `90m` → `1h30m`, `7d` → `168h`, `1.5s` → `1s500ms`). `parse` reads it
  /// back to the same value.
  public static func format(_ nanos: Int64) -> String {
    guard nanos > 0 else { return "0s" }
    var rest = nanos
    var out = ""
    for unit in canonicalUnits where rest >= unit.nanos {
      out += String(rest / unit.nanos) + unit.name
      rest %= unit.nanos
    }
    return out
  }
}
