// The VM: runs a VerifiedProgram. A plain hot loop — one `switch` over the opcode per
// instruction, registers in one array the caller may keep between runs, no existentials or closures per
// instruction beyond the builtin implementation a `call` runs (WasmKit's executor, Lua's VM).
//
// Verify once, then trust: every check the verifier proved is skipped, and each skip says which
// rule covers it (`// VERIFIED: …`). Swift's own array bounds checks remain as a backstop; the
// verifier's rules are what make them never fire. What the verifier cannot know — the values
// bound to variables and the size of collections at run time — is checked here.

import SentinelBuiltins
import SentinelBytecode
import SentinelModel
import SentinelVerifier

/// Runs verified programs. Stateless: one VM can run any number of programs on any threads.
public struct VM: Sendable {
  /// A VM.
  public init() {}

  /// The register file of a run, kept by the caller between runs so that a run allocates
  /// nothing (`run(_:variables:results:registers:)`). One per thread; any program may use it.
  public struct Registers: Sendable {
    var values: [Value] = []

    /// An empty register file; the first run sizes it.
    public init() {}
  }

  /// Runs `program` with variable values indexed like `program.program.variables` (see
  /// `VerifiedProgram.slot(named:)` and `variables(from:)`); a nil or missing slot reads as an
  /// `unbound_variable` error. Returns the program's result — a CEL error value when evaluation
  /// fails, or a `limit` error when a loop meets a collection larger than the verified limit.
  public func run(_ program: VerifiedProgram, variables: [Value?]) -> Value {
    var results: [Value] = []
    return run(program, variables: variables, results: &results)
  }

  /// Runs a rule-set program: each `rule` instruction stores its rule's condition value into
  /// `results` (resized to `ruleCount`; entries not written in this run are null). Returns the
  /// `ret` value.
  public func run(_ program: VerifiedProgram, variables: [Value?], results: inout [Value]) -> Value {
    var registers = Registers()
    return run(program, variables: variables, results: &results, registers: &registers)
  }

  /// `run(_:variables:results:)` with a register file kept between runs: with `results` and
  /// `registers` reused, a run allocates nothing itself (builtins may: building lists, strings).
  public func run(
    _ program: VerifiedProgram, variables: [Value?], results: inout [Value], registers: inout Registers
  ) -> Value {
    let ruleCount = program.program.ruleCount
    if results.count != ruleCount {
      results = [Value](repeating: .null, count: ruleCount)
    }
    let registerCount = program.program.registerCount
    if registers.values.count < registerCount {
      registers.values = [Value](repeating: .null, count: registerCount)
    }
    // NOTE: the loop indexes registers and rule results through unsafe buffers (no bounds check,
    // no uniqueness check per write): the verifier proved every register operand below
    // registerCount and every rule index below ruleCount, and the buffers hold at least that
    // many. Measured in docs/performance.md ("VM: step by step", "issue 5: fused calls").
    return registers.values.withUnsafeMutableBufferPointer { r in
      results.withUnsafeMutableBufferPointer { out in
        // VERIFIED: when every run writes every rule (RuleCoverage.swift), no result of an
        // earlier run survives this one, so the reset is skipped.
        if !program.writesEveryRule {
          for i in out.indices { VM.store(out, i, .null) }
        }
        return execute(program, variables, r, out)
      }
    }
  }

  /// `run(_:variables:results:registers:)` with the rule results in `results[0..<ruleCount]`
  /// and any elements after them left as they are (`results` is grown to `ruleCount` when
  /// shorter): for a caller that keeps more per run after the results (`LinePreparer`'s key
  /// forms and key ids), without removing and appending them again.
  public func run(
    _ program: VerifiedProgram, variables: [Value?], resultsPrefix results: inout [Value],
    registers: inout Registers
  ) -> Value {
    let ruleCount = program.program.ruleCount
    while results.count < ruleCount { results.append(.null) }
    let registerCount = program.program.registerCount
    if registers.values.count < registerCount {
      registers.values = [Value](repeating: .null, count: registerCount)
    }
    return registers.values.withUnsafeMutableBufferPointer { r in
      results.withUnsafeMutableBufferPointer { all in
        let out = UnsafeMutableBufferPointer(rebasing: all[0..<ruleCount])
        // VERIFIED: as in `run(_:variables:results:registers:)`.
        // NOTE: that method's body is not this one's called with an exact-size buffer: routed
        // here, the rule program's run cost ~25 ns more per event in `sentinel bench` eval (4
        // alternating pairs, 573–593 ns against 547–581; docs/performance.md, "Review of the
        // session's change").
        if !program.writesEveryRule {
          for i in out.indices { VM.store(out, i, .null) }
        }
        return execute(program, variables, r, out)
      }
    }
  }

  /// The interpreter loop over a register buffer of at least `registerCount` values. Registers
  /// may hold values of an earlier run: definite assignment means none is read before written.
  func execute(
    _ program: VerifiedProgram, _ variables: [Value?], _ r: UnsafeMutableBufferPointer<Value>,
    _ results: UnsafeMutableBufferPointer<Value>
  ) -> Value {
    // The code the verifier checked for running: the program's, or its fused form (Fusion.swift).
    let code = program.code
    let constants = program.program.constants
    // Trivial values (TypedTest.swift): `tests[pc]` copies 32 bytes, no retain or release.
    let tests = program.typedTests.tests
    let maxCollection = program.limits.maxCollectionSize
    var pc = 0
    while true {
      // VERIFIED: pc is an instruction — targets are in bounds and the last instruction is `ret`
      // or `loop` (falls_off_end), so no path runs past the end.
      let ins = code[pc]
      // VERIFIED: register operands and ranges are below registerCount (register_out_of_bounds,
      // register_range_out_of_bounds); pool and table indices are in bounds (*_out_of_bounds).
      let a = Int(ins.a)
      let b = Int(ins.b)
      let c = Int(ins.c)
      switch ins.opcode {
      case .nop:
        break

      case .loadConst:
        VM.store(r, a, constants[b])

      case .loadVar:
        VM.store(r, a, loadVariable(program, b, variables))

      case .move:
        VM.copy(r, a, r, b)

      case .call:
        VM.store(r, a, call(program, pc: pc, overload: b, first: c, count: Int(ins.d), r))

      case .logicalAnd:
        VM.store(r, a, Operations.logical(r[a], r[b], absorbing: false))

      case .logicalOr:
        VM.store(r, a, Operations.logical(r[a], r[b], absorbing: true))

      case .jump:
        // VERIFIED: forward and in bounds (backward_jump, target_out_of_bounds).
        pc = b
        continue

      case .jumpIfFalse:
        if case .bool(false) = r[a] {
          pc = b
          continue
        }

      case .jumpIfTrue:
        if case .bool(true) = r[a] {
          pc = b
          continue
        }

      case .jumpIfNotBool:
        if case .bool = r[a] {
        } else {
          pc = b
          continue
        }

      case .iterInit:
        switch r[b] {
        case .list, .map:
          r[a] = .int(0)
        default:
          // VERIFIED: c is a forward target (backward_jump); the code there builds the error.
          pc = c
          continue
        }

      case .iterNext, .iterNext2:
        // Outlined (`iterate`): loops are rare in rule sets, and the case's code in the loop
        // cost the hot cases registers.
        let next = VM.iterate(ins, r, maxCollection)
        if next.exit {
          if let v = next.result { return v }
          pc = Int(ins.d)
          continue
        }

      case .loop:
        // VERIFIED: b is an earlier iter.next heading a loop that terminates (loop structure).
        pc = b
        continue

      case .ret:
        return r[a]

      case .ruleResult:
        // VERIFIED: b < ruleCount (rule_out_of_bounds), and results has ruleCount entries.
        VM.writeRule(results, b, r, a)

      case .callVar:
        VM.store(r, a, callFused(program, overload: c, loadVariable(program, b, variables)))

      case .callVarConst:
        VM.store(
          r, a, callFused(program, overload: Int(ins.d), loadVariable(program, b, variables), constants[c]))

      case .callVarVar:
        r[a] = callFused(
          program, overload: Int(ins.d), loadVariable(program, b, variables),
          loadVariable(program, c, variables))

      case .andVar:
        let v = loadVariable(program, b, variables)
        VM.store(r, a, Operations.logical(r[a], v, absorbing: false))

      case .andVarConst:
        let v = callFused(program, overload: Int(ins.d), loadVariable(program, b, variables), constants[c])
        VM.store(r, a, Operations.logical(r[a], v, absorbing: false))

      case .testVarConst:
        VM.store(r, a, test(program, tests[pc], ins, variables, constants))

      case .andTestVarConst:
        let v = test(program, tests[pc], ins, variables, constants)
        VM.store(r, a, Operations.logical(r[a], v, absorbing: false))

      case .moveJumpIfFalse:
        VM.copy(r, a, r, b)
        if case .bool(false) = r[a] {
          // VERIFIED: forward and in bounds (backward_jump, target_out_of_bounds).
          pc = c
          continue
        }

      case .testVarVar:
        VM.store(r, a, testVars(program, tests[pc], ins, variables))

      case .ruleMoveJumpIfFalse:
        // VERIFIED: b < ruleCount (rule_out_of_bounds); d forward and in bounds.
        VM.writeRule(results, b, r, a)
        VM.copy(r, a, r, c)
        if case .bool(false) = r[a] {
          pc = Int(ins.d)
          continue
        }

      case .ruleTwice:
        // VERIFIED: b, c < ruleCount (rule_out_of_bounds).
        VM.writeRule(results, b, r, a)
        VM.writeRule(results, c, r, a)

      case .ruleVar:
        // VERIFIED: b < ruleCount (rule_out_of_bounds), c < variables in the program's table.
        VM.store(results, b, loadVariable(program, c, variables))

      case .andJumpIfFalse:
        VM.store(r, a, Operations.logical(r[a], r[b], absorbing: false))
        if case .bool(false) = r[a] {
          // VERIFIED: forward and in bounds (backward_jump, target_out_of_bounds).
          pc = c
          continue
        }

      case .hasVariableJumpIfFalse:
        // VERIFIED: b < variables.count in the program's table; the caller's array may be short.
        let bound = b < variables.count && variables[b] != nil
        VM.store(r, a, .bool(bound))
        if !bound {
          // VERIFIED: forward and in bounds (backward_jump, target_out_of_bounds).
          pc = c
          continue
        }

      case .ruleRuleVar:
        // VERIFIED: b, c < ruleCount (rule_out_of_bounds), d < variables in the program's table.
        VM.writeRule(results, b, r, a)
        VM.store(results, c, loadVariable(program, Int(ins.d), variables))

      default:
        // The opcodes rule sets seldom run (field selection, collections, dynamic calls): one
        // outlined function, so the loop's register allocation serves the hot cases.
        VM.rare(program, ins, variables, r)
      }
      pc += 1
    }
  }

  /// The instructions `execute` leaves to an outlined function: each writes register a and
  /// falls through (none jumps or returns).
  @inline(never)
  static func rare(
    _ program: VerifiedProgram, _ ins: Instruction, _ variables: [Value?],
    _ r: UnsafeMutableBufferPointer<Value>
  ) {
    let a = Int(ins.a)
    let b = Int(ins.b)
    let c = Int(ins.c)
    switch ins.opcode {
    case .select:
      // VERIFIED: constants[c] is a string (not_a_string_constant); fieldNames holds its text.
      r[a] = Operations.select(r[b], program.fieldNames[c])

    case .hasField:
      r[a] = Operations.has(r[b], program.fieldNames[c])

    case .optSelect:
      r[a] = Operations.optionalSelect(r[b], program.fieldNames[c])

    case .callDynamic:
      let f = program.program.functions[b]
      r[a] = program.catalog.dispatch(f.name, receiver: f.receiver, Array(r[c..<(c + Int(ins.d))]))

    case .conditionError:
      let v = r[b]
      r[a] = v.isError ? v : .error(.noOverload("_?_:_", [v]))

    case .notStrictlyFalse:
      if case .bool(false) = r[b] { r[a] = .bool(false) } else { r[a] = .bool(true) }

    case .makeList:
      r[a] = Operations.makeList(r[b..<(b + c)])

    case .listAppend:
      let item = r[b]
      Operations.append(&r[a], item, optional: false)

    case .listAppendOptional:
      let item = r[b]
      Operations.append(&r[a], item, optional: true)

    case .makeMap:
      r[a] = Operations.makeMap(r[b..<(b + 2 * c)])

    case .mapInsert:
      let key = r[b]
      let value = r[c]
      Operations.insert(&r[a], key, value, optional: false)

    case .mapInsertOptional:
      let key = r[b]
      let value = r[c]
      Operations.insert(&r[a], key, value, optional: true)

    case .hasVariable:
      // VERIFIED: b < variables.count in the program's table; the caller's array may be short.
      r[a] = .bool(b < variables.count && variables[b] != nil)

    case .nop, .loadConst, .loadVar, .move, .call, .logicalAnd, .logicalOr, .jump, .jumpIfFalse, .jumpIfTrue,
      .jumpIfNotBool, .iterInit, .iterNext, .iterNext2, .loop, .ret, .ruleResult, .callVar, .callVarConst,
      .callVarVar, .andVar, .andVarConst, .testVarConst, .andTestVarConst, .moveJumpIfFalse, .testVarVar,
      .ruleMoveJumpIfFalse, .ruleTwice, .ruleVar, .andJumpIfFalse, .hasVariableJumpIfFalse, .ruleRuleVar:
      // INVARIANT: `execute` runs these itself. Listed, not `default:`, so that a new opcode
      // does not compile until one of the two switches runs it.
      break
    }
  }

  /// `iter.next`/`iter.next2`: writes the loop variables and advances the counter, or says to
  /// exit the loop (`result` nil) or to end the run with a `limit` error (`result`).
  @inline(never)
  static func iterate(_ ins: Instruction, _ r: UnsafeMutableBufferPointer<Value>, _ maxCollection: Int)
    -> (exit: Bool, result: Value?)
  {
    let a = Int(ins.a)
    let b = Int(ins.b)
    let c = Int(ins.c)
    // VERIFIED: r[a] was written by iter.init or iter.next (type_mismatch on counters), and
    // neither it nor r[b] is written inside the loop (loop_writes_iteration_register).
    // The fallbacks below (exit the loop) are unreachable for a verified program but keep
    // the VM total without a trap.
    guard case .int(let i) = r[a], i >= 0 else { return (true, nil) }
    let index = Int(i)
    let pair = ins.opcode == .iterNext2
    switch r[b] {
    case .list(let xs):
      guard xs.count <= maxCollection else { return (true, Operations.tooLarge(xs.count, maxCollection)) }
      guard index < xs.count else { return (true, nil) }
      if pair {
        r[c] = .int(i)
        r[c + 1] = xs[index]
      } else {
        r[c] = xs[index]
      }
    case .map(let m):
      guard m.count <= maxCollection else { return (true, Operations.tooLarge(m.count, maxCollection)) }
      guard index < m.count else { return (true, nil) }
      r[c] = m.entries[index].key
      if pair { r[c + 1] = m.entries[index].value }
    default:
      return (true, nil)
    }
    r[a] = .int(i + 1)
    return (false, nil)
  }

  /// Runs `program` with variables bound by qualified name (a convenience over the slot form).
  public func run(_ program: VerifiedProgram, bindings: [String: Value]) -> Value {
    run(program, variables: program.variables(from: bindings))
  }

  /// `buffer[i] = v` through `overwrite(with:)` (Value.swift: no destroy of an old scalar).
  /// Registers may hold any value of an earlier run, so the tag test is a run-time one, not a
  /// verified fact. Measured in docs/performance.md ("VM: bool writes").
  @inline(__always)
  static func store(_ buffer: UnsafeMutableBufferPointer<Value>, _ i: Int, _ v: __owned Value) {
    // VERIFIED: i is in bounds (register_out_of_bounds, rule_out_of_bounds; see the callers).
    guard let base = buffer.baseAddress else { return }
    (base + i).overwrite(with: v)
  }

  /// `to[i] = from[j]` without the outlined copy and destroy when the value is a bool: it is
  /// rebuilt from its payload into the slot, whose old scalar needs no release (as in `store`);
  /// otherwise the assignment. `move`, `move.jf` and `rule` copy a bool this way in a rule set.
  @inline(__always)
  static func copy(
    _ to: UnsafeMutableBufferPointer<Value>, _ i: Int, _ from: UnsafeMutableBufferPointer<Value>, _ j: Int
  ) {
    // VERIFIED: i and j are in bounds (register_out_of_bounds, rule_out_of_bounds; the callers).
    guard let target = to.baseAddress, let source = from.baseAddress else { return }
    let q = source + j
    // NOTE: only the bool is rebuilt: with a case per scalar kind the compiler made the test a
    // jump table on the tag (an indirect jump per copy, ~8 % of the evaluation in the peer
    // profile); one tag compare is a predictable branch. Other values take the assignment.
    if case .bool(let x) = q.pointee {
      store(to, i, .bool(x))
    } else {
      (target + i).pointee = q.pointee
    }
  }

  /// `results[k] = r[a]` for a `rule` write: nothing when both are the same bool (most rule
  /// results are the same from one run to the next: false), else `copy`.
  /// NOTE: the skipped store is worth ~5 % of the peer workload's evaluation (~25 rule writes
  /// per event; docs/performance.md, "session 12"): a result is read once per run, by the
  /// decision, and rewriting the same 32 bytes cost more than comparing them.
  @inline(__always)
  static func writeRule(
    _ results: UnsafeMutableBufferPointer<Value>, _ k: Int, _ r: UnsafeMutableBufferPointer<Value>, _ a: Int
  ) {
    if case .bool(let x) = r[a], case .bool(let y) = results[k], x == y { return }
    copy(results, k, r, a)
  }

  /// The value of variable slot `slot`, or an error when it is unbound or of the wrong kind.
  @inline(__always)
  func loadVariable(_ program: VerifiedProgram, _ slot: Int, _ variables: [Value?]) -> Value {
    // Not verified: the caller's array may be short or hold anything.
    guard slot < variables.count, let v = variables[slot] else {
      // VERIFIED: slot < program.variables.count (variable_out_of_bounds); the error is prebuilt.
      return program.unboundErrors[slot]
    }
    // The verifier typed every use of this register by the declared type; a value of another
    // kind would break that, so it becomes an error instead (errors are always possible).
    // NOTE: the common kinds are tested here, inline; `admits` (not inlined across the module
    // boundary) decides the rest (docs/performance.md, "VM: typed tests in place").
    switch (program.variableKinds[slot], v) {
    case (.bool, .bool), (.int, .int), (.double, .double), (.string, .string): return v
    default: break
    }
    guard program.variableKinds[slot].admits(v) else {
      let decl = program.program.variables[slot]
      return .error(
        CELError(
          .invalidArgument, "variable `\(decl.name)` is declared \(decl.type) but bound to \(v.typeName)"))
    }
    return v
  }

  /// `test.vk` (and the test of `and.test.vk`): the builtin's typed kernel on the slot's payload
  /// when it holds a value of the proven kind, else the call.vk path (which gives the unbound or
  /// wrong-kind error). The kernels are the builtins' own (`Relation.holds`,
  /// `EqualityKernel.equal`, `Lists.containsString`, `MapValue.contains(string:)`,
  /// `ConstantPattern.matches`); the constants are read in place from the test and its payload,
  /// borrowed through an unowned reference (TypedTest.swift), so a test copies and retains
  /// nothing of its own (the slot's string is still copied out of the `Value?`).
  @inline(__always)
  func test(
    _ program: VerifiedProgram, _ t: TypedTest, _ ins: Instruction, _ variables: [Value?],
    _ constants: [Value]
  )
    -> Value
  {
    let slot = Int(ins.b)
    // tests[pc] was resolved when the program was verified (no_typed_kernel: a test.vk has
    // one); a `.none` there takes the call.vk path, which is always right.
    if slot < variables.count {
      switch t.kind {
      case .orderIntInt:
        if case .int(let x)? = variables[slot] { return .bool(t.relation.holds(x, t.int)) }
      case .orderIntDouble:
        if case .int(let x)? = variables[slot] { return .bool(t.relation.holds(x, t.double)) }
      case .orderDoubleInt:
        if case .double(let x)? = variables[slot] { return .bool(t.relation.holds(x, t.int)) }
      case .orderDoubleDouble:
        if case .double(let x)? = variables[slot] { return .bool(t.relation.holds(x, t.double)) }
      case .equalsIntInt:
        if case .int(let x)? = variables[slot] { return .bool(EqualityKernel.equal(x, t.int) != t.negated) }
      case .equalsIntDouble:
        if case .int(let x)? = variables[slot] {
          return .bool(EqualityKernel.equal(x, t.double) != t.negated)
        }
      case .equalsDoubleInt:
        if case .double(let x)? = variables[slot] {
          return .bool(EqualityKernel.equal(t.int, x) != t.negated)
        }
      case .equalsDoubleDouble:
        if case .double(let x)? = variables[slot] {
          return .bool(EqualityKernel.equal(x, t.double) != t.negated)
        }
      case .equalsString, .inList, .inMap:
        // NOTE: the kernel gets the slot string's UTF-8 bytes, not the String: a String passed
        // to a kernel the compiler cannot see into was copied out of the `Value?` (an outlined
        // copy and destroy with a retain and release) per test; a buffer pointer is not
        // (docs/performance.md, "VM: string tests").
        if case .string(let x)? = variables[slot], let p = t.payload {
          if let found = x.utf8.withContiguousStorageIfAvailable({ VM.utf8Test(t, $0, p) }) ?? nil {
            return .bool(found)
          }
          return .bool(p._withUnsafeGuaranteedRef { VM.stringTest(t, x, $0) })
        }
      case .matches:
        // NOTE: as the string kernels above, the pattern's simple form gets the slot string's
        // bytes when it decides; else the full engine gets the String.
        if case .string(let x)? = variables[slot], let p = t.payload {
          if let found = x.utf8.withContiguousStorageIfAvailable({ s in
            p._withUnsafeGuaranteedRef { $0.pattern?.matches(utf8: s) }
          }) ?? nil {
            return .bool(found)
          }
          if let v = p._withUnsafeGuaranteedRef({ $0.pattern?.matches(x) }) { return v }
        }
      case .none, .equalsStringVars:
        break
      }
    }
    return callFused(
      program, overload: Int(ins.d), loadVariable(program, slot, variables), constants[Int(ins.c)])
  }

  /// The string kernels of `test.vk` on the UTF-8 bytes `s` of the slot's string: `==`/`!=`
  /// with the constant's bytes (`EqualityKernel.equal(utf8:utf8:)`: code-point equality, as
  /// `stringsEqual`), `in` a list through the set of its strings (`StringSet`: exactly
  /// `Lists.containsString`), `in` a map through the set of its string keys when both the keys
  /// and `s` are ASCII (exactly the map's dictionary lookup then). Nil when the answer needs the
  /// String (`stringTest`).
  @inline(never)
  static func utf8Test(
    _ t: TypedTest, _ s: UnsafeBufferPointer<UInt8>, _ payload: Unmanaged<TypedTestPayload>
  )
    -> Bool?
  {
    payload._withUnsafeGuaranteedRef { p in
      switch t.kind {
      case .equalsString:
        return p.utf8.withUnsafeBufferPointer { EqualityKernel.equal(utf8: s, utf8: $0) } != t.negated
      case .inList:
        return p.set.containsMember(utf8: s)
      case .inMap:
        guard p.set.isASCII else { return nil }
        let r = p.set.contains(utf8: s)
        return r.ascii ? r.found : nil
      default:
        return nil
      }
    }
  }

  /// `utf8Test` on the String, for what it leaves: the string kernels on a string without
  /// contiguous UTF-8 (bridged), and `in` a map with a non-ASCII key or query (the map's own
  /// lookup).
  static func stringTest(_ t: TypedTest, _ x: String, _ p: TypedTestPayload) -> Bool {
    switch t.kind {
    case .equalsString: return EqualityKernel.equal(x, p.string) != t.negated
    case .inList: return Lists.containsString(p.list, x)
    default: return p.map.contains(string: x)
    }
  }

  /// `test.vv`: the string kernel on both slots' payloads when both hold strings, else the
  /// call.vv path.
  @inline(__always)
  func testVars(_ program: VerifiedProgram, _ t: TypedTest, _ ins: Instruction, _ variables: [Value?])
    -> Value
  {
    let b = Int(ins.b)
    let c = Int(ins.c)
    if t.kind == .equalsStringVars, b < variables.count, c < variables.count,
      case .string(let x)? = variables[b], case .string(let y)? = variables[c]
    {
      // NOTE: on the two strings' UTF-8 bytes, as `test.vk`'s string kernels: the Strings are
      // not copied out of their slots to be passed to the kernel.
      if let equal = x.utf8.withContiguousStorageIfAvailable({ u in
        y.utf8.withContiguousStorageIfAvailable { v in EqualityKernel.equal(utf8: u, utf8: v) }
      }) ?? nil {
        return .bool(equal != t.negated)
      }
      return .bool(EqualityKernel.equal(x, y) != t.negated)
    }
    return callFused(
      program, overload: Int(ins.d), loadVariable(program, b, variables), loadVariable(program, c, variables))
  }

  /// A fused unary call (`call.v`): `call` on an argument that never sat in a register.
  @inline(__always)
  func callFused(_ program: VerifiedProgram, overload b: Int, _ x: Value) -> Value {
    // VERIFIED: the argument's kind is proven (type_mismatch on fused calls): no run-time test;
    // the overload takes one argument (arity_mismatch) and its shape agrees (malformed_overload).
    if x.isError { return x }
    switch program.implementations[b] {
    case .unary(let f): return f(x)
    case .nary(let f): return f([x])
    case .binary, .ternary: return .error(.noOverload(program.overloads[b].function, [x]))
    }
  }

  /// A fused binary call (`call.vk`, `call.vv`): the first error argument wins, as in `call`.
  @inline(__always)
  func callFused(_ program: VerifiedProgram, overload b: Int, _ x: Value, _ y: Value) -> Value {
    // VERIFIED: as for the unary form, with two arguments.
    if x.isError { return x }
    if y.isError { return y }
    switch program.implementations[b] {
    case .binary(let f): return f(x, y)
    case .nary(let f): return f([x, y])
    case .unary, .ternary: return .error(.noOverload(program.overloads[b].function, [x, y]))
    }
  }

  /// `call`: propagate the first error argument, test arguments the verifier could not type,
  /// then run the implementation without building an argument array for 1–3 arguments.
  @inline(__always)
  func call(
    _ program: VerifiedProgram, pc: Int, overload b: Int, first c: Int, count n: Int,
    _ r: UnsafeMutableBufferPointer<Value>
  ) -> Value {
    // VERIFIED: n equals the overload's arity and its implementation's shape (arity_mismatch,
    // malformed_overload), and r[c..<c+n] is in bounds.
    for i in c..<(c + n) where r[i].isError { return r[i] }
    if program.guardedCalls[pc] {
      // Only calls with a `dyn` argument get here; proven ones skip the test (type_mismatch).
      let o = program.overloads[b]
      var bindings: [String: CELType] = [:]
      for (j, param) in o.params.enumerated() where !Catalog.accepts(param, r[c + j], &bindings) {
        return .error(.noOverload(o.function, Array(r[c..<(c + n)])))
      }
    }
    // NOTE: the same semantics as `Catalog.invoke` (first error argument wins, then the one
    // implementation), inlined so that 1–3 argument calls build no argument array. The
    // implementations come from their own array: reading `overloads[b]` would copy the whole
    // `Overload` (retaining its strings, parameter array and result type) on every call.
    switch program.implementations[b] {
    case .unary(let f): return f(r[c])
    case .binary(let f): return f(r[c], r[c + 1])
    case .ternary(let f): return f(r[c], r[c + 1], r[c + 2])
    case .nary(let f): return f(Array(r[c..<(c + n)]))
    }
  }
}
