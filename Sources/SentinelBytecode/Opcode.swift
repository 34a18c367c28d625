// THE opcode table. The encoder, decoder, verifier, VM and disassembler all read `Opcode.info`;
// nothing else lists opcodes. A test checks that every opcode appears in each of them.
//
// The machine: registers r0…r(n-1) hold CEL values (errors included); each instruction has up
// to four operands a (16-bit, only ever a register) and b, c, d (32-bit) whose meaning the table
// gives (see Instruction.swift for why). Control flow only moves
// forward, except `loop`, which jumps back to an `iterNext` whose counter and range registers
// the loop body never writes — so every program terminates (see docs/bytecode.md).

/// What an operand of an instruction denotes; the verifier checks each kind's bounds.
public enum OperandKind: Sendable, Hashable {
  /// Not used.
  case none
  /// A register written by the instruction.
  case def
  /// A register read by the instruction.
  case use
  /// A register both read and written (accumulators: `and`, `listAppend`…).
  case useDef
  /// The first of `count` consecutive registers read (the count is another operand).
  case useRange
  /// The first of the consecutive registers the instruction writes (1 or 2 loop variables).
  case defRange
  /// An index into the constant pool.
  case constant
  /// An index into the constant pool that must hold a string (field names).
  case stringConstant
  /// An index into the variable table.
  case variable
  /// An index into the builtin import table (overload ids).
  case builtin
  /// An index into the function-name table (dynamic dispatch).
  case function
  /// An absolute instruction index to jump to (forward only, except for `loop`).
  case target
  /// A plain count (number of argument registers, of list elements, of map entries).
  case count
  /// An index into the rule-result table (`Program.ruleCount` entries).
  case rule
}

/// Every instruction of the VM.
public enum Opcode: UInt8, Sendable, CaseIterable {
  case nop = 0
  case loadConst
  case loadVar
  case move
  case select
  case hasField
  case optSelect
  case call
  case callDynamic
  case logicalAnd
  case logicalOr
  case jump
  case jumpIfFalse
  case jumpIfTrue
  case jumpIfNotBool
  case conditionError
  case notStrictlyFalse
  case makeList
  case listAppend
  case listAppendOptional
  case makeMap
  case mapInsert
  case mapInsertOptional
  case iterInit
  case iterNext
  case iterNext2
  case loop
  case ret
  case ruleResult
  case hasVariable
  case callVar
  case callVarConst
  case callVarVar
  case andVar
  case andVarConst
  case testVarConst
  case andTestVarConst
  case testVarVar
  case moveJumpIfFalse
  case ruleMoveJumpIfFalse
  case ruleTwice
  case ruleVar
  case andJumpIfFalse
  case hasVariableJumpIfFalse
  case ruleRuleVar

  /// One row of the opcode table.
  public struct Info: Sendable {
    /// Mnemonic, as the disassembler prints it.
    public let name: String
    /// Operands a, b, c, d.
    public let operands: [OperandKind]
    /// Cost units of one execution (the verifier's worst-case bound; calls add the builtin's).
    public let cost: Int
    /// What it does, for docs/bytecode.md and the disassembler's `--explain`.
    public let meaning: String
  }

  /// The table row of this opcode.
  public var info: Info { Opcode.table[Int(rawValue)] }

  // INVARIANT: indexed by rawValue; `OpcodeTableTests` checks the order and completeness.
  // INVARIANT: operand a is `.none`, `.def`, `.use` or `.useDef` (it is 16 bits wide: registers
  // only); `OpcodeCoverageTests` checks it.
  static let table: [Info] = [
    Info(name: "nop", operands: [], cost: 0, meaning: "does nothing"),
    Info(name: "load.const", operands: [.def, .constant], cost: 1, meaning: "a ← constants[b]"),
    Info(
      name: "load.var", operands: [.def, .variable], cost: 1, meaning: "a ← variables[b] (error if unbound)"),
    Info(name: "move", operands: [.def, .use], cost: 1, meaning: "a ← b"),
    Info(
      name: "select", operands: [.def, .use, .stringConstant], cost: 2,
      meaning:
        "a ← b.field (field = constants[c]); no such key → error; b error → b; on an optional b, as select.opt"
    ),
    Info(
      name: "has", operands: [.def, .use, .stringConstant], cost: 2,
      meaning:
        "a ← has(b.field): bool; b error → b; optional none → false, optional map → has on it; other types → error"
    ),
    Info(
      name: "select.opt", operands: [.def, .use, .stringConstant], cost: 2,
      meaning: "a ← b.?field: optional of the field's value, none when absent"),
    Info(
      name: "call", operands: [.def, .builtin, .useRange, .count], cost: 1,
      meaning:
        "a ← builtins[b](r[c] … r[c+d-1]); first error argument propagates; arguments the verifier typed dyn are tested at run time"
    ),
    Info(
      name: "call.dyn", operands: [.def, .function, .useRange, .count], cost: 4,
      meaning: "a ← functions[b](r[c] … r[c+d-1]) dispatched on the runtime argument types"),
    Info(
      name: "and", operands: [.useDef, .use], cost: 1,
      meaning: "a ← a && b with CEL's commutative error absorption (false wins over error)"),
    Info(
      name: "or", operands: [.useDef, .use], cost: 1,
      meaning: "a ← a || b with CEL's commutative error absorption (true wins over error)"),
    Info(name: "jump", operands: [.none, .target], cost: 1, meaning: "pc ← b (forward)"),
    Info(
      name: "jump.false", operands: [.use, .target], cost: 1, meaning: "if a is bool false: pc ← b (forward)"),
    Info(
      name: "jump.true", operands: [.use, .target], cost: 1, meaning: "if a is bool true: pc ← b (forward)"),
    Info(
      name: "jump.notbool", operands: [.use, .target], cost: 1,
      meaning: "if a is not a bool: pc ← b (forward)"),
    Info(
      name: "cond.error", operands: [.def, .use], cost: 1,
      meaning: "a ← b if b is an error, else a no-matching-overload error for a non-bool condition"),
    Info(
      name: "not.strictly.false", operands: [.def, .use], cost: 1,
      meaning: "a ← false if b is bool false, else true (errors count as true)"),
    Info(
      name: "list", operands: [.def, .useRange, .count], cost: 2,
      meaning: "a ← [r[b] … r[b+c-1]]; the first error element propagates"),
    Info(
      name: "list.append", operands: [.useDef, .use], cost: 2,
      meaning: "a ← a + [b]; an error in a or b propagates"),
    Info(
      name: "list.append.opt", operands: [.useDef, .use], cost: 2,
      meaning: "a ← a + [b.value()] when b is a present optional; unchanged when none"),
    Info(
      name: "map", operands: [.def, .useRange, .count], cost: 3,
      meaning: "a ← {r[b]: r[b+1], …} for c key/value pairs; duplicate or invalid key → error"),
    Info(
      name: "map.insert", operands: [.useDef, .use, .use], cost: 3,
      meaning: "a ← a with b: c added; duplicate or invalid key → error"),
    Info(
      name: "map.insert.opt", operands: [.useDef, .use, .use], cost: 3,
      meaning: "a ← a with b: c.value() added when c is a present optional"),
    Info(
      name: "iter.init", operands: [.def, .use, .target], cost: 1,
      meaning: "a ← int 0 (loop counter) when b is a list or map; otherwise pc ← c (forward)"),
    Info(
      name: "iter.next", operands: [.useDef, .use, .defRange, .target], cost: 2,
      meaning:
        "if a < size(b): c ← b's element (list) or key (map) #a, a ← a + 1; else pc ← d; a range above the collection-size limit ends the run with a limit error"
    ),
    Info(
      name: "iter.next2", operands: [.useDef, .use, .defRange, .target], cost: 2,
      meaning: "as iter.next, binding c ← index or key and c+1 ← element or value"),
    Info(
      name: "loop", operands: [.none, .target], cost: 1,
      meaning: "pc ← b, backward, to the iter.next that heads this loop"),
    Info(name: "ret", operands: [.use], cost: 1, meaning: "the program's result is a; stop"),
    Info(
      name: "rule", operands: [.use, .rule], cost: 1,
      meaning: "results[b] ← a: the value of rule b's condition (rule-set programs)"),
    Info(
      name: "has.var", operands: [.def, .variable], cost: 1,
      meaning: "a ← whether variable b is bound (an event field is present: `has(event.ip)`)"),
    // Fused calls: the verifier's loader rewrite (SentinelVerifier/Fusion.swift) makes them from
    // `load.var`/`load.const` + `call` sequences; the compiler does not emit them. They read
    // variables and constants directly and write only a.
    Info(
      name: "call.v", operands: [.def, .variable, .builtin], cost: 2,
      meaning:
        "a ← builtins[c](variables[b]) (`load.var; call` fused); an error argument propagates; the argument's kind must be proven"
    ),
    Info(
      name: "call.vk", operands: [.def, .variable, .constant, .builtin], cost: 3,
      meaning:
        "a ← builtins[d](variables[b], constants[c]) (`load.var; load.const; call` fused); the first error argument propagates; argument kinds must be proven"
    ),
    Info(
      name: "call.vv", operands: [.def, .variable, .variable, .builtin], cost: 3,
      meaning:
        "a ← builtins[d](variables[b], variables[c]) (`load.var; load.var; call` fused); the first error argument propagates; argument kinds must be proven"
    ),
    Info(
      name: "and.v", operands: [.useDef, .variable], cost: 2,
      meaning: "a ← a && variables[b] (`load.var; and` fused), as `and`"),
    Info(
      name: "and.vk", operands: [.useDef, .variable, .constant, .builtin], cost: 4,
      meaning:
        "a ← a && builtins[d](variables[b], constants[c]) (`load.var; load.const; call; and` fused), as call.vk then `and`"
    ),
    // Typed tests: the loader's specialization of call.vk, and.vk and call.vv (Fusion.swift) when
    // the builtin has a typed kernel (`KernelShape`) for the variables' proven kinds and the
    // constant: the VM runs the kernel on the unboxed variable and a constant prepared at load
    // (a pattern compiled once, a list or map resolved once), with no closure call; a variable
    // bound to another kind, or unbound, takes the call.vk path and gives its error.
    Info(
      name: "test.vk", operands: [.def, .variable, .constant, .builtin], cost: 3,
      meaning:
        "a ← builtins[d](variables[b], constants[c]) as call.vk, run by the builtin's typed kernel; the kernel must exist for the variable's proven kind and the constant"
    ),
    Info(
      name: "and.test.vk", operands: [.useDef, .variable, .constant, .builtin], cost: 4,
      meaning: "a ← a && builtins[d](variables[b], constants[c]) as and.vk, run by the builtin's typed kernel"
    ),
    Info(
      name: "test.vv", operands: [.def, .variable, .variable, .builtin], cost: 3,
      meaning:
        "a ← builtins[d](variables[b], variables[c]) as call.vv, run by the builtin's typed kernel; the kernel must exist for both variables' proven kinds"
    ),
    Info(
      name: "move.jf", operands: [.def, .use, .target], cost: 2,
      meaning:
        "a ← b, then if a is bool false: pc ← c (forward) (`move; jump.false` fused; a is written on both edges)"
    ),
    // Rule writes fused with their neighbour (Fusion.swift): a rule-set program runs one `rule`
    // per rule and run; these save the dispatch of most of them.
    Info(
      name: "rule.move.jf", operands: [.useDef, .rule, .use, .target], cost: 3,
      meaning:
        "results[b] ← a, then a ← c, then if a is bool false: pc ← d (forward) (`rule; move; jump.false` fused)"
    ),
    Info(
      name: "rule.2", operands: [.use, .rule, .rule], cost: 2,
      meaning: "results[b] ← a, then results[c] ← a (two `rule` on one register fused)"),
    Info(
      name: "rule.var", operands: [.none, .rule, .variable], cost: 2,
      meaning: "results[b] ← variable c (`load.var x, c; rule x, b` fused, x dead after)"),
    // Tests fused with the branch after them, and a rule write with the next `rule.var`
    // (Fusion.swift): the pairs the reference rules' programs ran most per event
    // (docs/performance.md, "s19-fuse").
    Info(
      name: "and.jf", operands: [.useDef, .use, .target], cost: 2,
      meaning:
        "a ← a && b as `and`, then if a is bool false: pc ← c (forward) (`and; jump.false` fused; a is written on both edges)"
    ),
    Info(
      name: "has.jf", operands: [.def, .variable, .target], cost: 2,
      meaning:
        "a ← whether variable b is bound, then if it is not: pc ← c (forward) (`has.var; jump.false` fused; a is written on both edges)"
    ),
    Info(
      name: "rule.rv", operands: [.use, .rule, .rule, .variable], cost: 3,
      meaning:
        "results[b] ← a, then results[c] ← variable d (`rule a, b; load.var x, d; rule x, c` fused, x dead after)"
    ),
  ]
}
