// The per-(aggregate, key) state of one aggregate, and what it remembers for each kind.
//
// Semantics (REFERENCE_RULES.md, "Processing order and state"): a window of length W at event
// time t holds the recorded entries with time in (t − W, t]; equal timestamps are inside each
// other's windows; an entry recorded earlier in processing order but with a time later than t is
// not in the window at t. Unbounded aggregates hold every recorded entry, whatever its time.
//
// Memory is bounded: `apply` drops the entries with time ≤ newest − W, where `newest` is the
// greatest time recorded for the key. NOTE: so an out-of-order event (time t < newest) reads a
// window whose part (t − W, newest − W] is already gone; with non-decreasing times (the
// reference corpus, and any in-order stream) every reading is exact. Windowed `distinct` and
// `seen` keep one time per value, its latest, so an out-of-order event also misses a value whose
// latest time is after t even if an earlier occurrence lies in its window.

public import SentinelModel

// MARK: - AggregateState

/// The state of one aggregate for one key: what it needs to answer readings at later events.
public struct AggregateState: Sendable, Equatable {
  // NOTE: the two times are kept as their parts (nanoseconds `noTime`: nil), the kind last and
  // the unbounded `last` entry's time beside `oldest` (which that form never needs), so that a
  // state takes 51 bytes and the cache's slot 56, not 85 and 88: ~16,000 keys × 8 slots of the
  // reference corpus touch 7 MB, not 11 (docs/performance.md, "s17-agg: the aggregates on the
  // deciding thread (session 17, issue 4)").
  private var newestSeconds: Int64 = 0
  private var timeSeconds: Int64 = 0
  private var newestNanos: Int32 = noTime
  private var timeNanos: Int32 = noTime
  /// What is remembered, in a form that depends on the kind and on whether it is windowed.
  var storage: Storage
  /// The kind of aggregate this state belongs to.
  public private(set) var kind: AggregateKind

  /// The nanoseconds of a time that is nil (a timestamp's are in 0 ..< 1,000,000,000).
  private static var noTime: Int32 { .min }

  /// The greatest event time recorded; nil when nothing was recorded.
  public internal(set) var newest: Timestamp? {
    get { newestNanos == Self.noTime ? nil : Timestamp(seconds: newestSeconds, nanos: newestNanos) }
    set {
      newestSeconds = newValue?.seconds ?? 0
      newestNanos = newValue?.nanos ?? Self.noTime
    }
  }

  /// The least time among windowed entries (nil when none): pruning scans only when it is old
  /// enough. Derived from `storage`, so not encoded and not compared. With `.latest` storage
  /// (unbounded: no windowed entries), the latest entry's time instead (`latestTime`).
  var oldest: Timestamp? {
    get { timeNanos == Self.noTime ? nil : Timestamp(seconds: timeSeconds, nanos: timeNanos) }
    set {
      timeSeconds = newValue?.seconds ?? 0
      timeNanos = newValue?.nanos ?? Self.noTime
    }
  }

  /// With `.latest(value)` storage: the time that value was recorded at (kept where `oldest` is).
  var latestTime: Timestamp {
    get { Timestamp(seconds: timeSeconds, nanos: timeNanos == Self.noTime ? 0 : timeNanos) }
    set {
      timeSeconds = newValue.seconds
      timeNanos = newValue.nanos
    }
  }

  /// An empty state for an aggregate of this kind.
  public init(kind: AggregateKind) {
    self.kind = kind
    storage = .empty
  }

  /// Whether the storage is `.latest` (whose time `latestTime` is kept where `oldest` is).
  var isLatest: Bool {
    if case .latest = storage { return true }
    return false
  }

  /// Whether nothing is recorded.
  public var isEmpty: Bool {
    if case .empty = storage { return true }
    return false
  }

  /// The number of retained entries (windowed: one per event or per distinct value still in
  /// reach; unbounded: 1 for the running summary, or the number of distinct values).
  public var retainedCount: Int {
    switch storage {
    case .empty: return 0
    case .counter, .sum, .welford, .latest: return 1
    case .valueSet(let s): return s.count
    case .oneValue: return 1
    case .entries(let xs): return xs.count
    case .fewTimes(let f): return f.count
    case .valueTimes(let d): return d.count
    }
  }

  /// Equal when the kind, the newest time and everything remembered are identical (doubles by
  /// bit pattern).
  public static func == (a: AggregateState, b: AggregateState) -> Bool {
    a.kind == b.kind && a.newest == b.newest && a.storage.isIdentical(to: b.storage)
      && (!a.isLatest || a.latestTime == b.latestTime)
  }
}

// MARK: - Storage

/// What a state remembers.
enum Storage: Sendable {
  /// Nothing recorded yet (or forgotten after a change of window mode).
  case empty
  /// Unbounded `count`: the number of recorded events.
  case counter(Int64)
  /// Unbounded `sum`: the running total.
  case sum(RunningSum)
  /// Unbounded `stats`: Welford's running count, mean and M2.
  case welford(Welford)
  /// Unbounded `last`: the most recently recorded entry's value (its time is the state's
  /// `latestTime`).
  case latest(Value)
  /// Unbounded `distinct` and `seen`: the key forms of the recorded values.
  case valueSet(Set<String>)
  /// Unbounded `distinct` and `seen` holding one value: `.valueSet([key])` without a set.
  /// NOTE: most keys of a stream record one value (a user's device): no set allocated, no key
  /// hashed (docs/performance.md, "s17-agg: the aggregates on the deciding thread (session 17,
  /// issue 4)"). Equal to, and encoded as, that `.valueSet`.
  case oneValue(String)
  /// Windowed `count`, `sum`, `stats`, `last`: the entries, in processing order.
  case entries([Entry])
  /// Windowed `count` holding one or two entries, inline: `.entries` of those times (values
  /// `.null`), in the same order, without an array. NOTE: a key's count windows hold a few
  /// events at most (same section as `oneValue`). Equal to, and encoded as, that `.entries`.
  case fewTimes(FewTimes)
  /// Windowed `distinct` and `seen`: each value's key form → its latest time.
  case valueTimes([String: Timestamp])

  /// Whether the storage keeps times (the windowed forms).
  var isWindowed: Bool {
    switch self {
    case .entries, .fewTimes, .valueTimes: return true
    default: return false
    }
  }

  /// The storage with the inline forms (`oneValue`, `fewTimes`) as the forms they stand for.
  var canonical: Storage {
    switch self {
    case .oneValue(let k): return .valueSet([k])
    case .fewTimes(let f): return .entries(f.entries)
    default: return self
    }
  }

  /// Whether this is an inline form (`oneValue`, `fewTimes`).
  var isInline: Bool {
    switch self {
    case .oneValue, .fewTimes: return true
    default: return false
    }
  }

  func isIdentical(to other: Storage) -> Bool {
    if isInline || other.isInline { return canonical.isIdentical(to: other.canonical) }
    switch (self, other) {
    case (.empty, .empty): return true
    case (.counter(let a), .counter(let b)): return a == b
    case (.sum(let a), .sum(let b)): return a == b
    case (.welford(let a), .welford(let b)): return a == b
    case (.latest(let a), .latest(let b)): return identical(a, b)
    case (.valueSet(let a), .valueSet(let b)): return a == b
    case (.entries(let a), .entries(let b)):
      return a.count == b.count && zip(a, b).allSatisfy { $0.isIdentical(to: $1) }
    case (.valueTimes(let a), .valueTimes(let b)): return a == b
    default: return false
    }
  }
}

/// One or two times of a windowed `count` (`Storage.fewTimes`), in processing order, stored as
/// their parts so that the storage's payload stays small.
struct FewTimes: Sendable {
  private var seconds0: Int64
  private var seconds1: Int64 = 0
  private var nanos0: Int32
  /// -1 when there is one time.
  private var nanos1: Int32 = -1

  /// One time.
  init(_ t: Timestamp) {
    seconds0 = t.seconds
    nanos0 = t.nanos
  }

  /// The number of times (1 or 2).
  var count: Int { nanos1 < 0 ? 1 : 2 }
  /// The first time recorded.
  var first: Timestamp { Timestamp(seconds: seconds0, nanos: nanos0) }
  /// The second time recorded, if any.
  var second: Timestamp? { nanos1 < 0 ? nil : Timestamp(seconds: seconds1, nanos: nanos1) }

  /// These times and then `t`, when there is one time (else nil: full).
  func adding(_ t: Timestamp) -> FewTimes? {
    guard nanos1 < 0 else { return nil }
    var f = self
    f.seconds1 = t.seconds
    f.nanos1 = t.nanos
    return f
  }

  /// The entries these times stand for (values `.null`), in order.
  var entries: [Entry] {
    var xs = [Entry(time: first, value: .null)]
    if let s = second { xs.append(Entry(time: s, value: .null)) }
    return xs
  }
}

/// One recorded event: its time and its `of` value (`.null` for `count`).
struct Entry: Sendable {
  var time: Timestamp
  var value: Value

  func isIdentical(to other: Entry) -> Bool { time == other.time && identical(value, other.value) }
}

// MARK: - Identity of values

/// Structural identity of two values: same case, same contents, doubles compared by bit pattern
/// (so NaN is identical to itself), maps in the same entry order. What `AggregateState`'s `==`
/// uses; CEL's own equality lives in the builtins.
func identical(_ a: Value, _ b: Value) -> Bool {
  switch (a, b) {
  case (.null, .null): return true
  case (.bool(let x), .bool(let y)): return x == y
  case (.int(let x), .int(let y)): return x == y
  case (.uint(let x), .uint(let y)): return x == y
  case (.double(let x), .double(let y)): return x.bitPattern == y.bitPattern
  case (.string(let x), .string(let y)): return x == y
  case (.bytes(let x), .bytes(let y)): return x == y
  case (.list(let x), .list(let y)):
    return x.count == y.count && zip(x, y).allSatisfy { identical($0, $1) }
  case (.map(let x), .map(let y)):
    return x.count == y.count
      && zip(x.entries, y.entries).allSatisfy { identical($0.key, $1.key) && identical($0.value, $1.value) }
  case (.timestamp(let x), .timestamp(let y)): return x == y
  case (.duration(let x), .duration(let y)): return x == y
  case (.type(let x), .type(let y)): return x == y
  case (.optional(let x), .optional(let y)):
    switch (x, y) {
    case (nil, nil): return true
    case (let x?, let y?): return identical(x, y)
    default: return false
    }
  case (.error(let x), .error(let y)): return x == y
  default: return false
  }
}

// MARK: - Running summaries

/// A sum accumulated in insertion order, both as an int (for `int` aggregates; sticky failure on
/// overflow or a value that is not an integer) and as a double.
struct RunningSum: Sendable, Equatable {
  var int: Int64 = 0
  var intFailed = false
  var double: Double = 0

  /// Adds a number; returns false (and changes nothing) for a value that is not a number.
  mutating func add(_ v: Value) -> Bool {
    let asInt: Int64?
    switch v {
    case .int(let i):
      asInt = i
      double += Double(i)
    case .uint(let u):
      asInt = Int64(exactly: u)
      double += Double(u)
    case .double(let d):
      asInt = Int64(exactly: d)
      double += d
    default: return false
    }
    if !intFailed {
      if let i = asInt {
        let (r, o) = int.addingReportingOverflow(i)
        if o { intFailed = true } else { int = r }
      } else {
        intFailed = true
      }
    }
    return true
  }

  /// The reading: an `int` for aggregates of `int`, otherwise a `double`.
  func result(_ spec: AggregateSpec) -> Value {
    if spec.valueType == .int {
      return intFailed ? .error(CELError(.overflow, "integer overflow in sum `\(spec.name)`")) : .int(int)
    }
    return .double(double)
  }

  static func == (a: RunningSum, b: RunningSum) -> Bool {
    a.int == b.int && a.intFailed == b.intFailed && a.double.bitPattern == b.double.bitPattern
  }
}

/// Welford's running count, mean and sum of squared deviations (M2).
/// NOTE: M2 accumulates (x − mean)·(x − newMean), which is exactly 0 when x equals the mean, and
/// the first value sets the mean exactly: equal values give a standard deviation of exactly 0.
struct Welford: Sendable, Equatable {
  var count: Int64 = 0
  var mean: Double = 0
  var m2: Double = 0

  /// Adds a number; returns false (and changes nothing) for a value that is not a number.
  mutating func add(_ v: Value) -> Bool {
    guard let x = numericValue(v) else { return false }
    count += 1
    let delta = x - mean
    mean += delta / Double(count)
    m2 += delta * (x - mean)
    return true
  }

  /// The population standard deviation (0 when the count is 0).
  var deviation: Double { count > 0 ? (max(0, m2) / Double(count)).squareRoot() : 0 }

  /// `[count, mean, population stddev]`; mean and stddev absent when the count is 0.
  var reading: AggregateReading {
    guard count > 0 else { return AggregateReading(.int(0), nil, nil) }
    return AggregateReading(.int(count), .double(mean), .double(deviation))
  }

  static func == (a: Welford, b: Welford) -> Bool {
    a.count == b.count && a.mean.bitPattern == b.mean.bitPattern && a.m2.bitPattern == b.m2.bitPattern
  }
}

/// The double a number denotes, or nil for a value that is not a number.
func numericValue(_ v: Value) -> Double? {
  switch v {
  case .int(let i): return Double(i)
  case .uint(let u): return Double(u)
  case .double(let d): return d
  default: return nil
  }
}
