// The compact binary form of an aggregate state, as the state store keeps it.
//
//   state    := version:u8 (= 1) kind:u8 flags:u8 [newest:time] storage
//   flags    := bit 0: `newest` present
//   storage  := tag:u8 payload (tags: `StorageTag`)
//   time     := seconds:zigzag-varint nanos:zigzag-varint (0 ≤ nanos < 10⁹)
//   entries  := n:varint (time [value])ⁿ        values are omitted for `count`
//   keys     := n:varint (string [time])ⁿ      strictly increasing byte order (canonical)
//
// The form is canonical: equal states encode to equal bytes. Decoding checks everything (tags,
// lengths, UTF-8, ranges, that the storage fits the kind, no trailing bytes) and never traps.

import SentinelModel

// MARK: - Codes

/// The format version this build writes and reads.
let aggregateStateFormatVersion: UInt8 = 1

extension AggregateKind {
  /// The kind's code in the binary form (stable; never reorder).
  var code: UInt8 {
    switch self {
    case .count: return 1
    case .sum: return 2
    case .distinct: return 3
    case .last: return 4
    case .stats: return 5
    case .seen: return 6
    }
  }

  init?(code: UInt8) {
    guard let k = AggregateKind.allCases.first(where: { $0.code == code }) else { return nil }
    self = k
  }
}

/// The tag of each storage form in the binary form.
enum StorageTag: UInt8 {
  case empty = 0
  case counter = 1
  case sum = 2
  case welford = 3
  case latest = 4
  case valueSet = 5
  case entries = 6
  case valueTimes = 7

  /// Whether a state of `kind` may hold this form.
  func fits(_ kind: AggregateKind) -> Bool {
    switch self {
    case .empty: return true
    case .entries: return kind != .distinct && kind != .seen
    case .counter: return kind == .count
    case .sum: return kind == .sum
    case .welford: return kind == .stats
    case .latest: return kind == .last
    case .valueSet, .valueTimes: return kind == .distinct || kind == .seen
    }
  }
}

// MARK: - Encoding

extension AggregateState {
  /// A compact binary form (canonical: equal states give equal bytes).
  public func encoded() -> [UInt8] {
    var w = ByteWriter()
    w.byte(aggregateStateFormatVersion)
    w.byte(kind.code)
    w.byte(newest == nil ? 0 : 1)
    if let n = newest { w.timestamp(n) }
    switch storage {
    case .empty: w.byte(StorageTag.empty.rawValue)
    case .counter(let c):
      w.byte(StorageTag.counter.rawValue)
      w.signed(c)
    case .sum(let s):
      w.byte(StorageTag.sum.rawValue)
      w.byte(s.intFailed ? 1 : 0)
      w.signed(s.int)
      w.double(s.double)
    case .welford(let s):
      w.byte(StorageTag.welford.rawValue)
      w.signed(s.count)
      w.double(s.mean)
      w.double(s.m2)
    case .latest(let e):
      w.byte(StorageTag.latest.rawValue)
      w.timestamp(e.time)
      w.value(e.value)
    case .valueSet(let keys):
      w.byte(StorageTag.valueSet.rawValue)
      w.varint(UInt64(keys.count))
      for k in keys.sorted(by: Self.precedes) { w.string(k) }
    case .entries(let xs):
      w.byte(StorageTag.entries.rawValue)
      w.varint(UInt64(xs.count))
      for e in xs {
        w.timestamp(e.time)
        if kind != .count { w.value(e.value) }
      }
    case .valueTimes(let times):
      w.byte(StorageTag.valueTimes.rawValue)
      w.varint(UInt64(times.count))
      for (k, t) in times.sorted(by: { Self.precedes($0.key, $1.key) }) {
        w.string(k)
        w.timestamp(t)
      }
    }
    return w.bytes
  }

  /// The canonical order of key forms: byte order of their UTF-8.
  static func precedes(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

  // MARK: - Decoding

  /// Decodes `encoded()`'s form; throws `AggregateStateDecodingError` (with the byte offset) on
  /// malformed bytes.
  public init(decoding bytes: [UInt8]) throws(AggregateStateDecodingError) {
    var r = ByteReader(bytes)
    let version = try r.byte("format version")
    guard version == aggregateStateFormatVersion else {
      throw r.fail("unsupported format version \(version) (expected \(aggregateStateFormatVersion))", at: 0)
    }
    let kindCode = try r.byte("kind")
    guard let kind = AggregateKind(code: kindCode) else {
      throw r.fail("unknown aggregate kind \(kindCode)", at: 1)
    }
    self.init(kind: kind)
    let flags = try r.byte("flags")
    guard flags & ~1 == 0 else { throw r.fail("unknown flags \(flags)", at: 2) }
    if flags & 1 != 0 { newest = try r.timestamp("newest time") }
    let tagOffset = r.offset
    let rawTag = try r.byte("storage tag")
    guard let tag = StorageTag(rawValue: rawTag) else {
      throw r.fail("unknown storage tag \(rawTag)", at: tagOffset)
    }
    guard tag.fits(kind) else {
      throw r.fail("storage \(tag) does not fit a \(kind) aggregate", at: tagOffset)
    }
    storage = try Self.decodeStorage(tag, kind, &r)
    guard r.isAtEnd else { throw r.fail("\(r.remaining) trailing bytes") }
    switch storage {
    case .entries(let xs): oldest = xs.lazy.map(\.time).min()
    case .valueTimes(let times): oldest = times.values.min()
    default: oldest = nil
    }
    if let o = oldest, newest.map({ $0 < o }) ?? true {
      throw r.fail("an entry is newer than the state's newest time")
    }
  }

  private static func decodeStorage(_ tag: StorageTag, _ kind: AggregateKind, _ r: inout ByteReader)
    throws(AggregateStateDecodingError) -> Storage
  {
    switch tag {
    case .empty: return .empty
    case .counter:
      let start = r.offset
      let c = try r.signed("count")
      guard c >= 0 else { throw r.fail("negative count \(c)", at: start) }
      return .counter(c)
    case .sum:
      let start = r.offset
      let flag = try r.byte("sum flags")
      guard flag <= 1 else { throw r.fail("unknown sum flags \(flag)", at: start) }
      let int = try r.signed("int sum")
      let double = try r.double("double sum")
      return .sum(RunningSum(int: int, intFailed: flag == 1, double: double))
    case .welford:
      let start = r.offset
      let count = try r.signed("stats count")
      guard count >= 0 else { throw r.fail("negative stats count \(count)", at: start) }
      let mean = try r.double("stats mean")
      let m2 = try r.double("stats M2")
      return .welford(Welford(count: count, mean: mean, m2: m2))
    case .latest:
      let time = try r.timestamp("last time")
      return .latest(Entry(time: time, value: try r.value()))
    case .valueSet:
      let n = try r.count("number of values")
      var keys: Set<String> = []
      keys.reserveCapacity(n)
      var previous: String?
      for _ in 0..<n {
        let start = r.offset
        let k = try r.string("value key")
        if let p = previous, !precedes(p, k) {
          throw r.fail("value keys not in strictly increasing order", at: start)
        }
        previous = k
        keys.insert(k)
      }
      return .valueSet(keys)
    case .entries:
      let n = try r.count("number of entries")
      var xs: [Entry] = []
      xs.reserveCapacity(n)
      for _ in 0..<n {
        let time = try r.timestamp("entry time")
        let start = r.offset
        let value: Value = kind == .count ? .null : try r.value()
        if (kind == .sum || kind == .stats) && numericValue(value) == nil {
          throw r.fail("\(kind) entry is not a number", at: start)
        }
        xs.append(Entry(time: time, value: value))
      }
      return .entries(xs)
    case .valueTimes:
      let n = try r.count("number of values")
      var times: [String: Timestamp] = [:]
      times.reserveCapacity(n)
      var previous: String?
      for _ in 0..<n {
        let start = r.offset
        let k = try r.string("value key")
        if let p = previous, !precedes(p, k) {
          throw r.fail("value keys not in strictly increasing order", at: start)
        }
        previous = k
        times[k] = try r.timestamp("value time")
      }
      return .valueTimes(times)
    }
  }
}
