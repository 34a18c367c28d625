// Why a program was refused: a stable rule (for tests, metrics and docs), where (pc and operand),
// and a one-line message naming the offending value, e.g.
// `pc 7 (call): argument count 3 does not match overload 'add_int64' (arity 2)`.

import SentinelBytecode

/// A program that failed verification.
public struct VerificationError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The rule a program broke. Raw values are stable identifiers (logs, metrics, docs).
  public enum Rule: String, Sendable, Hashable, CaseIterable {
    // MARK: Program shape and tables
    /// The code is empty.
    case emptyCode = "empty_code"
    /// More instructions than `Limits.maxInstructions`.
    case tooManyInstructions = "too_many_instructions"
    /// A register count below zero or above `Limits.maxRegisters`.
    case tooManyRegisters = "too_many_registers"
    /// A builtin import names an overload id the catalog does not have.
    case unknownBuiltin = "unknown_builtin"
    /// A catalog overload whose implementation shape (unary, binary…) disagrees with its arity.
    case malformedOverload = "malformed_overload"
    /// A function-table entry names a function with no overload in the catalog.
    case unknownFunction = "unknown_function"
    /// Two variable-table entries share a name.
    case duplicateVariable = "duplicate_variable"
    /// A source-map entry names a pc past the end of the code, or has an inverted span.
    case badSourceMap = "bad_source_map"

    // MARK: Operands
    /// A register operand at or past `registerCount`.
    case registerOutOfBounds = "register_out_of_bounds"
    /// A register range (arguments, list elements, loop variables) reaching past `registerCount`.
    case registerRangeOutOfBounds = "register_range_out_of_bounds"
    /// A constant index past the constant pool.
    case constantOutOfBounds = "constant_out_of_bounds"
    /// A field-name operand whose constant is not a string.
    case notAStringConstant = "not_a_string_constant"
    /// A variable index past the variable table.
    case variableOutOfBounds = "variable_out_of_bounds"
    /// A builtin index past the builtin import table.
    case builtinOutOfBounds = "builtin_out_of_bounds"
    /// A function index past the function table.
    case functionOutOfBounds = "function_out_of_bounds"
    /// A `rule` instruction names a rule result beyond `Program.ruleCount`.
    case ruleOutOfBounds = "rule_out_of_bounds"
    /// A `call` whose argument count differs from the overload's arity.
    case arityMismatch = "arity_mismatch"
    /// An operand the opcode does not use is not zero.
    case nonZeroUnusedOperand = "nonzero_unused_operand"

    // MARK: Control flow
    /// A jump target that is not an instruction (past the end).
    case targetOutOfBounds = "target_out_of_bounds"
    /// A jump (other than `loop`) whose target is not after it.
    case backwardJump = "backward_jump"
    /// A `loop` whose target is not before it.
    case forwardLoop = "forward_loop"
    /// A `loop` whose target is not an `iter.next`/`iter.next2`.
    case loopTargetNotIterNext = "loop_target_not_iter_next"
    /// Two `loop` instructions go back to the same `iter.next`.
    case duplicateLoop = "duplicate_loop"
    /// An `iter.next` whose exit target is not after its `loop`.
    case loopExitInsideBody = "loop_exit_inside_body"
    /// Two loop bodies overlap without one containing the other.
    case improperNesting = "improper_nesting"
    /// A jump from outside a loop body into it, other than to its `iter.next`.
    case jumpIntoLoop = "jump_into_loop"
    /// Loops nested deeper than `Limits.maxLoopDepth`.
    case loopTooDeep = "loop_too_deep"
    /// A loop body writes its `iter.next`'s counter or range register (or the `iter.next` binds
    /// its loop variables over them): the loop might not terminate.
    case loopWritesIterationRegister = "loop_writes_iteration_register"
    /// A path runs past the last instruction.
    case fallsOffEnd = "falls_off_end"

    // MARK: Dataflow
    /// A register read before it is written on some path.
    case unassignedRegister = "unassigned_register"
    /// A register whose static kind can never be what the instruction needs.
    case typeMismatch = "type_mismatch"
    /// A typed instruction (`test.vk`, `and.test.vk`, `test.vv`) whose builtin has no typed
    /// kernel for its variables' proven kinds and its constant.
    case noTypedKernel = "no_typed_kernel"

    // MARK: Resource bounds
    /// The worst-case cost bound exceeds `Limits.maxCost`.
    case costExceeded = "cost_exceeded"
    /// The dataflow analysis would exceed `Limits.maxAnalysisWork`.
    case tooComplex = "too_complex"
  }

  /// The rule the program broke.
  public var rule: Rule
  /// The instruction at fault, or nil for a table-level error.
  public var pc: Int?
  /// The opcode at `pc`.
  public var opcode: Opcode?
  /// The operand at fault: 0 = a … 3 = d.
  public var operand: Int?
  /// What was wrong, naming the offending value.
  public var message: String

  /// An error about the program as a whole or one of its tables.
  public init(_ rule: Rule, _ message: String) {
    self.rule = rule
    self.message = message
  }

  /// An error about one instruction (and, optionally, one of its operands).
  public init(_ rule: Rule, pc: Int, opcode: Opcode, operand: Int? = nil, _ message: String) {
    self.rule = rule
    self.pc = pc
    self.opcode = opcode
    self.operand = operand
    self.message = message
  }

  /// `pc 7 (call): operand d: …`, or just the message for table-level errors.
  public var description: String {
    var out = ""
    if let pc { out += "pc \(pc)" + (opcode.map { " (\($0.info.name))" } ?? "") + ": " }
    if let operand { out += "operand \(VerificationError.operandName(operand)): " }
    return out + message
  }

  /// `a`, `b`, `c` or `d`.
  static func operandName(_ i: Int) -> String {
    ["a", "b", "c", "d"][max(0, min(3, i))]
  }
}
