// Typed tests: the form in which the VM runs `test.vk`, `and.test.vk` and `test.vv` (Fusion.swift
// makes them from call.vk, and.vk and call.vv). A test is resolved once, when the program is
// verified, from three things the verifier has proven: the builtin's typed kernel
// (`Overload.kernel`), the declared kind of the variable and the constant (or the second
// variable's kind). The VM runs the builtin's public typed kernel on the variable's payload: no
// closure call, no boxed `Value` argument built, no kind test beyond the pattern match on the
// slot. When the slot does not hold a value of the proven kind (unbound, or bound to another
// kind), the VM takes the call.vk path, which gives the same error as before. The kernels are
// the ones the catalog's closures call, so the results are those of the builtin by construction;
// the differential tests compare them anyway.
//
// Layout (docs/performance.md, "VM: typed tests in place"): a `TypedTest` is a trivial value —
// its kind, the relation or negation, an int or double constant unboxed, and an unowned
// reference to its `TypedTestPayload` (a string, list, map or compiled pattern), which the
// program's table owns — so the VM reads it in place, without an outlined copy, and borrows the
// payload without a retain or a release.

import SentinelBuiltins
import SentinelBytecode
import SentinelModel

/// A builtin call on a variable and a constant (or two variables) of proven kinds, resolved at
/// load time into its typed kernel. Trivial (no references): read in place per execution.
package struct TypedTest: Sendable {
  /// Which kernel runs, on which unboxed kinds.
  package enum Kind: UInt8, Sendable {
    /// Not a typed instruction (every pc that holds no `test.*`).
    case none
    /// int variable, int constant: `Relation.holds(Int64, Int64)`.
    case orderIntInt
    /// int variable, double constant.
    case orderIntDouble
    /// double variable, int constant.
    case orderDoubleInt
    /// double variable, double constant.
    case orderDoubleDouble
    /// `==`/`!=` (negated) of an int variable and an int constant.
    case equalsIntInt
    /// `==`/`!=` of an int variable and a double constant.
    case equalsIntDouble
    /// `==`/`!=` of a double variable and an int constant.
    case equalsDoubleInt
    /// `==`/`!=` of a double variable and a double constant.
    case equalsDoubleDouble
    /// `==`/`!=` of a string variable and a string constant (`payload.string`).
    case equalsString
    /// A string variable `in` a constant list (`payload.list`).
    case inList
    /// A string variable `in` a constant map's keys (`payload.map`).
    case inMap
    /// A string variable `.matches` a constant pattern (`payload.pattern`), compiled once.
    case matches
    /// `==`/`!=` of two string variables (`test.vv`; the second is the instruction's operand c).
    case equalsStringVars
  }

  /// The kernel and kinds.
  package var kind: Kind
  /// The ordering of `order*` kinds (unused otherwise).
  package var relation: Relation
  /// Whether an `equals*` kind is `!=`.
  package var negated: Bool
  /// The int constant (`*Int` kinds).
  package var int: Int64
  /// The double constant (`*Double` kinds).
  package var double: Double
  /// The constant's payload (string, list, map, pattern kinds), owned by the program's
  /// `TypedTestTable`, which outlives every run: the VM reads it through this unowned reference
  /// without a retain or release (`_withUnsafeGuaranteedRef`).
  package var payload: Unmanaged<TypedTestPayload>?

  /// No test.
  package static let none = TypedTest(.none)

  init(_ kind: Kind, relation: Relation = .less, negated: Bool = false, int: Int64 = 0, double: Double = 0) {
    self.kind = kind
    self.relation = relation
    self.negated = negated
    self.int = int
    self.double = double
    self.payload = nil
  }

  /// The kind of test `kernel` makes on a variable of kind `variable` and `constant`, or nil
  /// when the kernel has no typed form for them (then the call stays a call.vk). Cheap: no
  /// payload is prepared (Fusion and the verifier's `no_typed_kernel` rule ask this; the
  /// program's table is built once, by `TypedTestTable`).
  package static func kind(_ kernel: KernelShape?, variable: ValueKind, constant: Value) -> Kind? {
    resolve(kernel, variable: variable, constant: constant)?.test.kind
  }

  /// The kind of test on two variables of kinds `first` and `second` (`test.vv`), or nil.
  package static func kind(_ kernel: KernelShape?, variable first: ValueKind, variable second: ValueKind)
    -> Kind?
  {
    guard case .equals = kernel, first == .string, second == .string else { return nil }
    return .equalsStringVars
  }

  /// The payload a test needs besides its trivial fields.
  enum Payload {
    case none
    case string(String)
    case list([Value])
    case map(MapValue)
    /// A pattern to compile (only when the table is built).
    case pattern(String)
  }

  /// The one resolution of a (kernel, variable kind, constant) triple.
  static func resolve(_ kernel: KernelShape?, variable: ValueKind, constant: Value) -> (
    test: TypedTest, payload: Payload
  )? {
    guard let kernel else { return nil }
    switch (kernel, variable, constant) {
    case (.order(let rel), .int, .int(let k)): return (TypedTest(.orderIntInt, relation: rel, int: k), .none)
    case (.order(let rel), .int, .double(let k)):
      return (TypedTest(.orderIntDouble, relation: rel, double: k), .none)
    case (.order(let rel), .double, .int(let k)):
      return (TypedTest(.orderDoubleInt, relation: rel, int: k), .none)
    case (.order(let rel), .double, .double(let k)):
      return (TypedTest(.orderDoubleDouble, relation: rel, double: k), .none)
    case (.equals(let negated), .int, .int(let k)):
      return (TypedTest(.equalsIntInt, negated: negated, int: k), .none)
    case (.equals(let negated), .int, .double(let k)):
      return (TypedTest(.equalsIntDouble, negated: negated, double: k), .none)
    case (.equals(let negated), .double, .int(let k)):
      return (TypedTest(.equalsDoubleInt, negated: negated, int: k), .none)
    case (.equals(let negated), .double, .double(let k)):
      return (TypedTest(.equalsDoubleDouble, negated: negated, double: k), .none)
    case (.equals(let negated), .string, .string(let k)):
      return (TypedTest(.equalsString, negated: negated), .string(k))
    case (.inList, .string, .list(let xs)): return (TypedTest(.inList), .list(xs))
    case (.inMap, .string, .map(let m)): return (TypedTest(.inMap), .map(m))
    case (.matches, .string, .string(let p)): return (TypedTest(.matches), .pattern(p))
    default: return nil
    }
  }
}

/// The payload of one typed test: the string, list or map constant as in the constant pool, or
/// the pattern compiled once, and what is precomputed from them: the string's UTF-8 bytes, the
/// set of a list's strings or of a map's string keys (`StringSet`). Immutable; the VM borrows its
/// fields without retaining them.
package final class TypedTestPayload: Sendable {
  package let string: String
  package let list: [Value]
  package let map: MapValue
  package let pattern: ConstantPattern?
  /// `Array(string.utf8)` (`equalsString`: `EqualityKernel.equal(_:utf8:)`).
  package let utf8: [UInt8]
  /// `inList`: the list's string elements — `set.contains(s)` is `Lists.containsString(list, s)`.
  /// `inMap`: the map's string keys — `set.containsASCII(s)`, when the set is ASCII and `s` is,
  /// is `map.contains(string: s)`. Empty otherwise.
  package let set: StringSet

  init(string: String = "", list: [Value] = [], map: MapValue = MapValue(), pattern: ConstantPattern? = nil) {
    self.string = string
    self.list = list
    self.map = map
    self.pattern = pattern
    self.utf8 = Array(string.utf8)
    var members: [String] = []
    for v in list {
      if case .string(let s) = v { members.append(s) }
    }
    for (k, _) in map.entries {
      if case .string(let s) = k { members.append(s) }
    }
    self.set = StringSet(members)
  }
}

/// A program's typed tests, one per pc of the code the VM runs (`.none` where no `test.*` is),
/// and their payloads; built once when the program is verified.
package struct TypedTestTable: Sendable {
  package private(set) var tests: [TypedTest] = []
  /// The payloads the tests' unowned references point to: kept alive as long as the table (a
  /// `let` of the `VerifiedProgram` the VM runs, so through every run).
  package private(set) var payloads: [TypedTestPayload] = []

  init(code: [Instruction], constants: [Value], overloads: [Overload], variableKinds: [ValueKind]) {
    tests.reserveCapacity(code.count)
    for ins in code {
      tests.append(resolve(ins, constants, overloads, variableKinds) ?? .none)
    }
  }

  private mutating func resolve(
    _ ins: Instruction, _ constants: [Value], _ overloads: [Overload], _ variableKinds: [ValueKind]
  ) -> TypedTest? {
    // INVARIANT: the instruction passed verification (operands in bounds, no_typed_kernel).
    switch ins.opcode {
    case .testVarConst, .andTestVarConst:
      guard
        let resolved = TypedTest.resolve(
          overloads[Int(ins.d)].kernel, variable: variableKinds[Int(ins.b)], constant: constants[Int(ins.c)])
      else { return nil }
      var test = resolved.test
      let box: TypedTestPayload
      switch resolved.payload {
      case .none: return test
      case .string(let s): box = TypedTestPayload(string: s)
      case .list(let xs): box = TypedTestPayload(list: xs)
      case .map(let m): box = TypedTestPayload(map: m)
      case .pattern(let p): box = TypedTestPayload(pattern: ConstantPattern(p))
      }
      payloads.append(box)
      test.payload = Unmanaged.passUnretained(box)
      return test
    case .testVarVar:
      guard case .equals(let negated) = overloads[Int(ins.d)].kernel,
        TypedTest.kind(
          overloads[Int(ins.d)].kernel, variable: variableKinds[Int(ins.b)],
          variable: variableKinds[Int(ins.c)])
          != nil
      else { return nil }
      return TypedTest(.equalsStringVars, negated: negated)
    default:
      return nil
    }
  }
}
