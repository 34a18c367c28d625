// The byte-level codec under the aggregate state format: LEB128 varints (zigzag for signed
// numbers), little-endian doubles, length-prefixed UTF-8, and CEL values and types.
// The reader validates everything and throws `AggregateStateDecodingError` with the offset.

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

// MARK: - Tags

/// The tag byte in front of each encoded value.
enum ValueTag: UInt8 {
  case null = 0
  case boolFalse = 1
  case boolTrue = 2
  case int = 3
  case uint = 4
  case double = 5
  case string = 6
  case bytes = 7
  case list = 8
  case map = 9
  case timestamp = 10
  case duration = 11
  case type = 12
  case optionalNone = 13
  case optionalSome = 14
  case error = 15
}

/// The tag byte in front of each encoded type.
enum TypeTag: UInt8 {
  case dyn = 0
  case null = 1
  case bool = 2
  case int = 3
  case uint = 4
  case double = 5
  case string = 6
  case bytes = 7
  case timestamp = 8
  case duration = 9
  case list = 10
  case map = 11
  case typeNone = 12
  case typeSome = 13
  case optional = 14
  case typeParam = 15
  case opaque = 16
  case error = 17
}

/// Maximum nesting of values and types in the binary form.
let maxCodecDepth = 64

// MARK: - Writer

/// Appends the binary forms to a byte array.
struct ByteWriter {
  var bytes: [UInt8] = []

  mutating func byte(_ b: UInt8) { bytes.append(b) }

  mutating func varint(_ v: UInt64) {
    var v = v
    while v >= 0x80 {
      bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
      v >>= 7
    }
    bytes.append(UInt8(v))
  }

  mutating func signed(_ v: Int64) { varint(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }

  mutating func double(_ d: Double) {
    var bits = d.bitPattern
    for _ in 0..<8 {
      bytes.append(UInt8(truncatingIfNeeded: bits))
      bits >>= 8
    }
  }

  mutating func string(_ s: String) {
    varint(UInt64(s.utf8.count))
    bytes.append(contentsOf: s.utf8)
  }

  mutating func timestamp(_ t: Timestamp) {
    signed(t.seconds)
    signed(Int64(t.nanos))
  }

  mutating func value(_ v: Value) {
    switch v {
    case .null: byte(ValueTag.null.rawValue)
    case .bool(let b): byte(b ? ValueTag.boolTrue.rawValue : ValueTag.boolFalse.rawValue)
    case .int(let i):
      byte(ValueTag.int.rawValue)
      signed(i)
    case .uint(let u):
      byte(ValueTag.uint.rawValue)
      varint(u)
    case .double(let d):
      byte(ValueTag.double.rawValue)
      double(d)
    case .string(let s):
      byte(ValueTag.string.rawValue)
      string(s)
    case .bytes(let b):
      byte(ValueTag.bytes.rawValue)
      varint(UInt64(b.count))
      bytes.append(contentsOf: b)
    case .list(let xs):
      byte(ValueTag.list.rawValue)
      varint(UInt64(xs.count))
      for x in xs { value(x) }
    case .map(let m):
      byte(ValueTag.map.rawValue)
      varint(UInt64(m.count))
      for e in m.entries {
        value(e.key)
        value(e.value)
      }
    case .timestamp(let t):
      byte(ValueTag.timestamp.rawValue)
      timestamp(t)
    case .duration(let d):
      byte(ValueTag.duration.rawValue)
      signed(d.seconds)
      signed(Int64(d.nanos))
    case .type(let t):
      byte(ValueTag.type.rawValue)
      type(t)
    case .optional(let o):
      if let inner = o {
        byte(ValueTag.optionalSome.rawValue)
        value(inner)
      } else {
        byte(ValueTag.optionalNone.rawValue)
      }
    case .error(let e):
      byte(ValueTag.error.rawValue)
      string(e.kind.rawValue)
      string(e.message)
    }
  }

  mutating func type(_ t: CELType) {
    switch t {
    case .dyn: byte(TypeTag.dyn.rawValue)
    case .null: byte(TypeTag.null.rawValue)
    case .bool: byte(TypeTag.bool.rawValue)
    case .int: byte(TypeTag.int.rawValue)
    case .uint: byte(TypeTag.uint.rawValue)
    case .double: byte(TypeTag.double.rawValue)
    case .string: byte(TypeTag.string.rawValue)
    case .bytes: byte(TypeTag.bytes.rawValue)
    case .timestamp: byte(TypeTag.timestamp.rawValue)
    case .duration: byte(TypeTag.duration.rawValue)
    case .list(let e):
      byte(TypeTag.list.rawValue)
      type(e)
    case .map(let k, let v):
      byte(TypeTag.map.rawValue)
      type(k)
      type(v)
    case .type(let inner):
      if let inner {
        byte(TypeTag.typeSome.rawValue)
        type(inner)
      } else {
        byte(TypeTag.typeNone.rawValue)
      }
    case .optional(let e):
      byte(TypeTag.optional.rawValue)
      type(e)
    case .typeParam(let name):
      byte(TypeTag.typeParam.rawValue)
      string(name)
    case .opaque(let name, let params):
      byte(TypeTag.opaque.rawValue)
      string(name)
      varint(UInt64(params.count))
      for p in params { type(p) }
    case .error: byte(TypeTag.error.rawValue)
    }
  }
}

// MARK: - Reader

/// Reads the binary forms back, validating as it goes.
struct ByteReader {
  let bytes: [UInt8]
  var offset = 0

  init(_ bytes: [UInt8]) { self.bytes = bytes }

  var remaining: Int { bytes.count - offset }
  var isAtEnd: Bool { offset == bytes.count }

  func fail(_ message: String, at position: Int? = nil) -> AggregateStateDecodingError {
    AggregateStateDecodingError(offset: position ?? offset, message: message)
  }

  mutating func byte(_ what: String) throws(AggregateStateDecodingError) -> UInt8 {
    guard offset < bytes.count else { throw fail("unexpected end of data reading \(what)") }
    defer { offset += 1 }
    return bytes[offset]
  }

  mutating func varint(_ what: String) throws(AggregateStateDecodingError) -> UInt64 {
    let start = offset
    var result: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      let b = try byte(what)
      if shift == 63 && b > 1 { throw fail("\(what) overflows 64 bits", at: start) }
      result |= UInt64(b & 0x7f) << shift
      if b < 0x80 { return result }
      shift += 7
      if shift > 63 { throw fail("\(what) overflows 64 bits", at: start) }
    }
  }

  mutating func signed(_ what: String) throws(AggregateStateDecodingError) -> Int64 {
    let z = try varint(what)
    return Int64(bitPattern: (z >> 1) ^ (0 &- (z & 1)))
  }

  /// A count of items that each take at least one byte: never more than the bytes left.
  mutating func count(_ what: String) throws(AggregateStateDecodingError) -> Int {
    let start = offset
    let n = try varint(what)
    guard n <= UInt64(remaining) else {
      throw fail("\(what) \(n) exceeds the \(remaining) bytes left", at: start)
    }
    return Int(n)
  }

  mutating func double(_ what: String) throws(AggregateStateDecodingError) -> Double {
    guard remaining >= 8 else { throw fail("unexpected end of data reading \(what)") }
    var bits: UInt64 = 0
    for i in 0..<8 { bits |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
    offset += 8
    return Double(bitPattern: bits)
  }

  mutating func raw(_ n: Int, _ what: String) throws(AggregateStateDecodingError) -> ArraySlice<UInt8> {
    guard n <= remaining else { throw fail("unexpected end of data reading \(what)") }
    defer { offset += n }
    return bytes[offset..<offset + n]
  }

  mutating func string(_ what: String) throws(AggregateStateDecodingError) -> String {
    let start = offset
    let n = try count("length of \(what)")
    let slice = try raw(n, what)
    guard let s = String(validating: slice, as: UTF8.self) else {
      throw fail("\(what) is not valid UTF-8", at: start)
    }
    return s
  }

  mutating func timestamp(_ what: String) throws(AggregateStateDecodingError) -> Timestamp {
    let start = offset
    let seconds = try signed("seconds of \(what)")
    let nanos = try signed("nanoseconds of \(what)")
    guard nanos >= 0 && nanos < 1_000_000_000 else {
      throw fail("nanoseconds of \(what) out of range: \(nanos)", at: start)
    }
    return Timestamp(seconds: seconds, nanos: Int32(nanos))
  }

  mutating func value(depth: Int = 0) throws(AggregateStateDecodingError) -> Value {
    let start = offset
    guard depth < maxCodecDepth else { throw fail("value nested deeper than \(maxCodecDepth)") }
    let tagByte = try byte("value tag")
    guard let tag = ValueTag(rawValue: tagByte) else { throw fail("unknown value tag \(tagByte)", at: start) }
    switch tag {
    case .null: return .null
    case .boolFalse: return .bool(false)
    case .boolTrue: return .bool(true)
    case .int: return .int(try signed("int"))
    case .uint: return .uint(try varint("uint"))
    case .double: return .double(try double("double"))
    case .string: return .string(try string("string"))
    case .bytes:
      let n = try count("length of bytes")
      return .bytes(Array(try raw(n, "bytes")))
    case .list:
      let n = try count("list length")
      var xs: [Value] = []
      xs.reserveCapacity(n)
      for _ in 0..<n { xs.append(try value(depth: depth + 1)) }
      return .list(xs)
    case .map:
      let n = try count("map size")
      var m = MapValue()
      for _ in 0..<n {
        let keyOffset = offset
        let k = try value(depth: depth + 1)
        let v = try value(depth: depth + 1)
        guard m.insert(k, v) else { throw fail("invalid or duplicate map key", at: keyOffset) }
      }
      return .map(m)
    case .timestamp: return .timestamp(try timestamp("timestamp"))
    case .duration:
      let seconds = try signed("duration seconds")
      let nanos = try signed("duration nanoseconds")
      guard nanos.magnitude < 1_000_000_000, seconds == 0 || nanos == 0 || (seconds < 0) == (nanos < 0) else {
        throw fail("duration nanoseconds out of range: \(nanos)", at: start)
      }
      return .duration(Duration(seconds: seconds, nanos: Int32(nanos)))
    case .type: return .type(try type(depth: depth + 1))
    case .optionalNone: return .optional(nil)
    case .optionalSome: return .optional(try value(depth: depth + 1))
    case .error:
      let kindOffset = offset
      let kindName = try string("error kind")
      guard let kind = CELError.Kind(rawValue: kindName) else {
        throw fail("unknown error kind `\(kindName)`", at: kindOffset)
      }
      return .error(CELError(kind, try string("error message")))
    }
  }

  mutating func type(depth: Int) throws(AggregateStateDecodingError) -> CELType {
    let start = offset
    guard depth < maxCodecDepth else { throw fail("type nested deeper than \(maxCodecDepth)") }
    let raw = try byte("type tag")
    guard let tag = TypeTag(rawValue: raw) else { throw fail("unknown type tag \(raw)", at: start) }
    switch tag {
    case .dyn: return .dyn
    case .null: return .null
    case .bool: return .bool
    case .int: return .int
    case .uint: return .uint
    case .double: return .double
    case .string: return .string
    case .bytes: return .bytes
    case .timestamp: return .timestamp
    case .duration: return .duration
    case .list: return .list(try type(depth: depth + 1))
    case .map: return .map(try type(depth: depth + 1), try type(depth: depth + 1))
    case .typeNone: return .type(nil)
    case .typeSome: return .type(try type(depth: depth + 1))
    case .optional: return .optional(try type(depth: depth + 1))
    case .typeParam: return .typeParam(try string("type parameter name"))
    case .opaque:
      let name = try string("opaque type name")
      let n = try count("opaque type parameter count")
      var params: [CELType] = []
      for _ in 0..<n { params.append(try type(depth: depth + 1)) }
      return .opaque(name, params)
    case .error: return .error
    }
  }
}

// MARK: - Identity

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
