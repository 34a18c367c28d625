// Codegen: IR → bytecode `Program`. Registers are allocated as a stack: each node evaluates
// into the next free register, and a parent releases its children's registers once it has
// consumed them. Short-circuit operators, conditionals and comprehensions become forward jumps
// and one structured loop per comprehension (see docs/bytecode.md for the shapes).

import SentinelBuiltins
import SentinelBytecode
import SentinelModel

/// Emits bytecode for an IR function.
public struct Codegen {
  let catalog: Catalog
  let variableTypes: [String: CELType]
  let seedVariables: [String]

  /// A code generator. `variables` seeds the program's variable table: those names come first,
  /// in that order, whether the program reads them or not (so that two programs of a bundle
  /// share one slot layout); variables the IR reads beyond them follow in first-use order.
  public init(catalog: Catalog, variableTypes: [String: CELType], variables: [String] = []) {
    self.catalog = catalog
    self.variableTypes = variableTypes
    self.seedVariables = variables
  }

  /// Emits the program. Fails only when a limit of the format is exceeded (65,536 registers;
  /// 2²² constants, table entries, rules or instructions).
  public func emit(_ ir: IRFunction) throws(CodegenError) -> Program {
    var state = CodegenState(ir: ir, catalog: catalog, variableTypes: variableTypes)
    state.top = state.base
    state.highWater = state.base
    if state.base > 0 {
      // Shared registers start null: a value computed in code that may be skipped is read back
      // only in code skipped under the same conditions (`SharingScope`), a fact the verifier's
      // path-insensitive definite-assignment analysis cannot see — it sees these writes.
      let null = state.constantIndex(.null)
      for r in 0..<state.base { state.append(Instruction(.loadConst, CodegenState.r(r), null), span: .none) }
    }
    for name in seedVariables { _ = state.variable(name) }
    if ir.ruleRoots.isEmpty && ir.nodes.isEmpty {
      // An empty rule set (or nothing to compute): the program only returns null.
      let null = state.constantIndex(.null)
      state.append(Instruction(.loadConst, 0, null), span: .none)
      state.append(Instruction(.ret, 0), span: .none)
      state.highWater = 1
      return try state.finish()
    }
    if ir.ruleRoots.isEmpty {
      let r = try state.emit(ir.root)
      state.append(Instruction(.ret, r), span: ir.spans[ir.root])
      return try state.finish()
    }
    // A rule set: each rule's condition into a register, then `rule r, i`; the result is null.
    // INVARIANT: the register stack is empty between rules, so every rule starts again at the
    // stack base and the program needs only as many registers as its largest rule (not their
    // sum): 10,000 rules fit the 16-bit register operand. `GeneratedRuleSetTests` checks the
    // register count. Registers below the base hold shared values (condition dedupe).
    if !ir.deadRules.isEmpty {
      // Dead-rule elimination: rules whose condition is the constant false get it from one
      // register, without code of their own.
      let f = state.alloc()
      state.append(Instruction(.loadConst, CodegenState.r(f), state.constantIndex(.bool(false))), span: .none)
      for i in ir.deadRules {
        state.append(Instruction(.ruleResult, CodegenState.r(f), UInt32(truncatingIfNeeded: i)), span: .none)
      }
      state.top = state.base
    }
    let groups = ir.effectiveSchedule
    let (dependents, attached) = ir.attachedConditionals
    for group in groups {
      guard let g = group.guardNode else {
        for i in group.rules where !attached.contains(i) {
          try state.emitRule(i, dependents: dependents[i] ?? [])
        }
        continue
      }
      // A guarded group (type dispatch) is skipped when its guard is false: each of its rules
      // has the guard as an `&&` conjunct, so each is false — and is given that false from the
      // guard's register: every rule's result is written on every run, as without dispatch
      // (a caller may reuse the results buffer from event to event).
      let rg = try state.emit(g)
      state.top = state.base
      let skip = state.appendJump(Instruction(.jumpIfFalse, rg), span: ir.spans[g])
      let saved = state.scope.enter(unless: g, isAnd: true, in: ir)
      for i in group.rules { try state.emitRule(i) }
      state.scope.leave(saved)
      let end = state.appendJump(Instruction(.jump), span: ir.spans[g])
      state.patch(skip)
      for i in group.rules {
        state.append(Instruction(.ruleResult, rg, UInt32(truncatingIfNeeded: i)), span: ir.spans[g])
      }
      state.patch(end)
    }
    let null = state.constantIndex(.null)
    state.append(Instruction(.loadConst, 0, null), span: .none)
    state.append(Instruction(.ret, 0), span: .none)
    state.highWater = max(state.highWater, 1)
    var program = try state.finish()
    program.ruleCount = ir.ruleRoots.count
    return program
  }
}

/// A program too large for the bytecode format.
public struct CodegenError: Error, Sendable, CustomStringConvertible {
  public var message: String
  public var description: String { message }
}

private struct CodegenState {
  let ir: IRFunction
  let catalog: Catalog
  let variableTypes: [String: CELType]
  var code: [Instruction] = []
  var sourceMap: [SourceMapEntry] = []
  var top = 0
  var highWater = 0
  var variables: [VariableSlot] = []
  var variableIndex: [String: Int] = [:]
  var builtins: [String] = []
  var builtinIndex: [Int: Int] = [:]
  var functions: [FunctionRef] = []
  var functionIndex: [FunctionRef: Int] = [:]
  var constants: [Value]
  var stringConstants: [String: Int] = [:]
  var locals: [LocalID: Int] = [:]
  /// Shared node → its register (condition dedupe's plan); the stack starts above them.
  let shared: [IRNodeID: Int]
  /// The first stack register.
  let base: Int
  /// Where shared values are available (as in `EvaluationWalk`, which the plan was made with).
  var scope = SharingScope()

  init(ir: IRFunction, catalog: Catalog, variableTypes: [String: CELType]) {
    self.ir = ir
    self.catalog = catalog
    self.variableTypes = variableTypes
    self.constants = ir.constants
    self.shared = ir.sharing?.registers ?? [:]
    self.base = ir.sharing?.registerCount ?? 0
    for (i, c) in constants.enumerated() {
      if case .string(let s) = c, stringConstants[s] == nil { stringConstants[s] = i }
    }
  }

  func finish() throws(CodegenError) -> Program {
    // Registers must fit operand a (16 bits); every other index a 32-bit operand, but tables and
    // code are capped at the decoder's count limit so that what is written can be read back.
    let limit = Program.maxTableCount
    guard highWater <= Program.maxRegisterCount else {
      throw CodegenError(
        message:
          "expression too large for the bytecode format (more than \(Program.maxRegisterCount) registers)")
    }
    guard constants.count <= limit, code.count <= limit, variables.count <= limit,
      builtins.count <= limit, functions.count <= limit, ir.ruleRoots.count <= limit
    else {
      throw CodegenError(
        message:
          "expression too large for the bytecode format (more than \(limit) constants, table entries, rules or instructions)"
      )
    }
    return Program(
      constants: constants, variables: variables, builtins: builtins, functions: functions,
      registerCount: max(highWater, 1), code: code, sourceMap: sourceMap)
  }

  mutating func alloc(_ n: Int = 1) -> Int {
    let r = top
    top += n
    highWater = max(highWater, top)
    return r
  }

  mutating func append(_ ins: Instruction, span: Span) {
    sourceMap.append(SourceMapEntry(pc: code.count, span: span))
    code.append(ins)
  }

  /// Appends a jump whose target is patched later; returns its pc.
  mutating func appendJump(_ ins: Instruction, span: Span) -> Int {
    append(ins, span: span)
    return code.count - 1
  }

  /// Points the jump at `pc` to the next instruction to be emitted.
  mutating func patch(_ pc: Int) {
    let target = UInt32(truncatingIfNeeded: code.count)
    switch code[pc].opcode {
    case .jump: code[pc].b = target
    case .jumpIfFalse, .jumpIfTrue, .jumpIfNotBool: code[pc].b = target
    case .iterInit: code[pc].c = target
    case .iterNext, .iterNext2: code[pc].d = target
    default: break
    }
  }

  mutating func constantIndex(_ v: Value) -> UInt32 {
    if case .null = v,
      let i = constants.firstIndex(where: { if case .null = $0 { return true } else { return false } })
    {
      return UInt32(truncatingIfNeeded: i)
    }
    constants.append(v)
    return UInt32(truncatingIfNeeded: constants.count - 1)
  }

  mutating func stringConstant(_ s: String) -> UInt32 {
    if let i = stringConstants[s] { return UInt32(truncatingIfNeeded: i) }
    constants.append(.string(s))
    stringConstants[s] = constants.count - 1
    return UInt32(truncatingIfNeeded: constants.count - 1)
  }

  mutating func variable(_ name: String) -> UInt32 {
    if let i = variableIndex[name] { return UInt32(truncatingIfNeeded: i) }
    variables.append(VariableSlot(name: name, type: variableTypes[name] ?? .dyn))
    variableIndex[name] = variables.count - 1
    return UInt32(truncatingIfNeeded: variables.count - 1)
  }

  mutating func builtin(_ overload: Int) -> UInt32 {
    if let i = builtinIndex[overload] { return UInt32(truncatingIfNeeded: i) }
    builtins.append(catalog.overloads[overload].id)
    builtinIndex[overload] = builtins.count - 1
    return UInt32(truncatingIfNeeded: builtins.count - 1)
  }

  mutating func function(_ f: FunctionRef) -> UInt32 {
    if let i = functionIndex[f] { return UInt32(truncatingIfNeeded: i) }
    functions.append(f)
    functionIndex[f] = functions.count - 1
    return UInt32(truncatingIfNeeded: functions.count - 1)
  }

  /// A register as operand a (16 bits; `finish` refuses more than 65,536 registers).
  static func r(_ i: Int) -> UInt16 { UInt16(truncatingIfNeeded: i) }
  /// A register, count or index as operand b, c or d (32 bits).
  static func w(_ i: Int) -> UInt32 { UInt32(truncatingIfNeeded: i) }
  /// A register as operand b, c or d.
  static func w(_ r: UInt16) -> UInt32 { UInt32(r) }

  /// Emits `id` into a newly allocated register and returns it. Registers above it that the
  /// node used as temporaries are released.
  mutating func emit(_ id: IRNodeID) throws(CodegenError) -> UInt16 {
    if let s = shared[id] {
      try computeShared(id, s)
      return Self.r(s)
    }
    let dst = alloc()
    try emitNode(id, into: dst)
    top = dst + 1
    return Self.r(dst)
  }

  /// Emits `id` so that its value ends up in register `dst` (already allocated).
  mutating func emit(_ id: IRNodeID, into dst: Int) throws(CodegenError) {
    guard let s = shared[id] else { return try emitNode(id, into: dst) }
    try computeShared(id, s)
    if s != dst { append(Instruction(.move, Self.r(dst), Self.w(s)), span: ir.spans[id]) }
  }

  /// A shared node's home: computes it into its register unless it is already there.
  mutating func computeShared(_ id: IRNodeID, _ s: Int) throws(CodegenError) {
    guard !scope.isAvailable(id) else { return }
    try emitNode(id, into: s)
    scope.home(id)
  }

  /// Emits rule `i`: its condition, then `rule r, i`; the stack is empty again after it.
  /// `dependents`: roots `c ? t : e` whose `c` is this rule's root (`attachedConditionals`),
  /// emitted next from the rule's register as `.conditional` would be (`t` where it is true, `e`
  /// where false, the condition's error otherwise), their branches sharing one scope each.
  mutating func emitRule(_ i: Int, dependents: [Int] = []) throws(CodegenError) {
    let root = ir.ruleRoots[i]
    let r = try emit(root)
    let span = ir.spans[root]
    append(Instruction(.ruleResult, r, UInt32(truncatingIfNeeded: i)), span: span)
    if !dependents.isEmpty {
      let notBool = appendJump(Instruction(.jumpIfNotBool, r), span: span)
      let toElse = appendJump(Instruction(.jumpIfFalse, r), span: span)
      try emitBranches(of: dependents, thenBranch: true, condition: root)
      let end1 = appendJump(Instruction(.jump), span: span)
      patch(toElse)
      try emitBranches(of: dependents, thenBranch: false, condition: root)
      let end2 = appendJump(Instruction(.jump), span: span)
      patch(notBool)
      let d = alloc()
      append(Instruction(.conditionError, Self.r(d), Self.w(r)), span: span)
      for k in dependents {
        append(Instruction(.ruleResult, Self.r(d), UInt32(truncatingIfNeeded: k)), span: span)
      }
      patch(end1)
      patch(end2)
    }
    top = base
  }

  /// One branch of each attached root (`emitRule`) into its result, in one scope. The `then`
  /// branch runs where the condition is true, so every `&&` operand of it is (values computed
  /// under them are read back: the placeholders of a screening rule call `screen` once). In the
  /// `else` branch a constant is loaded once for all roots (placeholders' nulls).
  mutating func emitBranches(of roots: [Int], thenBranch: Bool, condition: IRNodeID) throws(CodegenError) {
    let mark = top
    try scoped { (s: inout CodegenState) throws(CodegenError) in
      if thenBranch { _ = s.scope.enter(unless: condition, isAnd: true, in: s.ir) }
      // Constant index → the register it was loaded into; the stack is kept above those.
      var loaded: [UInt32: UInt16] = [:]
      var keep = mark
      for k in roots {
        guard case .conditional(_, let t, let e) = s.ir.nodes[s.ir.ruleRoots[k]] else { continue }
        let x = thenBranch ? t : e
        let v: UInt16
        if case .constant(let ci) = s.ir.nodes[x], s.shared[x] == nil {
          let c = Self.w(ci)
          if let r = loaded[c] {
            v = r
          } else {
            v = Self.r(s.alloc())
            s.append(Instruction(.loadConst, v, c), span: s.ir.spans[x])
            loaded[c] = v
            keep = s.top
          }
        } else {
          v = try s.emit(x)
        }
        s.append(Instruction(.ruleResult, v, UInt32(truncatingIfNeeded: k)), span: s.ir.spans[x])
        s.top = keep
      }
    }
    top = mark
  }

  /// Emits code that repeats or excludes other code (loop bodies, `?:` branches): shared values
  /// it computes are not available after it.
  mutating func scoped<T>(_ body: (inout CodegenState) throws(CodegenError) -> T) throws(CodegenError) -> T {
    let saved = scope
    defer { scope = saved }
    return try body(&self)
  }

  /// Emits the node itself into `dst` (its shared children are read from their registers).
  mutating func emitNode(_ id: IRNodeID, into dst: Int) throws(CodegenError) {
    let span = ir.spans[id]
    let d = Self.r(dst)
    let mark = top
    defer { top = mark }
    switch ir.nodes[id] {
    case .constant(let k):
      append(Instruction(.loadConst, d, Self.w(k)), span: span)

    case .variable(let name):
      append(Instruction(.loadVar, d, variable(name)), span: span)

    case .present(let name):
      append(Instruction(.hasVariable, d, variable(name)), span: span)

    case .local(let l):
      // INVARIANT: a local is only referenced inside the comprehension that binds it.
      let src = locals[l] ?? 0
      append(Instruction(.move, d, Self.w(src)), span: span)

    case .select(let x, let field):
      let rx = try emit(x)
      append(Instruction(.select, d, Self.w(rx), stringConstant(field)), span: span)

    case .hasField(let x, let field):
      let rx = try emit(x)
      append(Instruction(.hasField, d, Self.w(rx), stringConstant(field)), span: span)

    case .optionalSelect(let x, let field):
      let rx = try emit(x)
      append(Instruction(.optSelect, d, Self.w(rx), stringConstant(field)), span: span)

    case .call(let overload, let args):
      let base = try emitArguments(args)
      append(Instruction(.call, d, builtin(overload), base, Self.w(args.count)), span: span)

    case .callDynamic(let name, let receiver, let args):
      let base = try emitArguments(args)
      let f = function(FunctionRef(name: name, receiver: receiver))
      append(Instruction(.callDynamic, d, f, base, Self.w(args.count)), span: span)

    case .and(let a, let b), .or(let a, let b):
      let isAnd: Bool
      if case .and = ir.nodes[id] { isAnd = true } else { isAnd = false }
      try emit(a, into: dst)
      let skip = appendJump(Instruction(isAnd ? .jumpIfFalse : .jumpIfTrue, d), span: span)
      let saved = scope.enter(unless: a, isAnd: isAnd, in: ir)
      let rb = try emit(b)
      scope.leave(saved)
      append(Instruction(isAnd ? .logicalAnd : .logicalOr, d, Self.w(rb)), span: span)
      patch(skip)

    case .conditional(let c, let t, let e):
      let rc = try emit(c)
      let notBool = appendJump(Instruction(.jumpIfNotBool, rc), span: span)
      let toElse = appendJump(Instruction(.jumpIfFalse, rc), span: span)
      try scoped { (s: inout CodegenState) throws(CodegenError) in try s.emit(t, into: dst) }
      let end1 = appendJump(Instruction(.jump), span: span)
      patch(toElse)
      try scoped { (s: inout CodegenState) throws(CodegenError) in try s.emit(e, into: dst) }
      let end2 = appendJump(Instruction(.jump), span: span)
      patch(notBool)
      append(Instruction(.conditionError, d, Self.w(rc)), span: span)
      patch(end1)
      patch(end2)

    case .notStrictlyFalse(let x):
      let rx = try emit(x)
      append(Instruction(.notStrictlyFalse, d, Self.w(rx)), span: span)

    case .list(let elements, let optional):
      if optional.contains(true) {
        append(Instruction(.makeList, d, 0, 0), span: span)
        for (x, opt) in zip(elements, optional) {
          let rx = try emit(x)
          append(Instruction(opt ? .listAppendOptional : .listAppend, d, Self.w(rx)), span: span)
          top = dst + 1
        }
      } else {
        let base = try emitArguments(elements)
        append(Instruction(.makeList, d, base, Self.w(elements.count)), span: span)
      }

    case .map(let keys, let values, let optional):
      if optional.contains(true) {
        append(Instruction(.makeMap, d, 0, 0), span: span)
        for i in keys.indices {
          let rk = try emit(keys[i])
          let rv = try emit(values[i])
          let op: Opcode = optional[i] ? .mapInsertOptional : .mapInsert
          append(Instruction(op, d, Self.w(rk), Self.w(rv)), span: span)
          top = dst + 1
        }
      } else {
        let base = alloc(keys.count * 2)
        for i in keys.indices {
          try emit(keys[i], into: base + 2 * i)
          try emit(values[i], into: base + 2 * i + 1)
        }
        append(Instruction(.makeMap, d, Self.w(base), Self.w(keys.count)), span: span)
      }

    case .comprehension(let c):
      try emitComprehension(c, into: dst, span: span)
    }
  }

  /// Evaluates arguments into consecutive registers; returns the first.
  mutating func emitArguments(_ args: [IRNodeID]) throws(CodegenError) -> UInt32 {
    let base = alloc(args.count)
    for (i, a) in args.enumerated() { try emit(a, into: base + i) }
    return Self.w(base)
  }

  ///     range  ← <range>;  accu ← <init>
  ///     iter.init counter, range, @error
  ///   @head:
  ///     iter.next counter, range, var, @done
  ///     cond ← <condition>;  jump.false cond, @done
  ///     tmp ← <step>;  move accu, tmp
  ///     loop @head
  ///   @done:
  ///     dst ← <result>;  jump @end
  ///   @error:
  ///     cond.error dst, range
  ///   @end:
  mutating func emitComprehension(_ c: IRComprehension, into dst: Int, span: Span) throws(CodegenError) {
    let d = Self.r(dst)
    let range = try emit(c.range)
    let accu = alloc()
    try emit(c.accuInit, into: accu)
    let counter = alloc()
    let vars = alloc(c.iterVar2 == nil ? 1 : 2)
    locals[c.accuVar] = accu
    locals[c.iterVar] = vars
    if let v2 = c.iterVar2 { locals[v2] = vars + 1 }
    let initJump = appendJump(Instruction(.iterInit, Self.r(counter), Self.w(range)), span: span)
    let head = code.count
    let next = appendJump(
      Instruction(c.iterVar2 == nil ? .iterNext : .iterNext2, Self.r(counter), Self.w(range), Self.w(vars)),
      span: span)
    let saved = scope
    let cond = try emit(c.condition)
    let brk = appendJump(Instruction(.jumpIfFalse, cond), span: span)
    top = vars + (c.iterVar2 == nil ? 1 : 2)
    let step = try emit(c.step)
    append(Instruction(.move, Self.r(accu), Self.w(step)), span: span)
    top = vars + (c.iterVar2 == nil ? 1 : 2)
    append(Instruction(.loop, 0, Self.w(head)), span: span)
    scope = saved
    patch(next)
    patch(brk)
    try scoped { (s: inout CodegenState) throws(CodegenError) in try s.emit(c.result, into: dst) }
    let end = appendJump(Instruction(.jump), span: span)
    patch(initJump)
    append(Instruction(.conditionError, d, Self.w(range)), span: span)
    patch(end)
  }
}
