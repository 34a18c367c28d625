// The compact binary form of an aggregate state, as the state store keeps it. It is written and
// read with SentinelBytecode's `ByteWriter`/`ByteReader` (docs/bytecode.md), so values, types,
// strings and integers share the program format's encoding and its bounds-checked reading.
//
//   state    := version:u8 (= 2) kind:u8 flags:u8 [newest:time] storage
//   flags    := bit 0: `newest` present
//   storage  := tag:u8 payload (tags: `StorageTag`)
//   time     := seconds:i64 nanos:u32 (a valid timestamp)
//   counter  := i64 (≥ 0)
//   sum      := intFailed:u8 int:i64 double:f64
//   welford  := count:i64 (≥ 0) mean:f64 m2:f64
//   latest   := time value
//   entries  := n:u32 (time [value])ⁿ        values are omitted for `count`
//   keys     := n:u32 (string [time])ⁿ       strictly increasing byte order (canonical)
//
// Integers and doubles are little-endian; `value` and `string` are the program format's. The form
// is canonical: equal states encode to equal bytes. Decoding checks everything (tags, lengths
// before allocating, UTF-8, ranges, that the storage fits the kind, no trailing bytes) and never
// traps; it throws `AggregateStateDecodingError` with the byte offset.

import SentinelBytecode
import SentinelModel

// MARK: - Errors

/// Malformed aggregate-state bytes: where, and what was wrong.
public struct AggregateStateDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The byte offset where decoding failed.
  public var offset: Int
  /// What was wrong, in lowercase.
  public var message: String

  /// Creates an error at `offset`.
  public init(offset: Int, message: String) {
    self.offset = offset
    self.message = message
  }

  /// A one-line rendering, `malformed aggregate state at byte N: …`.
  public var description: String { "malformed aggregate state at byte \(offset): \(message)" }
}

// MARK: - Codes

/// The format version this build writes and reads; also `meta.state_encoding` of a state
/// database. Version 1 used varints and a codec of its own; 2 uses SentinelBytecode's.
let aggregateStateFormatVersion: UInt8 = 2

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
    w.u8(aggregateStateFormatVersion)
    w.u8(kind.code)
    w.u8(newest == nil ? 0 : 1)
    if let n = newest { w.timestamp(n) }
    switch storage {
    case .empty: w.u8(StorageTag.empty.rawValue)
    case .counter(let c):
      w.u8(StorageTag.counter.rawValue)
      w.i64(c)
    case .sum(let s):
      w.u8(StorageTag.sum.rawValue)
      w.u8(s.intFailed ? 1 : 0)
      w.i64(s.int)
      w.f64(s.double)
    case .welford(let s):
      w.u8(StorageTag.welford.rawValue)
      w.i64(s.count)
      w.f64(s.mean)
      w.f64(s.m2)
    case .latest(let v):
      w.u8(StorageTag.latest.rawValue)
      w.timestamp(latestTime)
      w.value(v)
    case .valueSet(let keys):
      w.u8(StorageTag.valueSet.rawValue)
      w.u32(UInt32(keys.count))
      for k in keys.sorted(by: Self.precedes) { w.string(k) }
    case .oneValue(let k):
      // As `.valueSet([k])` (the inline form is not a form of its own).
      w.u8(StorageTag.valueSet.rawValue)
      w.u32(1)
      w.string(k)
    case .fewTimes(let f):
      // As `.entries` of its times (a `count`'s entries carry no value).
      w.u8(StorageTag.entries.rawValue)
      w.u32(UInt32(f.count))
      w.timestamp(f.first)
      if let s = f.second { w.timestamp(s) }
    case .entries(let xs):
      w.u8(StorageTag.entries.rawValue)
      w.u32(UInt32(xs.count))
      for e in xs {
        w.timestamp(e.time)
        if kind != .count { w.value(e.value) }
      }
    case .valueTimes(let times):
      w.u8(StorageTag.valueTimes.rawValue)
      w.u32(UInt32(times.count))
      for (k, t) in times.sorted(by: { Self.precedes($0.key, $1.key) }) {
        w.string(k)
        w.timestamp(t)
      }
    }
    return w.out
  }

  /// The canonical order of key forms: byte order of their UTF-8.
  static func precedes(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

  // MARK: - Decoding

  /// Decodes `encoded()`'s form; throws `AggregateStateDecodingError` (with the byte offset) on
  /// malformed bytes.
  public init(decoding bytes: [UInt8]) throws(AggregateStateDecodingError) {
    do {
      self = try Self.decode(bytes)
    } catch {
      throw AggregateStateDecodingError(offset: error.offset, message: error.message)
    }
  }

  private static func decode(_ bytes: [UInt8]) throws(BytecodeError) -> AggregateState {
    // Counts are bounded by the bytes left (each item takes at least one), not by the program
    // format's table limit: a state may hold more entries than a program has constants.
    var r = ByteReader(bytes, maxCount: .max)
    let version = try r.u8()
    guard version == aggregateStateFormatVersion else {
      throw BytecodeError(
        offset: 0, "unsupported format version \(version) (expected \(aggregateStateFormatVersion))")
    }
    let kindCode = try r.u8()
    guard let kind = AggregateKind(code: kindCode) else {
      throw BytecodeError(offset: 1, "unknown aggregate kind \(kindCode)")
    }
    var s = AggregateState(kind: kind)
    let flags = try r.u8()
    guard flags & ~1 == 0 else { throw BytecodeError(offset: 2, "unknown flags \(flags)") }
    if flags & 1 != 0 { s.newest = try r.timestamp() }
    let tagOffset = r.pos
    let rawTag = try r.u8()
    guard let tag = StorageTag(rawValue: rawTag) else {
      throw BytecodeError(offset: tagOffset, "unknown storage tag \(rawTag)")
    }
    guard tag.fits(kind) else {
      throw BytecodeError(offset: tagOffset, "storage \(tag) does not fit a \(kind) aggregate")
    }
    let latestTime = tag == .latest ? try r.timestamp() : nil
    s.storage = try decodeStorage(tag, kind, &r)
    guard r.remaining == 0 else { throw BytecodeError(offset: r.pos, "\(r.remaining) trailing bytes") }
    switch s.storage {
    case .entries(let xs): s.oldest = xs.lazy.map(\.time).min()
    case .valueTimes(let times): s.oldest = times.values.min()
    default: s.oldest = nil
    }
    if let t = latestTime { s.latestTime = t }
    if !s.isLatest, let o = s.oldest, s.newest.map({ $0 < o }) ?? true {
      throw BytecodeError(offset: r.pos, "an entry is newer than the state's newest time")
    }
    return s
  }

  private static func decodeStorage(_ tag: StorageTag, _ kind: AggregateKind, _ r: inout ByteReader)
    throws(BytecodeError) -> Storage
  {
    let start = r.pos
    switch tag {
    case .empty: return .empty
    case .counter:
      let c = try r.i64()
      guard c >= 0 else { throw BytecodeError(offset: start, "negative count \(c)") }
      return .counter(c)
    case .sum:
      let flag = try r.u8()
      guard flag <= 1 else { throw BytecodeError(offset: start, "unknown sum flags \(flag)") }
      return .sum(RunningSum(int: try r.i64(), intFailed: flag == 1, double: try r.f64()))
    case .welford:
      let count = try r.i64()
      guard count >= 0 else { throw BytecodeError(offset: start, "negative stats count \(count)") }
      return .welford(Welford(count: count, mean: try r.f64(), m2: try r.f64()))
    case .latest:
      // Its time was read before (`decode`: the state's `latestTime`).
      return .latest(try r.value())
    case .valueSet:
      let n = try r.count("value")
      var keys = Set<String>(minimumCapacity: n)
      var previous: String?
      for _ in 0..<n { keys.insert(try nextKey(&r, after: &previous)) }
      return .valueSet(keys)
    case .entries:
      let n = try r.count("entry")
      var xs: [Entry] = []
      xs.reserveCapacity(n)
      for _ in 0..<n {
        let time = try r.timestamp()
        let at = r.pos
        let value: Value = kind == .count ? .null : try r.value()
        if (kind == .sum || kind == .stats) && numericValue(value) == nil {
          throw BytecodeError(offset: at, "\(kind) entry is not a number")
        }
        xs.append(Entry(time: time, value: value))
      }
      return .entries(xs)
    case .valueTimes:
      let n = try r.count("value")
      var times = [String: Timestamp](minimumCapacity: n)
      var previous: String?
      for _ in 0..<n { times[try nextKey(&r, after: &previous)] = try r.timestamp() }
      return .valueTimes(times)
    }
  }

  /// The next value key, which must follow `previous` in the canonical order.
  private static func nextKey(_ r: inout ByteReader, after previous: inout String?) throws(BytecodeError)
    -> String
  {
    let at = r.pos
    let k = try r.string()
    if let p = previous, !precedes(p, k) {
      throw BytecodeError(offset: at, "value keys not in strictly increasing order")
    }
    previous = k
    return k
  }
}
