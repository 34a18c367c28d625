// Operand checks: each operand against the bounds its kind (from the opcode table) implies.
// Registers and register ranges in the register file; pool and table indices in their tables;
// field names are string constants; jump targets are real instructions, forward except `loop`;
// `call` counts equal the overload's arity; unused operands are zero (one encoding per program).

import SentinelBuiltins
import SentinelBytecode
import SentinelModel

/// Checks the operands of one instruction at a time.
struct OperandChecker {
  let program: Program
  /// The resolved overload of each builtin import.
  let overloads: [Overload]
  let catalog: Catalog

  func check(_ pc: Int) throws(VerificationError) {
    let ins = program.code[pc]
    let kinds = ins.opcode.info.operands
    let registers = program.registerCount
    func fail(_ rule: VerificationError.Rule, _ i: Int, _ message: String) -> VerificationError {
      VerificationError(rule, pc: pc, opcode: ins.opcode, operand: i, message)
    }
    for i in 0..<4 {
      let x = Int(ins.operand(i))
      switch i < kinds.count ? kinds[i] : .none {
      case .none:
        guard x == 0 else { throw fail(.nonZeroUnusedOperand, i, "unused operand must be 0, found \(x)") }
      case .def, .use, .useDef:
        guard x < registers else {
          throw fail(.registerOutOfBounds, i, "register r\(x) is out of bounds (\(registers) registers)")
        }
      case .useRange, .defRange:
        let n = ins.registerSpan(ofOperand: i)
        guard x + n <= registers else {
          let shown = n == 0 ? "r\(x) (empty)" : "r\(x)..r\(x + n - 1)"
          throw fail(
            .registerRangeOutOfBounds, i, "register range \(shown) exceeds the \(registers) registers")
        }
      case .constant:
        guard x < program.constants.count else {
          throw fail(
            .constantOutOfBounds, i, "constant #\(x) is out of bounds (\(program.constants.count) constants)")
        }
      case .stringConstant:
        guard x < program.constants.count else {
          throw fail(
            .constantOutOfBounds, i, "constant #\(x) is out of bounds (\(program.constants.count) constants)")
        }
        guard case .string = program.constants[x] else {
          throw fail(
            .notAStringConstant, i,
            "field name constant #\(x) is \(program.constants[x].typeName) \(program.constants[x]), not a string"
          )
        }
      case .variable:
        guard x < program.variables.count else {
          throw fail(
            .variableOutOfBounds, i, "variable #\(x) is out of bounds (\(program.variables.count) variables)")
        }
      case .builtin:
        guard x < program.builtins.count else {
          throw fail(
            .builtinOutOfBounds, i, "builtin #\(x) is out of bounds (\(program.builtins.count) builtins)")
        }
      case .function:
        guard x < program.functions.count else {
          throw fail(
            .functionOutOfBounds, i, "function #\(x) is out of bounds (\(program.functions.count) functions)")
        }
      case .rule:
        guard x < program.ruleCount else {
          throw fail(.ruleOutOfBounds, i, "rule #\(x) is out of bounds (\(program.ruleCount) rules)")
        }
      case .target:
        guard x < program.code.count else {
          throw fail(
            .targetOutOfBounds, i,
            "jump target @\(x) is not an instruction (the code has \(program.code.count))")
        }
        if ins.opcode == .loop {
          guard x < pc else { throw fail(.forwardLoop, i, "loop target @\(x) is not before the loop") }
        } else {
          guard x > pc else { throw fail(.backwardJump, i, "jump target @\(x) is not after the jump") }
        }
      case .count:
        try checkCount(ins, pc: pc, operand: i)
      }
    }
    if let fused = ins.opcode.fusedCall {
      // INVARIANT: the builtin operand was bounds-checked above.
      let o = overloads[Int(ins.operand(fused.builtin))]
      guard o.arity == fused.arguments.count else {
        throw fail(
          .arityMismatch, fused.builtin,
          "\(ins.opcode.info.name) passes \(fused.arguments.count) arguments; overload '\(o.id)' takes \(o.arity)"
        )
      }
    }
  }

  /// `call`: the count is the overload's arity. `call.dyn`: some overload of the function takes
  /// that many arguments in that call style. `list`/`map`: any count (the range is checked).
  func checkCount(_ ins: Instruction, pc: Int, operand i: Int) throws(VerificationError) {
    let n = Int(ins.operand(i))
    switch ins.opcode {
    case .call:
      // INVARIANT: operand b (the builtin) precedes the count and is already in bounds.
      let o = overloads[Int(ins.b)]
      guard n == o.arity else {
        throw VerificationError(
          .arityMismatch, pc: pc, opcode: ins.opcode, operand: i,
          "argument count \(n) does not match overload '\(o.id)' (arity \(o.arity))")
      }
    case .callDynamic:
      let f = program.functions[Int(ins.b)]
      let fits = catalog.overloads(of: f.name).contains {
        catalog.overloads[$0].arity == n && catalog.overloads[$0].isReceiver == f.receiver
      }
      guard fits else {
        throw VerificationError(
          .arityMismatch, pc: pc, opcode: ins.opcode, operand: i,
          "no \(f.receiver ? "receiver " : "")overload of `\(f.name)` takes \(n) arguments")
      }
    default:
      break
    }
  }
}

extension Opcode {
  /// For a fused call (`call.v`, `call.vk`, `call.vv`, `and.vk`, Fusion.swift): the operand
  /// holding the builtin and the operands holding its arguments (variable or constant indices),
  /// in order.
  package var fusedCall: (builtin: Int, arguments: [Int])? {
    switch self {
    case .callVar: return (2, [1])
    case .callVarConst, .callVarVar, .andVarConst, .testVarConst, .andTestVarConst, .testVarVar:
      return (3, [1, 2])
    default: return nil
    }
  }
}

extension Instruction {
  /// The registers this instruction writes, as (operand, first register, count) triples.
  func writtenRegisters() -> [(operand: Int, first: Int, count: Int)] {
    var out: [(Int, Int, Int)] = []
    for (i, k) in opcode.info.operands.enumerated() {
      switch k {
      case .def, .useDef: out.append((i, Int(operand(i)), 1))
      case .defRange: out.append((i, Int(operand(i)), registerSpan(ofOperand: i)))
      default: break
      }
    }
    return out
  }

  /// The registers this instruction reads, as (operand, first register, count) triples.
  func readRegisters() -> [(operand: Int, first: Int, count: Int)] {
    var out: [(Int, Int, Int)] = []
    for (i, k) in opcode.info.operands.enumerated() {
      switch k {
      case .use, .useDef: out.append((i, Int(operand(i)), 1))
      case .useRange: out.append((i, Int(operand(i)), registerSpan(ofOperand: i)))
      default: break
      }
    }
    return out
  }

  /// The jump target operand's index, if the opcode has one.
  var targetOperand: Int? { opcode.info.operands.firstIndex(of: .target) }
}
