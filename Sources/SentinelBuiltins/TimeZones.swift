// Time zones for the timestamp accessors (langdef "Timezones"):
//
// * `"UTC"` (and `""`) is UTC;
// * a string with a `:` is a fixed offset, `[+|-]H[H]:MM` (`"+05:30"`, `"-08:00"`, `"02:00"`),
//   parsed as cel-go does (the sign applies to hours and minutes);
// * anything else is an IANA zone name (`"America/Los_Angeles"`, `"US/Central"`), read from the
//   system's TZif files (`$TZDIR`, else /usr/share/zoneinfo, as Debian's `tzdata` installs them).
//   Instants after a file's last transition use the POSIX TZ rule in the file's footer, so zones
//   keep their DST rules up to year 9999. Loaded zones are cached process-wide (thread-safe).
//
// Legacy names that newer distributions moved to `tzdata-legacy` (`US/Central`, …) fall back to
// their canonical zone when the file is missing.

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
import Synchronization

/// A resolved time zone: a fixed offset or a loaded IANA zone.
enum ResolvedZone {
  case fixed(Int64)
  case iana(ZoneInfo)

  /// Seconds east of UTC in effect at a UTC instant.
  func offset(at utcSeconds: Int64) -> Int64 {
    switch self {
    case .fixed(let o): return o
    case .iana(let z): return z.offset(at: utcSeconds)
    }
  }
}

enum TimeZones {
  /// Resolves a CEL time zone argument, or nil when it names no zone.
  static func zone(named name: String) -> ResolvedZone? {
    if name == "UTC" || name.isEmpty { return .fixed(0) }
    if name.utf8.contains(0x3A) { return fixedOffset(name).map { .fixed($0) } }
    return ianaZone(name).map { .iana($0) }
  }

  /// `[+|-]H[H]:MM` → seconds east of UTC (cel-go: `-02:30` is −2h30m).
  static func fixedOffset(_ s: String) -> Int64? {
    let b = Array(s.utf8)
    var i = 0
    var sign: Int64 = 1
    if i < b.count && (b[i] == 0x2B || b[i] == 0x2D) {
      if b[i] == 0x2D { sign = -1 }
      i += 1
    }
    var hours: Int64 = 0
    var n = 0
    while i < b.count, b[i] >= 0x30, b[i] <= 0x39, n < 2 {
      hours = hours * 10 + Int64(b[i] - 0x30)
      i += 1
      n += 1
    }
    guard n > 0, i + 3 == b.count, b[i] == 0x3A,
      b[i + 1] >= 0x30, b[i + 1] <= 0x35, b[i + 2] >= 0x30, b[i + 2] <= 0x39
    else { return nil }
    let minutes = Int64(b[i + 1] - 0x30) * 10 + Int64(b[i + 2] - 0x30)
    return sign * (hours * 3600 + minutes * 60)
  }

  // MARK: IANA zones

  private struct Cache: ~Copyable {
    var zones: [String: ZoneInfo] = [:]
    var missing: Set<String> = []
  }
  private static let cache = Mutex(Cache())
  private static let maxMissing = 256

  static func ianaZone(_ name: String) -> ZoneInfo? {
    if let hit = cache.withLock({ c -> ZoneInfo?? in
      if let z = c.zones[name] { return .some(z) }
      if c.missing.contains(name) { return .some(nil) }
      return nil
    }) {
      return hit
    }
    let loaded = load(name) ?? legacyAliases[name].flatMap(load)
    cache.withLock { c in
      if let z = loaded {
        c.zones[name] = z
      } else if c.missing.count < maxMissing {
        c.missing.insert(name)
      }
    }
    return loaded
  }

  /// Whether a zone name is safe to use as a relative path under the zoneinfo directory.
  static func isValidName(_ name: String) -> Bool {
    let b = name.utf8
    guard !b.isEmpty, b.count <= 128, b.first != 0x2F else { return false }
    var previous: UInt8 = 0x2F
    for c in b {
      let ok =
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39)
        || c == 0x2F || c == 0x5F || c == 0x2D || c == 0x2B || c == 0x2E
      guard ok else { return false }
      if c == 0x2E && previous == 0x2E { return false }  // no ".."
      if c == 0x2E && previous == 0x2F { return false }  // no hidden or "./" segments
      previous = c
    }
    return true
  }

  static var searchDirectories: [String] {
    var dirs: [String] = []
    if let env = getenv("TZDIR") { dirs.append(String(cString: env)) }
    dirs += ["/usr/share/zoneinfo", "/usr/lib/zoneinfo", "/usr/share/lib/zoneinfo", "/etc/zoneinfo"]
    return dirs
  }

  private static func load(_ name: String) -> ZoneInfo? {
    guard isValidName(name) else { return nil }
    for dir in searchDirectories {
      if let bytes = readFile(dir + "/" + name), let z = ZoneInfo(tzif: bytes) { return z }
    }
    return nil
  }

  /// Reads a whole (small) file; nil when it cannot be read or exceeds 1 MiB.
  static func readFile(_ path: String) -> [UInt8]? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
      let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
      if n > 0 { out.append(contentsOf: chunk[0..<n]) }
      if n < chunk.count { break }
      if out.count > 1 << 20 { return nil }
    }
    return ferror(f) == 0 ? out : nil
  }

  /// Backward-compatible names (tzdata's `backward` file) for systems without `tzdata-legacy`.
  static let legacyAliases: [String: String] = [
    "US/Alaska": "America/Anchorage", "US/Aleutian": "America/Adak", "US/Arizona": "America/Phoenix",
    "US/Central": "America/Chicago", "US/East-Indiana": "America/Indiana/Indianapolis",
    "US/Eastern": "America/New_York", "US/Hawaii": "Pacific/Honolulu",
    "US/Indiana-Starke": "America/Indiana/Knox", "US/Michigan": "America/Detroit",
    "US/Mountain": "America/Denver", "US/Pacific": "America/Los_Angeles", "US/Samoa": "Pacific/Pago_Pago",
    "Canada/Atlantic": "America/Halifax", "Canada/Central": "America/Winnipeg",
    "Canada/Eastern": "America/Toronto", "Canada/Mountain": "America/Edmonton",
    "Canada/Newfoundland": "America/St_Johns", "Canada/Pacific": "America/Vancouver",
    "Europe/Kiev": "Europe/Kyiv", "Asia/Calcutta": "Asia/Kolkata", "Asia/Katmandu": "Asia/Kathmandu",
    "Asia/Saigon": "Asia/Ho_Chi_Minh", "Asia/Rangoon": "Asia/Yangon",
    "America/Buenos_Aires": "America/Argentina/Buenos_Aires", "Australia/ACT": "Australia/Sydney",
    "Australia/NSW": "Australia/Sydney", "Brazil/East": "America/Sao_Paulo", "GB": "Europe/London",
    "Japan": "Asia/Tokyo", "PRC": "Asia/Shanghai", "ROK": "Asia/Seoul", "Singapore": "Asia/Singapore",
    "Hongkong": "Asia/Hong_Kong", "Israel": "Asia/Jerusalem", "Turkey": "Europe/Istanbul",
    "NZ": "Pacific/Auckland", "Zulu": "Etc/UTC", "UCT": "Etc/UTC", "Universal": "Etc/UTC",
    "Etc/Zulu": "Etc/UTC", "Etc/UCT": "Etc/UTC", "Etc/Universal": "Etc/UTC", "GMT": "Etc/GMT",
    "Greenwich": "Etc/GMT", "Etc/Greenwich": "Etc/GMT", "GMT0": "Etc/GMT", "GMT+0": "Etc/GMT",
    "GMT-0": "Etc/GMT",
  ]
}

// MARK: - TZif

/// An IANA zone loaded from a TZif file (RFC 8536): UTC offsets by transition, plus the footer's
/// POSIX rule for instants after the last transition.
struct ZoneInfo: Sendable {
  var transitions: [Int64] = []
  var offsets: [Int32] = []  // offset in effect from transitions[i]
  var initialOffset: Int32 = 0  // before the first transition (time type 0)
  var rule: PosixTZ?

  /// Seconds east of UTC at a UTC instant.
  func offset(at t: Int64) -> Int64 {
    guard let first = transitions.first, let last = transitions.last else {
      return rule?.offset(at: t) ?? Int64(initialOffset)
    }
    if t < first { return Int64(initialOffset) }
    if t >= last, let rule { return rule.offset(at: t) }
    var lo = 0
    var hi = transitions.count - 1
    while lo < hi {  // last index with transitions[i] <= t
      let mid = (lo + hi + 1) / 2
      if transitions[mid] <= t { lo = mid } else { hi = mid - 1 }
    }
    return Int64(offsets[lo])
  }

  init?(tzif b: [UInt8]) {
    guard b.count >= 44, b[0] == 0x54, b[1] == 0x5A, b[2] == 0x69, b[3] == 0x66 else { return nil }
    func be32(_ at: Int) -> Int64? {
      guard at >= 0, at + 4 <= b.count else { return nil }
      let v = UInt32(b[at]) << 24 | UInt32(b[at + 1]) << 16 | UInt32(b[at + 2]) << 8 | UInt32(b[at + 3])
      return Int64(Int32(bitPattern: v))
    }
    func be64(_ at: Int) -> Int64? {
      guard at >= 0, at + 8 <= b.count, let hi = be32(at), let lo = be32(at + 4) else { return nil }
      return hi << 32 | (lo & 0xFFFF_FFFF)
    }
    struct Header {
      var isut = 0, isstd = 0, leap = 0, time = 0, type = 0, char = 0
    }
    func header(_ at: Int) -> Header? {
      guard at + 44 <= b.count, b[at] == 0x54, b[at + 1] == 0x5A, b[at + 2] == 0x69, b[at + 3] == 0x66
      else { return nil }
      var h = Header()
      let counts = (0..<6).compactMap { be32(at + 20 + 4 * $0) }
      guard counts.count == 6, counts.allSatisfy({ $0 >= 0 && $0 < 1 << 20 }) else { return nil }
      (h.isut, h.isstd, h.leap, h.time, h.type, h.char) =
        (Int(counts[0]), Int(counts[1]), Int(counts[2]), Int(counts[3]), Int(counts[4]), Int(counts[5]))
      return h
    }
    guard var h = header(0) else { return nil }
    var base = 44
    var timeSize = 4
    let version = b[4]
    if version >= 0x32 {  // '2' or later: skip the v1 block, use the 64-bit one
      let v1 = h.time * 4 + h.time + h.type * 6 + h.char + h.leap * 8 + h.isstd + h.isut
      guard let h2 = header(base + v1) else { return nil }
      h = h2
      base += v1 + 44
      timeSize = 8
    }
    guard h.type > 0 else { return nil }
    let idxBase = base + h.time * timeSize
    let typeBase = idxBase + h.time
    let charBase = typeBase + h.type * 6
    let end = charBase + h.char + h.leap * (timeSize + 4) + h.isstd + h.isut
    guard end <= b.count else { return nil }
    var typeOffsets: [Int32] = []
    for i in 0..<h.type {
      guard let o = be32(typeBase + 6 * i) else { return nil }
      typeOffsets.append(Int32(truncatingIfNeeded: o))
    }
    initialOffset = typeOffsets[0]
    transitions.reserveCapacity(h.time)
    offsets.reserveCapacity(h.time)
    for i in 0..<h.time {
      guard let t = timeSize == 8 ? be64(base + 8 * i) : be32(base + 4 * i) else { return nil }
      let idx = Int(b[idxBase + i])
      guard idx < typeOffsets.count else { return nil }
      transitions.append(t)
      offsets.append(typeOffsets[idx])
    }
    if version >= 0x32, end < b.count, b[end] == 0x0A {
      var j = end + 1
      while j < b.count && b[j] != 0x0A { j += 1 }
      if j < b.count, j > end + 1 {
        rule = PosixTZ(Array(b[(end + 1)..<j]))
      }
    }
  }
}
