// The binary encoding of a `Program` (docs/bytecode.md): little-endian, length-prefixed
// sections, every count and index bounds-checked on decode. Decoding never traps: malformed
// bytes give a `BytecodeError` naming the offset and what was wrong.

import SentinelModel

/// A malformed encoded program.
public struct BytecodeError: Error, Sendable, Hashable, CustomStringConvertible {
  public var offset: Int
  public var message: String
  public init(offset: Int, _ message: String) {
    self.offset = offset
    self.message = message
  }
  public var description: String { "malformed bytecode at byte \(offset): \(message)" }
}

/// Writes a program as bytes.
public enum ProgramEncoder {
  /// Magic bytes at the start of an encoded program: "SIQP".
  public static let magic: [UInt8] = [0x53, 0x49, 0x51, 0x50]
  /// Bytes per encoded instruction: opcode u8, a u16, b c d u32.
  public static let instructionSize = 15

  public static func encode(_ p: Program) -> [UInt8] {
    var w = ByteWriter()
    w.bytes(magic)
    w.u16(Program.formatVersion)
    w.u32(UInt32(p.constants.count))
    for c in p.constants { w.value(c) }
    w.u32(UInt32(p.variables.count))
    for v in p.variables {
      w.string(v.name)
      w.type(v.type)
    }
    w.u32(UInt32(p.builtins.count))
    for b in p.builtins { w.string(b) }
    w.u32(UInt32(p.functions.count))
    for f in p.functions {
      w.string(f.name)
      w.u8(f.receiver ? 1 : 0)
    }
    w.u32(UInt32(p.registerCount))
    w.u32(UInt32(p.ruleCount))
    w.u32(UInt32(p.code.count))
    for ins in p.code {
      w.u8(ins.opcode.rawValue)
      w.u16(ins.a)
      w.u32(ins.b)
      w.u32(ins.c)
      w.u32(ins.d)
    }
    w.u32(UInt32(p.sourceMap.count))
    for e in p.sourceMap {
      w.u32(UInt32(e.pc))
      w.u32(UInt32(e.span.start))
      w.u32(UInt32(e.span.end))
    }
    return w.out
  }
}

/// Reads a program from bytes.
public enum ProgramDecoder {
  /// Limits that keep a hostile input from exhausting memory.
  public static let maxCount = Program.maxTableCount
  public static let maxDepth = 64

  public static func decode(_ bytes: [UInt8]) throws(BytecodeError) -> Program {
    var r = ByteReader(bytes)
    guard try r.take(4) == ProgramEncoder.magic else {
      throw BytecodeError(offset: 0, "bad magic: not a SentinelIQ program")
    }
    let version = try r.u16()
    guard version == Program.formatVersion else {
      throw BytecodeError(
        offset: 4, "unsupported format version \(version) (this build reads \(Program.formatVersion))")
    }
    var p = Program()
    for _ in 0..<(try r.count("constants")) { p.constants.append(try r.value(depth: 0)) }
    for _ in 0..<(try r.count("variables")) {
      p.variables.append(VariableSlot(name: try r.string(), type: try r.type(depth: 0)))
    }
    for _ in 0..<(try r.count("builtins")) { p.builtins.append(try r.string()) }
    for _ in 0..<(try r.count("functions")) {
      let name = try r.string()
      let flag = try r.u8()
      guard flag <= 1 else { throw BytecodeError(offset: r.pos - 1, "bad receiver flag \(flag)") }
      p.functions.append(FunctionRef(name: name, receiver: flag == 1))
    }
    let regs = Int(try r.u32())
    guard regs <= Program.maxRegisterCount else {
      throw BytecodeError(offset: r.pos - 4, "register count \(regs) exceeds \(Program.maxRegisterCount)")
    }
    p.registerCount = regs
    let rules = Int(try r.u32())
    guard rules <= Program.maxTableCount else {
      throw BytecodeError(offset: r.pos - 4, "rule count \(rules) exceeds \(Program.maxTableCount)")
    }
    p.ruleCount = rules
    let instructions = try r.count("instructions")
    guard instructions <= (bytes.count - r.pos) / ProgramEncoder.instructionSize else {
      throw BytecodeError(offset: r.pos - 4, "instruction count \(instructions) exceeds the remaining data")
    }
    p.code.reserveCapacity(instructions)
    for _ in 0..<instructions {
      let at = r.pos
      let raw = try r.u8()
      guard let op = Opcode(rawValue: raw) else { throw BytecodeError(offset: at, "unknown opcode \(raw)") }
      p.code.append(Instruction(op, try r.u16(), try r.u32(), try r.u32(), try r.u32()))
    }
    for _ in 0..<(try r.count("source map entries")) {
      let pc = Int(try r.u32())
      let start = Int(try r.u32())
      let end = Int(try r.u32())
      p.sourceMap.append(SourceMapEntry(pc: pc, span: Span(start, end)))
    }
    guard r.pos == bytes.count else {
      throw BytecodeError(offset: r.pos, "\(bytes.count - r.pos) trailing bytes")
    }
    return p
  }
}

// MARK: - Byte-level reading and writing

/// Value and type tags of the encoding.
enum Tag: UInt8 {
  case null = 0
  case bool, int, uint, double, string, bytes, list, map, timestamp, duration, type, optionalNone,
    optionalSome
  case error
}

enum TypeTag: UInt8 {
  case dyn = 0
  case null, bool, int, uint, double, string, bytes, timestamp, duration, list, map, type, typeNone
  case optional, typeParam, opaque, error
}

/// Appends little-endian primitives, values and types (also the aggregate state form's codec).
public struct ByteWriter: Sendable {
  public var out: [UInt8] = []
  public init() {}
  public mutating func u8(_ v: UInt8) { out.append(v) }
  public mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
  public mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
  public mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
  public mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
  public mutating func f64(_ d: Double) { u64(d.bitPattern) }
  /// Seconds `i64`, nanoseconds `u32`.
  public mutating func timestamp(_ t: Timestamp) {
    i64(t.seconds)
    u32(UInt32(bitPattern: t.nanos))
  }
  public mutating func bytes(_ b: [UInt8]) { out.append(contentsOf: b) }
  public mutating func string(_ s: String) {
    let b = Array(s.utf8)
    u32(UInt32(b.count))
    bytes(b)
  }

  public mutating func value(_ v: Value) {
    switch v {
    case .null: u8(Tag.null.rawValue)
    case .bool(let b):
      u8(Tag.bool.rawValue)
      u8(b ? 1 : 0)
    case .int(let i):
      u8(Tag.int.rawValue)
      i64(i)
    case .uint(let u):
      u8(Tag.uint.rawValue)
      u64(u)
    case .double(let d):
      u8(Tag.double.rawValue)
      f64(d)
    case .string(let s):
      u8(Tag.string.rawValue)
      string(s)
    case .bytes(let b):
      u8(Tag.bytes.rawValue)
      u32(UInt32(b.count))
      bytes(b)
    case .list(let xs):
      u8(Tag.list.rawValue)
      u32(UInt32(xs.count))
      for x in xs { value(x) }
    case .map(let m):
      u8(Tag.map.rawValue)
      u32(UInt32(m.count))
      for (k, x) in m.entries {
        value(k)
        value(x)
      }
    case .timestamp(let t):
      u8(Tag.timestamp.rawValue)
      timestamp(t)
    case .duration(let d):
      u8(Tag.duration.rawValue)
      i64(d.seconds)
      u32(UInt32(bitPattern: d.nanos))
    case .type(let t):
      u8(Tag.type.rawValue)
      type(t)
    case .optional(let o):
      if let o {
        u8(Tag.optionalSome.rawValue)
        value(o)
      } else {
        u8(Tag.optionalNone.rawValue)
      }
    case .error(let e):
      // An error is a legal constant: constant folding of `1 / 0` yields one (CEL errors are values).
      u8(Tag.error.rawValue)
      string(e.kind.rawValue)
      string(e.message)
    }
  }

  public mutating func type(_ t: CELType) {
    switch t {
    case .dyn: u8(TypeTag.dyn.rawValue)
    case .null: u8(TypeTag.null.rawValue)
    case .bool: u8(TypeTag.bool.rawValue)
    case .int: u8(TypeTag.int.rawValue)
    case .uint: u8(TypeTag.uint.rawValue)
    case .double: u8(TypeTag.double.rawValue)
    case .string: u8(TypeTag.string.rawValue)
    case .bytes: u8(TypeTag.bytes.rawValue)
    case .timestamp: u8(TypeTag.timestamp.rawValue)
    case .duration: u8(TypeTag.duration.rawValue)
    case .list(let e):
      u8(TypeTag.list.rawValue)
      type(e)
    case .map(let k, let v):
      u8(TypeTag.map.rawValue)
      type(k)
      type(v)
    case .type(let e):
      if let e {
        u8(TypeTag.type.rawValue)
        type(e)
      } else {
        u8(TypeTag.typeNone.rawValue)
      }
    case .optional(let e):
      u8(TypeTag.optional.rawValue)
      type(e)
    case .typeParam(let n):
      u8(TypeTag.typeParam.rawValue)
      string(n)
    case .opaque(let n, let ps):
      u8(TypeTag.opaque.rawValue)
      string(n)
      u32(UInt32(ps.count))
      for p in ps { type(p) }
    case .error: u8(TypeTag.error.rawValue)
    }
  }
}

/// Reads little-endian primitives, values and types, never past the end.
public struct ByteReader: Sendable {
  let data: [UInt8]
  /// The largest count `count(_:)` accepts (besides never more than the bytes left).
  let maxCount: Int
  public private(set) var pos = 0
  public init(_ data: [UInt8], maxCount: Int = ProgramDecoder.maxCount) {
    self.data = data
    self.maxCount = maxCount
  }

  /// The bytes not read yet.
  public var remaining: Int { data.count - pos }

  public mutating func take(_ n: Int) throws(BytecodeError) -> [UInt8] {
    guard n >= 0, n <= data.count - pos else {
      throw BytecodeError(offset: pos, "unexpected end of data (wanted \(n) bytes, \(data.count - pos) left)")
    }
    defer { pos += n }
    return Array(data[pos..<pos + n])
  }
  public mutating func u8() throws(BytecodeError) -> UInt8 {
    guard pos < data.count else { throw BytecodeError(offset: pos, "unexpected end of data") }
    defer { pos += 1 }
    return data[pos]
  }
  // NOTE: the fixed-width reads index `data` in place rather than going through `take` (which
  // copies into a new array): a 10,000-rule program has ~130,000 instructions of four operands.
  public mutating func u16() throws(BytecodeError) -> UInt16 { UInt16(truncatingIfNeeded: try fixed(2)) }
  public mutating func u32() throws(BytecodeError) -> UInt32 { UInt32(truncatingIfNeeded: try fixed(4)) }
  public mutating func u64() throws(BytecodeError) -> UInt64 { try fixed(8) }
  public mutating func i64() throws(BytecodeError) -> Int64 { Int64(bitPattern: try fixed(8)) }
  public mutating func f64() throws(BytecodeError) -> Double { Double(bitPattern: try fixed(8)) }

  /// A timestamp in the valid range (seconds `i64`, nanoseconds `u32`).
  public mutating func timestamp() throws(BytecodeError) -> Timestamp {
    let at = pos
    let s = try i64()
    let n = Int32(bitPattern: try u32())
    guard n >= 0, n < 1_000_000_000, s >= Timestamp.minSeconds, s <= Timestamp.maxSeconds else {
      throw BytecodeError(offset: at, "timestamp out of range")
    }
    return Timestamp(seconds: s, nanos: n)
  }

  /// The next `n` (≤ 8) bytes as a little-endian unsigned integer.
  private mutating func fixed(_ n: Int) throws(BytecodeError) -> UInt64 {
    guard n <= data.count - pos else {
      throw BytecodeError(offset: pos, "unexpected end of data (wanted \(n) bytes, \(data.count - pos) left)")
    }
    var v: UInt64 = 0
    for i in 0..<n { v |= UInt64(data[pos + i]) << (8 * UInt64(i)) }
    pos += n
    return v
  }
  public mutating func count(_ what: String) throws(BytecodeError) -> Int {
    let at = pos
    let n = Int(try u32())
    guard n <= maxCount, n <= data.count - pos else {
      throw BytecodeError(offset: at, "\(what) count \(n) exceeds the remaining data")
    }
    return n
  }
  public mutating func string() throws(BytecodeError) -> String {
    let at = pos
    let n = try count("string byte")
    let b = try take(n)
    guard let s = String(validating: b, as: UTF8.self) else {
      throw BytecodeError(offset: at, "string is not valid UTF-8")
    }
    return s
  }

  public mutating func value(depth: Int = 0) throws(BytecodeError) -> Value {
    guard depth < ProgramDecoder.maxDepth else {
      throw BytecodeError(offset: pos, "value nested deeper than \(ProgramDecoder.maxDepth)")
    }
    let at = pos
    let raw = try u8()
    guard let tag = Tag(rawValue: raw) else { throw BytecodeError(offset: at, "unknown value tag \(raw)") }
    switch tag {
    case .null: return .null
    case .bool:
      let b = try u8()
      guard b <= 1 else { throw BytecodeError(offset: pos - 1, "bad bool byte \(b)") }
      return .bool(b == 1)
    case .int: return .int(try i64())
    case .uint: return .uint(try u64())
    case .double: return .double(try f64())
    case .string: return .string(try string())
    case .bytes: return .bytes(try take(try count("bytes")))
    case .list:
      var xs: [Value] = []
      for _ in 0..<(try count("list element")) { xs.append(try value(depth: depth + 1)) }
      return .list(xs)
    case .map:
      var m = MapValue()
      for _ in 0..<(try count("map entry")) {
        let kAt = pos
        let k = try value(depth: depth + 1)
        let v = try value(depth: depth + 1)
        guard m.insert(k, v) else { throw BytecodeError(offset: kAt, "invalid or duplicate map key") }
      }
      return .map(m)
    case .timestamp: return .timestamp(try timestamp())
    case .duration:
      let s = try i64()
      let n = Int32(bitPattern: try u32())
      guard let d = Duration.make(seconds: s, nanos: Int64(n)), d.seconds == s, d.nanos == n else {
        throw BytecodeError(offset: at, "duration out of range or not normalized")
      }
      return .duration(d)
    case .type: return .type(try type(depth: depth + 1))
    case .optionalNone: return .optional(nil)
    case .optionalSome: return .optional(try value(depth: depth + 1))
    case .error:
      let kindAt = pos
      guard let kind = CELError.Kind(rawValue: try string()) else {
        throw BytecodeError(offset: kindAt, "unknown error kind")
      }
      return .error(CELError(kind, try string()))
    }
  }

  public mutating func type(depth: Int = 0) throws(BytecodeError) -> CELType {
    guard depth < ProgramDecoder.maxDepth else {
      throw BytecodeError(offset: pos, "type nested deeper than \(ProgramDecoder.maxDepth)")
    }
    let at = pos
    let raw = try u8()
    guard let tag = TypeTag(rawValue: raw) else { throw BytecodeError(offset: at, "unknown type tag \(raw)") }
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
    case .type: return .type(try type(depth: depth + 1))
    case .typeNone: return .type(nil)
    case .optional: return .optional(try type(depth: depth + 1))
    case .typeParam: return .typeParam(try string())
    case .opaque:
      let n = try string()
      var ps: [CELType] = []
      for _ in 0..<(try count("type parameter")) { ps.append(try type(depth: depth + 1)) }
      return .opaque(n, ps)
    case .error: return .error
    }
  }
}
