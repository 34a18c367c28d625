// CEL's runtime values. Events are maps and records, never protobuf messages.

/// A CEL value. Errors are values too (CEL's `&&`/`||` absorb them), as in cel-go.
/// NOTE: only `optional` is indirect: scalars stay unboxed in registers (no allocation).
public enum Value: Sendable, CustomStringConvertible {
  case null
  case bool(Bool)
  case int(Int64)
  case uint(UInt64)
  case double(Double)
  case string(String)
  case bytes([UInt8])
  case list([Value])
  case map(MapValue)
  case timestamp(Timestamp)
  case duration(Duration)
  case type(CELType)
  /// A value of CEL's `optional_type`: `.optional(nil)` is `optional.none()`.
  indirect case optional(Value?)
  case error(CELError)

  /// The runtime type of the value (element types of lists and maps are `dyn`).
  public var celType: CELType {
    switch self {
    case .null: return .null
    case .bool: return .bool
    case .int: return .int
    case .uint: return .uint
    case .double: return .double
    case .string: return .string
    case .bytes: return .bytes
    case .list: return .list(.dyn)
    case .map: return .map(.dyn, .dyn)
    case .timestamp: return .timestamp
    case .duration: return .duration
    case .type(let t): return .type(t)
    case .optional: return .optional(.dyn)
    case .error: return .error
    }
  }

  /// The runtime type's name, as `type(x)` prints it.
  public var typeName: String { celType.runtimeName }

  /// Whether this is an error value.
  @inlinable public var isError: Bool {
    if case .error = self { return true }
    return false
  }

  public var description: String { Value.render(self) }

  /// A readable rendering in CEL literal syntax (for `sentinel eval` and test failures).
  public static func render(_ v: Value) -> String {
    switch v {
    case .null: return "null"
    case .bool(let b): return b ? "true" : "false"
    case .int(let i): return String(i)
    case .uint(let u): return "\(u)u"
    case .double(let d):
      if d.isNaN { return "NaN" }
      if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
      if d == d.rounded(), abs(d) < 1e15 { return String(format1: d) }
      return String(d)
    case .string(let s): return quote(s)
    case .bytes(let b):
      var out = "b\""
      for byte in b {
        if byte >= 0x20 && byte < 0x7f && byte != 0x22 && byte != 0x5c {
          out.append(Character(Unicode.Scalar(byte)))
        } else {
          out += "\\x" + hex2(byte)
        }
      }
      return out + "\""
    case .list(let xs): return "[" + xs.map(render).joined(separator: ", ") + "]"
    case .map(let m):
      return "{" + m.entries.map { render($0.key) + ": " + render($0.value) }.joined(separator: ", ") + "}"
    case .timestamp(let t): return "timestamp(\"\(t)\")"
    case .duration(let d): return "duration(\"\(d)\")"
    case .type(let t): return t.runtimeName
    case .optional(let o): return o.map { "optional.of(\(render($0)))" } ?? "optional.none()"
    case .error(let e): return "error(\(quote(e.message)))"
    }
  }

  static func hex2(_ b: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
  }

  /// A CEL string literal for `s` (double-quoted; control characters and DEL as `\xHH`).
  public static func quote(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
      switch u {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if u.value < 0x20 || u.value == 0x7F {
          out += "\\x" + hex2(UInt8(u.value))
        } else {
          out.unicodeScalars.append(u)
        }
      }
    }
    return out + "\""
  }
}

extension String {
  /// Formats an integral double with a trailing `.0`, as CEL prints doubles.
  init(format1 d: Double) {
    self = String(Int64(d)) + ".0"
    if d == 0 && d.sign == .minus { self = "-0.0" }
  }
}

// MARK: - Maps

/// A key of a CEL map: bool, int, uint or string. Numeric keys compare across int and uint
/// (`{1: 'a'}[1u]` finds the entry), so a uint that fits in int64 is stored as an int.
public enum MapKey: Sendable, Hashable {
  case bool(Bool)
  case int(Int64)
  case uint(UInt64)  // INVARIANT: only values above Int64.max
  case string(String)

  /// The map key a value denotes, or nil when the value cannot be a key. Doubles with an exact
  /// integer value find integer keys (CEL's heterogeneous equality), so `lookupKey` accepts them.
  public init?(_ v: Value) {
    switch v {
    case .bool(let b): self = .bool(b)
    case .int(let i): self = .int(i)
    case .uint(let u): self = u <= UInt64(Int64.max) ? .int(Int64(u)) : .uint(u)
    case .string(let s): self = .string(s)
    default: return nil
    }
  }

  /// The key to look up for a value, including doubles with an integral value.
  public static func lookupKey(_ v: Value) -> MapKey? {
    if case .double(let d) = v {
      if d.isNaN || d.isInfinite || d != d.rounded(.towardZero) { return nil }
      if d >= -9.223372036854775808e18 && d < 9.223372036854775808e18 { return .int(Int64(d)) }
      if d >= 0 && d < 1.8446744073709551616e19 { return .uint(UInt64(d)) }
      return nil
    }
    return MapKey(v)
  }
}

/// A CEL map: entries in insertion order, plus a hash index by key once it has more than
/// `smallCount` entries.
// NOTE: a small map is searched in order, with no index: an event's `geo` object (two keys) had a
// dictionary allocated and two keys hashed with SipHash when decoded, and each `haversine_km` read
// hashed its `lat` and `lon` again (docs/performance.md, "s20: small maps without an index").
public struct MapValue: Sendable {
  public private(set) var entries: [(key: Value, value: Value)]
  /// The entries by key, when there are more than `smallCount` (nil: search `entries`).
  private var index: [MapKey: Int]?

  /// The most entries a map has without an index.
  public static let smallCount = 8

  public init() {
    entries = []
    index = nil
  }

  /// An empty map with room for `minimumCapacity` entries (no regrowth while it fills up).
  public init(minimumCapacity: Int) {
    entries = []
    entries.reserveCapacity(minimumCapacity)
    index = minimumCapacity > Self.smallCount ? Dictionary(minimumCapacity: minimumCapacity) : nil
  }

  public var count: Int { entries.count }

  /// The position of the entry whose key is `k` (as `MapKey` compares), or nil.
  private func position(of k: MapKey) -> Int? {
    if let index { return index[k] }
    for i in entries.indices where MapKey(entries[i].key) == k { return i }
    return nil
  }

  /// The position of the entry whose key is the string `key`, or nil.
  private func position(ofString key: String) -> Int? {
    if let index { return index[.string(key)] }
    for i in entries.indices {
      if case .string(let s) = entries[i].key, s == key { return i }
    }
    return nil
  }

  /// Appends an entry whose key (`k` as a map key) is not in the map.
  private mutating func append(_ k: MapKey, _ key: Value, _ value: Value) {
    if index != nil { index?[k] = entries.count }
    entries.append((key, value))
    if index == nil && entries.count > Self.smallCount {
      var built = [MapKey: Int](minimumCapacity: entries.count * 2)
      for (i, e) in entries.enumerated() {
        if let ek = MapKey(e.key) { built[ek] = i }
      }
      index = built
    }
  }

  /// Inserts an entry; returns false (and changes nothing) if the key is already present
  /// or is not a valid key type.
  @discardableResult
  public mutating func insert(_ key: Value, _ value: Value) -> Bool {
    guard let k = MapKey(key), position(of: k) == nil else { return false }
    append(k, key, value)
    return true
  }

  /// Sets an entry, replacing an existing value for the key.
  public mutating func set(_ key: Value, _ value: Value) {
    guard let k = MapKey(key) else { return }
    if let i = position(of: k) {
      entries[i].value = value
    } else {
      append(k, key, value)
    }
  }

  /// The value for a key (with CEL's cross-numeric key equality), or nil.
  public subscript(key: Value) -> Value? {
    guard let k = MapKey.lookupKey(key), let i = position(of: k) else { return nil }
    return entries[i].value
  }

  /// The value for a string key.
  public subscript(string key: String) -> Value? {
    guard let i = position(ofString: key) else { return nil }
    return entries[i].value
  }

  /// Whether the map has a value for a key (CEL's cross-numeric key equality).
  public func contains(_ key: Value) -> Bool {
    if case .string(let s) = key { return contains(string: s) }
    return self[key] != nil
  }

  /// Whether the map has the string key: `contains` for a string, the typed kernel of `in_map`.
  public func contains(string key: String) -> Bool { position(ofString: key) != nil }
  public var keys: [Value] { entries.map(\.key) }
}

// MARK: - Overwriting a slot that is rewritten per event

// The VM's registers and rule results, the decoder's slots and replay's aggregate readings are
// the same cells written again for every event, and most old values there are scalars. A plain
// assignment destroys the old value through an outlined copy that reads the enum's tag through
// its value witnesses; when the old value holds no reference (nil, null, bool, int, uint,
// double) there is nothing to release, and the new value is written as it is.
// docs/performance.md measures it: "VM: bool writes without the outlined destroy" for the
// registers, and the session-14 sections for the decoder (−4 to −6 % decode CPU) and replay's
// readings.

extension UnsafeMutablePointer where Pointee == Value {
  /// `pointee = v`, skipping the destroy of an old value that holds no reference.
  @inlinable @inline(__always)
  public func overwrite(with v: __owned Value) {
    switch pointee {
    case .null, .bool, .int, .uint, .double: initialize(to: v)
    default: pointee = v
    }
  }
}

extension UnsafeMutablePointer where Pointee == Value? {
  /// `pointee = v`, skipping the destroy of an old value that is nil or holds no reference.
  @inlinable @inline(__always)
  public func overwrite(with v: __owned Value?) {
    switch pointee {
    case nil, .null?, .bool?, .int?, .uint?, .double?: initialize(to: v)
    default: pointee = v
    }
  }
}

extension Array where Element == Value? {
  /// `self[k] = v` through `overwrite(with:)` when `k` is an index (else nothing): the slots the
  /// aggregates' readings go to, written for every event (`AggregatePlan`, `AggregateState`'s
  /// in-place readers; no destroy of the previous event's scalar reading: ~5 % of replay's
  /// deciding thread, docs/performance.md, "session 14").
  @inlinable @inline(__always)
  public mutating func overwrite(_ k: Int, with v: __owned Value?) {
    withUnsafeMutableBufferPointer { p in
      guard k >= 0 && k < p.count, let base = p.baseAddress else { return }
      (base + k).overwrite(with: v)
    }
  }
}
