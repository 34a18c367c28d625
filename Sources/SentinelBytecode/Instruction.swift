// One VM instruction: an opcode and four 16-bit operands (9 bytes in the encoded form: opcode u8, a b c d as u16 LE).

/// An instruction. Operand meaning comes from `Opcode.info.operands`.
public struct Instruction: Sendable, Hashable {
  public var opcode: Opcode
  public var a: UInt16
  public var b: UInt16
  public var c: UInt16
  public var d: UInt16

  public init(_ opcode: Opcode, _ a: UInt16 = 0, _ b: UInt16 = 0, _ c: UInt16 = 0, _ d: UInt16 = 0) {
    self.opcode = opcode
    self.a = a
    self.b = b
    self.c = c
    self.d = d
  }

  /// The operands in order a, b, c, d.
  public var operands: [UInt16] { [a, b, c, d] }

  /// Operand `i` (0 = a … 3 = d).
  public func operand(_ i: Int) -> UInt16 {
    switch i {
    case 0: return a
    case 1: return b
    case 2: return c
    default: return d
    }
  }
}
