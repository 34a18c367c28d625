// One VM instruction: an opcode, a 16-bit operand a and three 32-bit operands b, c, d (15 bytes
// in the encoded form: opcode u8, a u16, b c d u32, little-endian; 16 bytes in memory).
//
// Why this shape (format 2; format 1 had four 16-bit operands, 10 bytes in memory, and capped a
// rule-set program at 65,535 instructions, constants and rules):
// - Jump targets, constant/variable/builtin/function indices and rule indices need more than 16
//   bits once a bundle holds 10,000+ rules (≈ 13 instructions per generated rule). Operands b, c
//   and d are 32-bit, so any index the decoder accepts (tables and code are at most 2²² entries)
//   fits, and every instruction keeps one fixed size: the VM still reads `code[pc]` with no
//   prefix decoding, and the verifier still checks each operand once, in one pass.
// - Operand a is only ever a register (def, use or use/def) — `jump` and `loop` carry their
//   target in b — and registers stay below 65,536 by the format (`Program.maxRegisterCount`;
//   codegen reuses a rule's registers for the next rule, so a rule set needs only as many
//   registers as its largest rule). Keeping a at 16 bits makes the instruction exactly 16 bytes
//   (1 + 1 padding + 2 + 3 × 4): four per 64-byte cache line, aligned loads, and 1.6× the old
//   footprint instead of 2× for four 32-bit operands (20 bytes, which straddles cache lines).
// - Rejected: a wide-operand prefix (keeps 10 bytes for small programs, but every jump site and
//   the verifier's leader/target analysis must then handle two-instruction forms, and a prefix
//   must never be a jump target — more rules for no measurable gain); per-rule program segments
//   (bounds each segment's jumps but not the constant pool or rule indices, and changes the
//   program and bundle structure).
// The VM benchmark in docs/performance.md (`bash bench/vm.sh`) compares this layout with
// format 1 on the same machine.

/// An instruction. Operand meaning comes from `Opcode.info.operands`.
public struct Instruction: Sendable, Hashable {
  public var opcode: Opcode
  /// Operand a: a register (or unused); 16 bits because registers are below 65,536.
  public var a: UInt16
  public var b: UInt32
  public var c: UInt32
  public var d: UInt32

  public init(_ opcode: Opcode, _ a: UInt16 = 0, _ b: UInt32 = 0, _ c: UInt32 = 0, _ d: UInt32 = 0) {
    self.opcode = opcode
    self.a = a
    self.b = b
    self.c = c
    self.d = d
  }

  /// The operands in order a, b, c, d.
  public var operands: [UInt32] { [UInt32(a), b, c, d] }

  /// Operand `i` (0 = a … 3 = d).
  public func operand(_ i: Int) -> UInt32 {
    switch i {
    case 0: return UInt32(a)
    case 1: return b
    case 2: return c
    default: return d
    }
  }

  /// The largest value operand `i` can hold: 16 bits for a, 32 for b, c and d.
  public static func maxOperand(_ i: Int) -> UInt32 {
    i == 0 ? UInt32(UInt16.max) : UInt32.max
  }
}
