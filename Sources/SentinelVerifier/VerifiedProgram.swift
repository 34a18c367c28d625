// The verifier's artifact: a program together with what verification proved about it. Only
// `Verifier.verify` makes one (its initializer is internal to this module); the VM reads the
// `package` fields and skips every check they stand for.

import SentinelBuiltins
import SentinelBytecode
import SentinelModel

/// A program that passed verification against a catalog and limits; the only thing the VM runs.
public struct VerifiedProgram: Sendable {
  /// The verified program, unchanged.
  public let program: Program
  /// The catalog it was verified against; `call` and `call.dyn` run its overloads.
  public let catalog: Catalog
  /// The limits it was verified under. The VM enforces `maxCollectionSize` on every loop, which
  /// is what makes `costBound` hold.
  public let limits: Limits
  /// The worst-case cost of one run (saturating), as `Limits.maxCost` was checked against.
  public let costBound: Int

  /// For each `program.builtins` entry: its index in `catalog.overloads`.
  package let builtinIndices: [Int]
  /// For each `program.builtins` entry: the overload itself (saves a lookup per call).
  package let overloads: [Overload]
  /// For each `program.builtins` entry: its overload's implementation, on its own so that a
  /// `call` reads one enum instead of copying (and retaining the fields of) a whole `Overload`.
  package let implementations: [Implementation]
  /// The code the VM runs: `program.code`, or its fused form (Fusion.swift: common sequences
  /// as one instruction, jump targets renumbered), which passed verification on its own.
  package let code: [Instruction]
  /// For each pc of `code`: whether a `call` there has an argument of unknown kind (`dyn`) whose
  /// run-time value the VM must test against the parameter type before calling the
  /// implementation.
  package let guardedCalls: [Bool]
  /// For each variable slot: the kind its declared type promises; the VM turns a bound value of
  /// another kind into an error so the static kinds stay sound.
  package let variableKinds: [ValueKind]
  /// For each constant: its text if it is a string, else "" (field names of `select`/`has`).
  package let fieldNames: [String]
  /// For each variable slot: the `unbound_variable` error a load of it gives when the slot is
  /// absent, built once (an absent optional field is common: building the message per load cost
  /// an allocation each time).
  package let unboundErrors: [Value]
  /// For each pc of `code`: the typed test a `test.vk`, `and.test.vk` or `test.vv` there runs
  /// (TypedTest.swift), resolved once, trivial, with unowned references to its payloads (strings,
  /// lists, maps, compiled patterns), which the table owns; `.none` elsewhere. The verifier checked that each exists
  /// (no_typed_kernel).
  package let typedTests: TypedTestTable
  /// Whether every run of `code` writes every rule result (RuleCoverage.swift: every path to a
  /// `ret` writes each rule index, and no loop can end the run early), so the VM need not reset
  /// the results before a run.
  package let writesEveryRule: Bool

  init(
    program: Program, catalog: Catalog, limits: Limits, costBound: Int, builtinIndices: [Int],
    code: [Instruction], guardedCalls: [Bool], variableKinds: [ValueKind]
  ) {
    self.code = code
    self.program = program
    self.catalog = catalog
    self.limits = limits
    self.costBound = costBound
    self.builtinIndices = builtinIndices
    self.overloads = builtinIndices.map { catalog.overloads[$0] }
    self.implementations = overloads.map(\.implementation)
    self.guardedCalls = guardedCalls
    self.variableKinds = variableKinds
    self.fieldNames = program.constants.map {
      if case .string(let s) = $0 { return s }
      return ""
    }
    self.unboundErrors = program.variables.map {
      .error(CELError(.unboundVariable, "no value bound for variable `\($0.name)`"))
    }
    self.writesEveryRule = RuleCoverage.writesEveryRule(code, ruleCount: Int(program.ruleCount))
    self.typedTests = TypedTestTable(
      code: code, constants: program.constants, overloads: overloads, variableKinds: variableKinds)
  }

  /// The program as the VM runs it: `program` with the fused code (for disassembly and tests;
  /// without a source map, whose pcs are those of `program.code`).
  public var executedProgram: Program {
    var p = program
    p.code = code
    p.sourceMap = []
    return p
  }

  /// The slot of a variable by qualified name, for building the VM's variable array once.
  public func slot(named name: String) -> Int? {
    program.variables.firstIndex { $0.name == name }
  }

  /// The variable array for `VM.run`, from bindings by qualified name (absent names stay nil and
  /// read as an `unbound_variable` error).
  public func variables(from bindings: [String: Value]) -> [Value?] {
    program.variables.map { bindings[$0.name] }
  }
}
