// A typed per-event record: the variable slots of one event with their scalars unboxed — a kind
// byte per slot, an 8-byte payload word per slot, the strings' UTF-8 bytes in one buffer — in
// place of `[Value?]` (32 bytes per slot, a tag switch per read, a String copied out per string
// test). The VM's typed tests read the words and the string bytes directly (SentinelVM,
// `VariableSource`); other values (timestamps, lists, maps, …) are kept boxed beside them.
// Measured in docs/performance.md ("VM: typed per-event records").

/// The variable slots of one event, typed: bools, ints and doubles unboxed, strings as UTF-8
/// bytes in one buffer, any other value boxed. Reusable: `reset` keeps the capacity, so refilling
/// a record for the next event allocates nothing once it has grown to the largest event.
public struct EventRecord: Sendable {
  /// What a slot holds.
  public enum Kind: UInt8, Sendable {
    /// No value (the event does not carry it): reads as unbound, like a nil slot.
    case unbound = 0
    /// A bool: the word is 0 or 1.
    case bool
    /// An int: the word is its bit pattern.
    case int
    /// A double: the word is its bit pattern.
    case double
    /// A string: the word is its bytes' offset (high 32 bits) and length (low 32 bits) in `bytes`.
    case string
    /// Any other value: the word is its index in `values`.
    case value
  }

  /// Each slot's `Kind` (raw value).
  public private(set) var kinds: [UInt8]
  /// Each slot's payload word (see `Kind`).
  public private(set) var words: [UInt64]
  /// The UTF-8 bytes of the record's strings, one after another.
  public private(set) var bytes: [UInt8] = []
  /// The boxed values of `.value` slots.
  public private(set) var values: [Value] = []

  /// A record of `count` unbound slots.
  public init(count: Int) {
    kinds = [UInt8](repeating: 0, count: count)
    words = [UInt64](repeating: 0, count: count)
  }

  /// A record holding `slots` (nil: unbound).
  public init(_ slots: [Value?]) {
    self.init(count: slots.count)
    for (i, v) in slots.enumerated() { set(i, v) }
  }

  /// The number of slots.
  @inlinable public var count: Int { kinds.count }

  /// Every slot unbound, the byte and value buffers emptied (capacity kept); resized to `count`
  /// slots when it has another size.
  public mutating func reset(count: Int) {
    if kinds.count != count {
      kinds = [UInt8](repeating: 0, count: count)
      words = [UInt64](repeating: 0, count: count)
    } else {
      kinds.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }
    bytes.removeAll(keepingCapacity: true)
    if !values.isEmpty { values.removeAll(keepingCapacity: true) }
  }

  /// Slot `i` unbound.
  public mutating func setUnbound(_ i: Int) { kinds[i] = Kind.unbound.rawValue }

  /// Slot `i` holds the bool `x`.
  public mutating func set(_ i: Int, bool x: Bool) {
    kinds[i] = Kind.bool.rawValue
    words[i] = x ? 1 : 0
  }

  /// Slot `i` holds the int `x`.
  public mutating func set(_ i: Int, int x: Int64) {
    kinds[i] = Kind.int.rawValue
    words[i] = UInt64(bitPattern: x)
  }

  /// Slot `i` holds the double `x`.
  public mutating func set(_ i: Int, double x: Double) {
    kinds[i] = Kind.double.rawValue
    words[i] = x.bitPattern
  }

  /// Slot `i` holds the string whose UTF-8 bytes are `utf8` (copied into the record; the caller
  /// guarantees they are valid UTF-8).
  public mutating func set(_ i: Int, utf8: UnsafeBufferPointer<UInt8>) {
    let offset = bytes.count
    bytes.append(contentsOf: utf8)
    kinds[i] = Kind.string.rawValue
    words[i] = UInt64(truncatingIfNeeded: offset) << 32 | UInt64(truncatingIfNeeded: utf8.count)
  }

  /// Slot `i` holds the string `s`.
  public mutating func set(_ i: Int, string s: String) {
    var s = s
    s.withUTF8 { set(i, utf8: $0) }
  }

  /// Slot `i` holds `v` (nil: unbound): bools, ints, doubles and strings unboxed, the rest boxed.
  public mutating func set(_ i: Int, _ v: Value?) {
    switch v {
    case nil: setUnbound(i)
    case .bool(let x)?: set(i, bool: x)
    case .int(let x)?: set(i, int: x)
    case .double(let x)?: set(i, double: x)
    case .string(let s)?: set(i, string: s)
    case let v?:
      kinds[i] = Kind.value.rawValue
      words[i] = UInt64(values.count)
      values.append(v)
    }
  }

  /// The value of slot `i` as a `Value?` (a string is materialized: it may allocate).
  public func value(_ i: Int) -> Value? {
    guard i >= 0, i < kinds.count else { return nil }
    let w = words[i]
    switch Kind(rawValue: kinds[i]) ?? .unbound {
    case .unbound: return nil
    case .bool: return .bool(w != 0)
    case .int: return .int(Int64(bitPattern: w))
    case .double: return .double(Double(bitPattern: w))
    case .string:
      let start = Int(w >> 32)
      let end = start + Int(w & 0xFFFF_FFFF)
      return .string(String(decoding: bytes[start..<end], as: UTF8.self))
    case .value: return values[Int(w)]
    }
  }

  /// The slots as `[Value?]` (the form every other caller takes).
  public var slots: [Value?] { (0..<count).map { value($0) } }

  /// Runs `body` on a view of the record's buffers (valid only inside `body`): what the VM reads.
  @inlinable public func withView<R>(_ body: (View) -> R) -> R {
    kinds.withUnsafeBufferPointer { k in
      words.withUnsafeBufferPointer { w in
        bytes.withUnsafeBufferPointer { b in
          body(View(kinds: k, words: w, bytes: b, record: self))
        }
      }
    }
  }

  /// The record's buffers borrowed for one run: reads without array bounds or uniqueness checks.
  public struct View {
    /// Each slot's `Kind` (raw value).
    public let kinds: UnsafeBufferPointer<UInt8>
    /// Each slot's payload word.
    public let words: UnsafeBufferPointer<UInt64>
    /// The strings' bytes.
    public let bytes: UnsafeBufferPointer<UInt8>
    /// The record (its boxed values, and `value(_:)` for the slow paths).
    public let record: EventRecord

    @inlinable init(
      kinds: UnsafeBufferPointer<UInt8>, words: UnsafeBufferPointer<UInt64>,
      bytes: UnsafeBufferPointer<UInt8>,
      record: EventRecord
    ) {
      self.kinds = kinds
      self.words = words
      self.bytes = bytes
      self.record = record
    }

    /// The bytes of string slot `i` (the caller has checked its kind is `.string`).
    @inlinable public func utf8(_ i: Int) -> UnsafeBufferPointer<UInt8> {
      let w = words[i]
      let start = Int(truncatingIfNeeded: w >> 32)
      let length = Int(truncatingIfNeeded: w & 0xFFFF_FFFF)
      guard let base = bytes.baseAddress else { return UnsafeBufferPointer(start: nil, count: 0) }
      return UnsafeBufferPointer(start: base + start, count: length)
    }
  }
}
