// VM behaviour for each opcode, error propagation included.

import SentinelBuiltins
import SentinelBytecode
import SentinelModel
import SentinelVM
import SentinelVerifier
import Testing

private func map(_ pairs: [(String, Value)]) -> Value {
  var m = MapValue()
  for (k, v) in pairs { m.insert(.string(k), v) }
  return .map(m)
}

private let boom = Value.error(CELError(.divideByZero, "boom"))
private let bang = Value.error(CELError(.overflow, "bang"))

/// `r0 ← k0; r1 ← op(r0, field k1); ret r1`.
private func selectProgram(_ op: Opcode, on target: Value, field: String = "a") -> Program {
  program(
    [.loadConst(0, 0), Instruction(op, 1, 0, 1), .ret(1)], registers: 2, constants: [target, .string(field)])
}

/// `r0 ← x; r1 ← y; op r0, r1; ret r0` for binary accumulators.
private func binary(_ op: Opcode, _ x: Value, _ y: Value) -> Value {
  run(
    program(
      [.loadConst(0, 0), .loadConst(1, 1), Instruction(op, 0, 1), .ret(0)], registers: 2, constants: [x, y]))
}

@Suite struct VMTests {
  @Test func loadConstMoveAndRet() {
    let p = program([.loadConst(0, 0), .move(1, 0), .ret(1)], registers: 2, constants: [.string("hi")])
    #expect(render(run(p)) == "\"hi\"")
  }

  @Test func loadVarBoundUnboundAndWrongKind() throws {
    let p = program(
      [.loadVar(0, 0), .ret(0)], registers: 1, variables: [VariableSlot(name: "x", type: .int)])
    #expect(render(run(p, [.int(7)])) == "7")
    #expect(errorKind(run(p, [nil])) == .unboundVariable)
    #expect(errorKind(run(p, [])) == .unboundVariable)
    if case .error(let e) = run(p, []) { #expect(e.message == "no value bound for variable `x`") }
    #expect(errorKind(run(p, [.string("seven")])) == .invalidArgument)
    #expect(errorKind(run(p, [boom])) == .divideByZero)
    let verified = try Fixtures.verifier.verify(p)
    #expect(verified.slot(named: "x") == 0 && verified.slot(named: "y") == nil)
    #expect(render(VM().run(verified, bindings: ["x": .int(3)])) == "3")
  }

  @Test func dynVariableAcceptsAnything() {
    let p = program(
      [.loadVar(0, 0), .ret(0)], registers: 1, variables: [VariableSlot(name: "x", type: .dyn)])
    #expect(render(run(p, [.list([.int(1)])])) == "[1]")
  }

  @Test func select() {
    let m = map([("a", .int(1))])
    #expect(render(run(selectProgram(.select, on: m))) == "1")
    #expect(errorKind(run(selectProgram(.select, on: m, field: "b"))) == .noSuchKey)
    #expect(errorKind(run(selectProgram(.select, on: .int(1)))) == .noSuchField)
    #expect(errorKind(run(selectProgram(.select, on: boom))) == .divideByZero)
    #expect(render(run(selectProgram(.select, on: .optional(nil)))) == "optional.none()")
    #expect(render(run(selectProgram(.select, on: .optional(m)))) == "optional.of(1)")
    #expect(render(run(selectProgram(.select, on: .optional(m), field: "b"))) == "optional.none()")
    #expect(errorKind(run(selectProgram(.select, on: .optional(.int(1))))) == .noSuchField)
  }

  @Test func has() {
    let m = map([("a", .int(1))])
    #expect(render(run(selectProgram(.hasField, on: m))) == "true")
    #expect(render(run(selectProgram(.hasField, on: m, field: "b"))) == "false")
    #expect(errorKind(run(selectProgram(.hasField, on: .string("a")))) == .noSuchField)
    #expect(errorKind(run(selectProgram(.hasField, on: boom))) == .divideByZero)
    // On optionals (CEL conformance `has_map_optindex`, `optional_chaining_9`).
    #expect(render(run(selectProgram(.hasField, on: .optional(nil)))) == "false")
    #expect(render(run(selectProgram(.hasField, on: .optional(m)))) == "true")
    #expect(render(run(selectProgram(.hasField, on: .optional(m), field: "b"))) == "false")
    #expect(errorKind(run(selectProgram(.hasField, on: .optional(.int(1))))) == .noSuchField)
  }

  @Test func optionalSelect() {
    let m = map([("a", .int(1))])
    #expect(render(run(selectProgram(.optSelect, on: m))) == "optional.of(1)")
    #expect(render(run(selectProgram(.optSelect, on: m, field: "b"))) == "optional.none()")
    #expect(render(run(selectProgram(.optSelect, on: .optional(nil)))) == "optional.none()")
    #expect(render(run(selectProgram(.optSelect, on: .optional(m)))) == "optional.of(1)")
    #expect(errorKind(run(selectProgram(.optSelect, on: .bool(true)))) == .noSuchField)
    #expect(errorKind(run(selectProgram(.optSelect, on: boom))) == .divideByZero)
  }

  @Test func callEachImplementationShape() {
    func call(_ id: String, _ args: [Value]) -> Value {
      var code: [Instruction] = args.indices.map { .loadConst(UInt16($0), UInt32($0)) }
      code += [.call(UInt16(args.count), 0, 0, UInt32(args.count)), .ret(UInt16(args.count))]
      return run(program(code, registers: args.count + 1, constants: args, builtins: [id]))
    }
    #expect(render(call("negate_int64", [.int(4)])) == "-4")
    #expect(render(call("add_int64", [.int(4), .int(5)])) == "9")
    #expect(errorKind(call("add_int64", [.int(.max), .int(1)])) == .overflow)
    #expect(render(call("clamp_int64", [.int(40), .int(0), .int(10)])) == "10")
    #expect(render(call("sum4_int64", [.int(1), .int(2), .int(3), .int(4)])) == "10")
    #expect(render(call("type_dyn", [.string("s")])) == "string")
    #expect(render(call("identity_a", [.list([])])) == "[]")
    // The first error argument propagates, before the implementation runs.
    #expect(errorKind(call("add_int64", [boom, bang])) == .divideByZero)
    #expect(errorKind(call("add_int64", [.int(1), bang])) == .overflow)
  }

  @Test func guardedCallTestsDynArguments() {
    let p = program(
      [.loadVar(0, 0), .loadConst(1, 0), .call(2, 0, 0, 2), .ret(2)], registers: 3, constants: [.int(1)],
      variables: [VariableSlot(name: "x", type: .dyn)], builtins: ["add_int64"])
    #expect(render(run(p, [.int(41)])) == "42")
    let wrong = run(p, [.string("41")])
    #expect(errorKind(wrong) == .noMatchingOverload)
    if case .error(let e) = wrong {
      #expect(e.message == "no matching overload for '_+_' applied to (string, int)")
    }
  }

  @Test func callDynamicDispatchesOnRuntimeTypes() {
    let p = program(
      [.loadVar(0, 0), Instruction(.callDynamic, 1, 0, 0, 1), .ret(1)], registers: 2,
      variables: [VariableSlot(name: "x", type: .dyn)],
      functions: [FunctionRef(name: "size", receiver: false)])
    #expect(render(run(p, [.string("héllo")])) == "5")
    #expect(render(run(p, [.list([.int(1), .int(2)])])) == "2")
    #expect(errorKind(run(p, [.int(1)])) == .noMatchingOverload)
    #expect(errorKind(run(p, [boom])) == .divideByZero)
    let receiver = program(
      [.loadConst(0, 0), .loadConst(1, 1), Instruction(.callDynamic, 2, 0, 0, 2), .ret(2)], registers: 3,
      constants: [.string("fraud"), .string("au")], functions: [FunctionRef(name: "contains", receiver: true)]
    )
    #expect(render(run(receiver)) == "true")
  }

  /// The truth table of `&&` and `||` over true, false, two errors and a non-bool, against the
  /// CEL spec: the absorbing bool wins on either side, then two bools, then the first error.
  @Test func logicalOperatorsAbsorbCommutatively() {
    let t = Value.bool(true)
    let f = Value.bool(false)
    let x = Value.int(3)
    let values: [(String, Value)] = [("T", t), ("F", f), ("E1", boom), ("E2", bang), ("X", x)]
    func expected(_ a: String, _ b: String, and: Bool) -> String {
      let absorbing = and ? "F" : "T"
      let identity = and ? "T" : "F"
      if a == absorbing || b == absorbing { return absorbing }
      if a == identity && b == identity { return identity }
      if a.hasPrefix("E") { return a }
      if b.hasPrefix("E") { return b }
      return "no_matching_overload"
    }
    func name(_ v: Value) -> String {
      switch v {
      case .bool(true): return "T"
      case .bool(false): return "F"
      case .error(let e) where e.kind == .divideByZero: return "E1"
      case .error(let e) where e.kind == .overflow: return "E2"
      case .error(let e): return e.kind.rawValue
      default: return "?"
      }
    }
    for (an, a) in values {
      for (bn, b) in values {
        #expect(name(binary(.logicalAnd, a, b)) == expected(an, bn, and: true), "\(an) && \(bn)")
        #expect(name(binary(.logicalOr, a, b)) == expected(an, bn, and: false), "\(an) || \(bn)")
      }
    }
  }

  @Test func conditionalJumps() {
    // r1 ← "taken" if the jump is taken, else "fell".
    func taken(_ op: Opcode, _ v: Value) -> Bool {
      let p = program(
        [.loadConst(0, 0), .loadConst(1, 1), Instruction(op, 0, 4), .loadConst(1, 2), .ret(1)], registers: 2,
        constants: [v, .string("taken"), .string("fell")])
      return render(run(p)) == "\"taken\""
    }
    #expect(taken(.jumpIfFalse, .bool(false)) && !taken(.jumpIfFalse, .bool(true)))
    #expect(!taken(.jumpIfFalse, boom) && !taken(.jumpIfFalse, .int(0)))
    #expect(taken(.jumpIfTrue, .bool(true)) && !taken(.jumpIfTrue, .bool(false)))
    #expect(!taken(.jumpIfTrue, boom) && !taken(.jumpIfTrue, .int(1)))
    #expect(taken(.jumpIfNotBool, boom) && taken(.jumpIfNotBool, .int(1)) && taken(.jumpIfNotBool, .null))
    #expect(!taken(.jumpIfNotBool, .bool(true)) && !taken(.jumpIfNotBool, .bool(false)))
    let jump = program(
      [.loadConst(0, 0), .jump(3), .loadConst(0, 1), .ret(0)], registers: 1, constants: [.int(1), .int(2)])
    #expect(render(run(jump)) == "1")
  }

  @Test func conditionError() {
    func cond(_ v: Value) -> Value {
      run(
        program(
          [.loadConst(0, 0), Instruction(.conditionError, 1, 0), .ret(1)], registers: 2, constants: [v]))
    }
    #expect(errorKind(cond(boom)) == .divideByZero)
    let e = cond(.string("yes"))
    #expect(errorKind(e) == .noMatchingOverload)
    if case .error(let err) = e {
      #expect(err.message == "no matching overload for '_?_:_' applied to (string)")
    }
  }

  @Test func notStrictlyFalse() {
    func nsf(_ v: Value) -> String {
      render(
        run(
          program(
            [.loadConst(0, 0), Instruction(.notStrictlyFalse, 1, 0), .ret(1)], registers: 2, constants: [v])))
    }
    #expect(nsf(.bool(false)) == "false")
    #expect(nsf(.bool(true)) == "true" && nsf(boom) == "true" && nsf(.int(0)) == "true")
  }

  @Test func makeList() {
    func list(_ xs: [Value]) -> Value {
      var code: [Instruction] = xs.indices.map { .loadConst(UInt16($0 + 1), UInt32($0)) }
      code += [Instruction(.makeList, 0, 1, UInt32(xs.count)), .ret(0)]
      return run(program(code, registers: xs.count + 1, constants: xs))
    }
    #expect(render(list([])) == "[]")
    #expect(render(list([.int(1), .string("a")])) == "[1, \"a\"]")
    #expect(errorKind(list([.int(1), boom, bang])) == .divideByZero)
  }

  @Test func listAppend() {
    #expect(render(binary(.listAppend, .list([.int(1)]), .int(2))) == "[1, 2]")
    #expect(errorKind(binary(.listAppend, .list([]), boom)) == .divideByZero)
    #expect(errorKind(binary(.listAppend, bang, boom)) == .overflow)
    #expect(errorKind(binary(.listAppend, .int(1), .int(2))) == .invalidArgument)
    #expect(render(binary(.listAppendOptional, .list([.int(1)]), .optional(.int(2)))) == "[1, 2]")
    #expect(render(binary(.listAppendOptional, .list([.int(1)]), .optional(nil))) == "[1]")
    #expect(errorKind(binary(.listAppendOptional, .list([]), .int(2))) == .invalidArgument)
    #expect(errorKind(binary(.listAppendOptional, .list([]), boom)) == .divideByZero)
    #expect(errorKind(binary(.listAppendOptional, bang, .optional(.int(1)))) == .overflow)
  }

  @Test func makeMap() {
    func map(_ kv: [Value]) -> Value {
      var code: [Instruction] = kv.indices.map { .loadConst(UInt16($0 + 1), UInt32($0)) }
      code += [Instruction(.makeMap, 0, 1, UInt32(kv.count / 2)), .ret(0)]
      return run(program(code, registers: kv.count + 1, constants: kv))
    }
    #expect(render(map([])) == "{}")
    #expect(render(map([.string("b"), .int(1), .string("a"), .int(2)])) == "{\"b\": 1, \"a\": 2}")
    #expect(errorKind(map([.string("a"), .int(1), .string("a"), .int(2)])) == .duplicateKey)
    #expect(errorKind(map([.int(1), .int(1), .uint(1), .int(2)])) == .duplicateKey)
    #expect(errorKind(map([.double(1.5), .int(1)])) == .invalidArgument)
    #expect(errorKind(map([.string("a"), boom, .string("a"), .int(2)])) == .divideByZero)
    #expect(errorKind(map([bang, .int(1)])) == .overflow)
  }

  @Test func mapInsert() {
    func insert(_ op: Opcode, _ acc: Value, _ k: Value, _ v: Value) -> Value {
      run(
        program(
          [.loadConst(0, 0), .loadConst(1, 1), .loadConst(2, 2), Instruction(op, 0, 1, 2), .ret(0)],
          registers: 3,
          constants: [acc, k, v]))
    }
    let m = Value.map(MapValue())
    #expect(render(insert(.mapInsert, m, .string("a"), .int(1))) == "{\"a\": 1}")
    #expect(errorKind(insert(.mapInsert, map([("a", .int(0))]), .string("a"), .int(1))) == .duplicateKey)
    #expect(errorKind(insert(.mapInsert, m, .list([]), .int(1))) == .invalidArgument)
    #expect(errorKind(insert(.mapInsert, m, boom, .int(1))) == .divideByZero)
    #expect(errorKind(insert(.mapInsert, m, .string("a"), bang)) == .overflow)
    #expect(errorKind(insert(.mapInsert, boom, .string("a"), bang)) == .divideByZero)
    #expect(errorKind(insert(.mapInsert, .int(1), .string("a"), .int(1))) == .invalidArgument)
    #expect(render(insert(.mapInsertOptional, m, .string("a"), .optional(.int(1)))) == "{\"a\": 1}")
    #expect(render(insert(.mapInsertOptional, m, .string("a"), .optional(nil))) == "{}")
    #expect(errorKind(insert(.mapInsertOptional, m, .string("a"), .int(1))) == .invalidArgument)
    #expect(errorKind(insert(.mapInsertOptional, m, .string("a"), boom)) == .divideByZero)
  }

  @Test func nopDoesNothing() {
    #expect(
      render(run(program([.loadConst(0, 0), Instruction(.nop), .ret(0)], registers: 1, constants: [.null])))
        == "null")
  }

  @Test func oneVMRunsManyProgramsConcurrently() async throws {
    let verified = try Fixtures.verifier.verify(nestedLoops)
    let vm = VM()
    let results = await withTaskGroup(of: String.self) { group in
      for i in 0..<8 {
        group.addTask {
          let xs = Value.list((0..<i).map { .int(Int64($0)) })
          return render(vm.run(verified, variables: [xs, .list([.int(1), .int(2)])]))
        }
      }
      var out: [String] = []
      for await r in group { out.append(r) }
      return out.sorted()
    }
    #expect(results == (0..<8).map { String($0 * 3) }.sorted())
  }
}
