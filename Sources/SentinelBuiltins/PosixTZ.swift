// POSIX TZ rule strings, as found in a TZif footer (RFC 8536 section 3.3), e.g.
// `PST8PDT,M3.2.0,M11.1.0`, `<+0545>-5:45`, `AEST-10AEDT,M10.1.0,M4.1.0/3`.
// Used for instants after a zone's last explicit transition.

import SentinelModel

/// A parsed POSIX TZ rule: a standard offset and, optionally, a DST offset with its start and
/// end rules. Offsets are seconds east of UTC (POSIX writes them west-positive; parsing negates).
struct PosixTZ: Sendable {
  enum Day: Sendable {
    case julianNoLeap(Int64)  // Jn: 1...365, February 29 never counted
    case julian(Int64)  // n: 0...365
    case monthWeekDay(month: Int64, week: Int64, weekday: Int64)  // Mm.w.d
  }
  struct Transition: Sendable {
    var day: Day
    var time: Int64  // seconds after local midnight (may be negative or exceed a day)
  }

  var standard: Int64
  var daylight: (offset: Int64, start: Transition, end: Transition)?

  init?(_ s: [UInt8]) {
    var i = 0
    func name() -> Bool {
      if i < s.count && s[i] == 0x3C {  // <...>
        while i < s.count && s[i] != 0x3E { i += 1 }
        guard i < s.count else { return false }
        i += 1
        return true
      }
      let start = i
      while i < s.count, (s[i] >= 0x41 && s[i] <= 0x5A) || (s[i] >= 0x61 && s[i] <= 0x7A) { i += 1 }
      return i > start
    }
    func number(max: Int64) -> Int64? {
      var v: Int64 = 0
      var n = 0
      while i < s.count, s[i] >= 0x30, s[i] <= 0x39, n < 4 {
        v = v * 10 + Int64(s[i] - 0x30)
        i += 1
        n += 1
      }
      return n > 0 && v <= max ? v : nil
    }
    /// `[+|-]hh[:mm[:ss]]` in seconds.
    func hms(maxHours: Int64) -> Int64? {
      var sign: Int64 = 1
      if i < s.count && (s[i] == 0x2B || s[i] == 0x2D) {
        if s[i] == 0x2D { sign = -1 }
        i += 1
      }
      guard let h = number(max: maxHours) else { return nil }
      var total = h * 3600
      if i < s.count && s[i] == 0x3A {
        i += 1
        guard let m = number(max: 59) else { return nil }
        total += m * 60
        if i < s.count && s[i] == 0x3A {
          i += 1
          guard let sec = number(max: 59) else { return nil }
          total += sec
        }
      }
      return sign * total
    }
    func transition() -> Transition? {
      var day: Day
      if i < s.count && s[i] == 0x4A {  // J
        i += 1
        guard let n = number(max: 365), n >= 1 else { return nil }
        day = .julianNoLeap(n)
      } else if i < s.count && s[i] == 0x4D {  // M
        i += 1
        guard let m = number(max: 12), m >= 1, i < s.count, s[i] == 0x2E else { return nil }
        i += 1
        guard let w = number(max: 5), w >= 1, i < s.count, s[i] == 0x2E else { return nil }
        i += 1
        guard let d = number(max: 6) else { return nil }
        day = .monthWeekDay(month: m, week: w, weekday: d)
      } else {
        guard let n = number(max: 365) else { return nil }
        day = .julian(n)
      }
      var time: Int64 = 7200
      if i < s.count && s[i] == 0x2F {
        i += 1
        guard let t = hms(maxHours: 167) else { return nil }
        time = t
      }
      return Transition(day: day, time: time)
    }

    guard name(), let std = hms(maxHours: 24) else { return nil }
    standard = -std
    if i == s.count {
      daylight = nil
      return
    }
    guard name() else { return nil }
    var dst = standard + 3600
    if i < s.count && s[i] != 0x2C {
      guard let d = hms(maxHours: 24) else { return nil }
      dst = -d
    }
    var start = Transition(day: .monthWeekDay(month: 3, week: 2, weekday: 0), time: 7200)
    var end = Transition(day: .monthWeekDay(month: 11, week: 1, weekday: 0), time: 7200)
    if i < s.count {
      guard s[i] == 0x2C else { return nil }
      i += 1
      guard let a = transition(), i < s.count, s[i] == 0x2C else { return nil }
      i += 1
      guard let z = transition(), i == s.count else { return nil }
      start = a
      end = z
    }
    daylight = (dst, start, end)
  }

  /// Days since the epoch of a rule's date in a year.
  static func day(_ d: Day, year: Int64) -> Int64 {
    let jan1 = CivilDate.daysSinceEpoch(year: year, month: 1, day: 1)
    switch d {
    case .julianNoLeap(let n):
      return jan1 + n - 1 + (CivilDate.isLeap(year) && n >= 60 ? 1 : 0)
    case .julian(let n):
      return jan1 + n
    case .monthWeekDay(let m, let w, let wd):
      let first = CivilDate.daysSinceEpoch(year: year, month: m, day: 1)
      let firstWeekday = CivilDate.weekday(daysSinceEpoch: first)
      var day = first + (wd - firstWeekday + 7) % 7 + (w - 1) * 7
      let limit = first + CivilDate.daysIn(year: year, month: m)
      while day >= limit { day -= 7 }
      return day
    }
  }

  /// Seconds east of UTC at a UTC instant.
  func offset(at t: Int64) -> Int64 {
    guard let dst = daylight else { return standard }
    let (days, _) = (t + standard).floorDivMod(86_400)
    let year = CivilDate(daysSinceEpoch: days).year
    // Start is given in local standard time, end in local daylight time.
    let start = PosixTZ.day(dst.start.day, year: year) * 86_400 + dst.start.time - standard
    let end = PosixTZ.day(dst.end.day, year: year) * 86_400 + dst.end.time - dst.offset
    if start < end {
      return t >= start && t < end ? dst.offset : standard
    }
    return t >= end && t < start ? standard : dst.offset  // southern hemisphere
  }
}
