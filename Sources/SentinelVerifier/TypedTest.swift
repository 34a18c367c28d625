// Typed tests: the form in which the VM runs `test.vk`, `and.test.vk` and `test.vv` (Fusion.swift
// makes them from call.vk, and.vk and call.vv). A test is resolved once, when the program is
// verified, from three things the verifier has proven: the builtin's typed kernel
// (`Overload.kernel`), the declared kind of the variable and the constant (or the second
// variable's kind). It holds the constant unboxed (an Int64, a Double, a String), or prepared (a
// compiled pattern), and runs the builtin's public typed kernel on the variable's payload: no
// closure call, no boxed `Value` argument built, no kind test beyond the pattern match on the
// slot. When the slot does not hold a value of the proven kind (unbound, or bound to another
// kind), `evaluate` answers nil and the VM takes the call.vk path, which gives the same error
// as before. The kernels are the ones the catalog's closures call, so the results are those of
// the builtin by construction; the differential tests compare them anyway.

import SentinelBuiltins
import SentinelModel

/// A builtin call on a variable and a constant (or two variables) of proven kinds, resolved at
/// load time into its typed kernel.
package enum TypedTest: Sendable {
  /// Not a typed instruction (every pc that holds no `test.*`).
  case none
  /// int variable, int constant: `Relation.holds(Int64, Int64)`.
  case orderIntInt(Relation, Int64)
  /// int variable, double constant.
  case orderIntDouble(Relation, Double)
  /// double variable, int constant.
  case orderDoubleInt(Relation, Int64)
  /// double variable, double constant.
  case orderDoubleDouble(Relation, Double)
  /// `==`/`!=` (negated) of an int variable and an int constant.
  case equalsIntInt(Int64, negated: Bool)
  /// `==`/`!=` of an int variable and a double constant.
  case equalsIntDouble(Double, negated: Bool)
  /// `==`/`!=` of a double variable and an int constant.
  case equalsDoubleInt(Int64, negated: Bool)
  /// `==`/`!=` of a double variable and a double constant.
  case equalsDoubleDouble(Double, negated: Bool)
  /// `==`/`!=` of a string variable and a string constant.
  case equalsString(String, negated: Bool)
  /// A string variable `in` a constant list.
  case inList([Value])
  /// A string variable `in` a constant map's keys.
  case inMap(MapValue)
  /// A string variable `.matches` a constant pattern, compiled once.
  case matches(ConstantPattern)
  /// `==`/`!=` of two string variables (`test.vv`; the second is the instruction's operand c).
  case equalsStringVars(negated: Bool)

  /// The test of `kernel` on a variable of kind `variable` and `constant`, or nil when the
  /// kernel has no typed form for them (then the call stays a call.vk).
  package init?(_ kernel: KernelShape?, variable: ValueKind, constant: Value) {
    guard let kernel else { return nil }
    switch (kernel, variable, constant) {
    case (.order(let rel), .int, .int(let k)): self = .orderIntInt(rel, k)
    case (.order(let rel), .int, .double(let k)): self = .orderIntDouble(rel, k)
    case (.order(let rel), .double, .int(let k)): self = .orderDoubleInt(rel, k)
    case (.order(let rel), .double, .double(let k)): self = .orderDoubleDouble(rel, k)
    case (.equals(let negated), .int, .int(let k)): self = .equalsIntInt(k, negated: negated)
    case (.equals(let negated), .int, .double(let k)): self = .equalsIntDouble(k, negated: negated)
    case (.equals(let negated), .double, .int(let k)): self = .equalsDoubleInt(k, negated: negated)
    case (.equals(let negated), .double, .double(let k)): self = .equalsDoubleDouble(k, negated: negated)
    case (.equals(let negated), .string, .string(let k)): self = .equalsString(k, negated: negated)
    case (.inList, .string, .list(let xs)): self = .inList(xs)
    case (.inMap, .string, .map(let m)): self = .inMap(m)
    case (.matches, .string, .string(let p)): self = .matches(ConstantPattern(p))
    default: return nil
    }
  }

  /// The test of `kernel` on two variables of kinds `first` and `second` (`test.vv`), or nil.
  package init?(_ kernel: KernelShape?, variable first: ValueKind, variable second: ValueKind) {
    guard case .equals(let negated) = kernel, first == .string, second == .string else { return nil }
    self = .equalsStringVars(negated: negated)
  }

  /// The test's result when `v` (the variable's slot) holds a value of the proven kind; nil
  /// otherwise (the caller then runs the builtin through its call.vk path). Never an error
  /// except what `matches` returns for a pattern that does not compile.
  @inlinable @inline(__always)
  package func evaluate(_ v: Value?) -> Value? {
    switch self {
    case .orderIntInt(let rel, let k):
      guard case .int(let x)? = v else { return nil }
      return .bool(rel.holds(x, k))
    case .orderIntDouble(let rel, let k):
      guard case .int(let x)? = v else { return nil }
      return .bool(rel.holds(x, k))
    case .orderDoubleInt(let rel, let k):
      guard case .double(let x)? = v else { return nil }
      return .bool(rel.holds(x, k))
    case .orderDoubleDouble(let rel, let k):
      guard case .double(let x)? = v else { return nil }
      return .bool(rel.holds(x, k))
    case .equalsIntInt(let k, let negated):
      guard case .int(let x)? = v else { return nil }
      return .bool(EqualityKernel.equal(x, k) != negated)
    case .equalsIntDouble(let k, let negated):
      guard case .int(let x)? = v else { return nil }
      return .bool(EqualityKernel.equal(x, k) != negated)
    case .equalsDoubleInt(let k, let negated):
      guard case .double(let x)? = v else { return nil }
      return .bool(EqualityKernel.equal(k, x) != negated)
    case .equalsDoubleDouble(let k, let negated):
      guard case .double(let x)? = v else { return nil }
      return .bool(EqualityKernel.equal(x, k) != negated)
    case .equalsString(let k, let negated):
      guard case .string(let x)? = v else { return nil }
      return .bool(EqualityKernel.equal(x, k) != negated)
    case .inList(let xs):
      guard case .string(let x)? = v else { return nil }
      return .bool(Lists.containsString(xs, x))
    case .inMap(let m):
      guard case .string(let x)? = v else { return nil }
      return .bool(m.contains(string: x))
    case .matches(let p):
      guard case .string(let x)? = v else { return nil }
      return p.matches(x)
    case .none, .equalsStringVars:
      return nil
    }
  }

  /// `test.vv`'s result when both slots hold values of the proven kinds; nil otherwise.
  @inlinable @inline(__always)
  package func evaluate(_ v: Value?, _ w: Value?) -> Value? {
    guard case .equalsStringVars(let negated) = self, case .string(let x)? = v, case .string(let y)? = w
    else { return nil }
    return .bool(EqualityKernel.equal(x, y) != negated)
  }
}
