// Shared fixtures for the runtime tests: a small catalog of our own (so these tests do not
// depend on the standard builtins' progress), program builders, and value assertions.

import SentinelBuiltins
import SentinelBytecode
import SentinelModel
import SentinelVM
import SentinelVerifier
import Testing

enum Fixtures {
  static func int(_ v: Value) -> Int64? {
    if case .int(let i) = v { return i }
    return nil
  }

  /// A catalog with one overload of each implementation shape and a few parameter kinds.
  static let catalog = Catalog(
    [
      Overload(
        "add_int64", "_+_", [.int, .int], .int,
        .binary { a, b in
          guard let x = int(a), let y = int(b) else { return .error(.noOverload("_+_", [a, b])) }
          let (r, o) = x.addingReportingOverflow(y)
          return o ? .error(.overflowError) : .int(r)
        }),
      Overload(
        "greater_int64", "_>_", [.int, .int], .bool,
        .binary { a, b in
          guard let x = int(a), let y = int(b) else { return .error(.noOverload("_>_", [a, b])) }
          return .bool(x > y)
        }),
      Overload(
        "negate_int64", "-_", [.int], .int,
        .unary { a in
          guard let x = int(a), x != .min else { return .error(.overflowError) }
          return .int(-x)
        }),
      Overload(
        "clamp_int64", "clamp", [.int, .int, .int], .int,
        .ternary { v, lo, hi in
          guard let x = int(v), let l = int(lo), let h = int(hi) else {
            return .error(.noOverload("clamp", [v, lo, hi]))
          }
          return .int(min(max(x, l), h))
        }),
      Overload(
        "sum4_int64", "sum", [.int, .int, .int, .int], .int, cost: 3,
        .nary { xs in .int(xs.compactMap(int).reduce(0, &+)) }),
      Overload(
        "size_list", "size", [.list(.dyn)], .int, cost: 2,
        .unary { v in
          if case .list(let xs) = v { return .int(Int64(xs.count)) }
          return .error(.noOverload("size", [v]))
        }),
      Overload(
        "size_string", "size", [.string], .int, cost: 5,
        .unary { v in
          if case .string(let s) = v { return .int(Int64(s.unicodeScalars.count)) }
          return .error(.noOverload("size", [v]))
        }),
      Overload(
        "contains_string", "contains", receiver: true, [.string, .string], .bool,
        .binary { a, b in
          guard case .string(let x) = a, case .string(let y) = b else {
            return .error(.noOverload("contains", [a, b]))
          }
          return .bool(x.contains(y))
        }),
      Overload("type_dyn", "type", [.dyn], .type(nil), .unary { v in .type(v.celType) }),
      Overload("identity_a", "identity", [.typeParam("A")], .typeParam("A"), .unary { $0 }),
      Overload("frob_opaque", "frob", [.opaque("Frob", [])], .bool, .unary { _ in .bool(true) }),
    ] + standardTyped)

  /// Two standard overloads with typed kernels, for the typed instructions (`test.vk`…).
  static let standardTyped: [Overload] = ["less_int64", "equals"].compactMap {
    Builtins.standard.index(ofID: $0).map { Builtins.standard.overloads[$0] }
  }

  /// A catalog whose overload's implementation shape disagrees with its arity.
  static let malformed = Catalog([Overload("bad_shape", "bad", [.int, .int], .int, .unary { $0 })])

  static let verifier = Verifier(catalog: catalog)
}

/// Builds a program; `builtins` and `functions` are by name.
func program(
  _ code: [Instruction], registers: Int, constants: [Value] = [], variables: [VariableSlot] = [],
  builtins: [String] = [], functions: [FunctionRef] = [], sourceMap: [SourceMapEntry] = [],
  ruleCount: Int = 0
) -> Program {
  Program(
    constants: constants, variables: variables, builtins: builtins, functions: functions,
    registerCount: registers, ruleCount: ruleCount, code: code, sourceMap: sourceMap)
}

/// The error a program is rejected with (nil when it verifies).
func rejection(_ p: Program, limits: Limits = .init(), catalog: Catalog = Fixtures.catalog)
  -> VerificationError?
{
  do {
    _ = try Verifier(catalog: catalog, limits: limits).verify(p)
    return nil
  } catch {
    return error
  }
}

/// Verifies and runs a program; records an issue (and returns an error value) if it is rejected.
func run(
  _ p: Program, _ variables: [Value?] = [], limits: Limits = .init(),
  sourceLocation: SourceLocation = #_sourceLocation
) -> Value {
  do {
    let verified = try Verifier(catalog: Fixtures.catalog, limits: limits).verify(p)
    return VM().run(verified, variables: variables)
  } catch {
    Issue.record("rejected: \(error)", sourceLocation: sourceLocation)
    return .error(CELError(.other, "rejected"))
  }
}

/// The kind of an error value, or nil for a non-error.
func errorKind(_ v: Value) -> CELError.Kind? {
  if case .error(let e) = v { return e.kind }
  return nil
}

/// Values compare by their CEL rendering (Value is not Equatable; the rendering is exact).
func render(_ v: Value) -> String { v.description }

extension Instruction {
  static func loadConst(_ a: UInt16, _ k: UInt32) -> Instruction { Instruction(.loadConst, a, k) }
  static func loadVar(_ a: UInt16, _ v: UInt32) -> Instruction { Instruction(.loadVar, a, v) }
  static func move(_ a: UInt16, _ b: UInt32) -> Instruction { Instruction(.move, a, b) }
  static func ret(_ a: UInt16) -> Instruction { Instruction(.ret, a) }
  static func call(_ a: UInt16, _ builtin: UInt32, _ first: UInt32, _ count: UInt32) -> Instruction {
    Instruction(.call, a, builtin, first, count)
  }
  static func jump(_ t: UInt32) -> Instruction { Instruction(.jump, 0, t) }
  static func loop(_ t: UInt32) -> Instruction { Instruction(.loop, 0, t) }
  static func iterInit(_ a: UInt16, _ range: UInt32, _ t: UInt32) -> Instruction {
    Instruction(.iterInit, a, range, t)
  }
  static func iterNext(_ a: UInt16, _ range: UInt32, _ v: UInt32, _ t: UInt32) -> Instruction {
    Instruction(.iterNext, a, range, v, t)
  }
  static func iterNext2(_ a: UInt16, _ range: UInt32, _ v: UInt32, _ t: UInt32) -> Instruction {
    Instruction(.iterNext2, a, range, v, t)
  }
}

/// A deterministic generator (SplitMix64) for the fuzz tests.
struct SplitMix64: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
