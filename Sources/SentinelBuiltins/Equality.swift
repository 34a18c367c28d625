// Equality `_==_` / `_!=_` (langdef "Equality"): heterogeneous at run time.
//
// * int, uint and double compare as numbers on one number line (`1 == 1u == 1.0`), with the
//   same conversion rules as ordering (see Comparison.swift); NaN equals nothing, itself included.
// * Values of different non-numeric kinds are unequal (false, never an error).
// * Lists are equal when their lengths match and elements are pairwise equal (recursively, with
//   the same numeric cross-equality); maps when they have the same key set (keys matched with
//   CEL's cross-numeric key equality) and equal values, in any order.
// * Strings compare by code points (not by Swift's canonical equivalence).
// * Type values compare by type name; optionals are equal when both are empty or both hold
//   equal values. An error value equals nothing (callers propagate errors before comparing).
//
// Since CEL's heterogeneous equality never yields an error for well-formed values, comparing
// aggregates needs no error plumbing: an element pair of different kinds is simply unequal.

import SentinelModel

/// CEL's runtime equality (`_==_`), heterogeneous across kinds and numeric types.
public func celEquals(_ a: Value, _ b: Value) -> Bool {
  switch (a, b) {
  case (.int(let x), .int(let y)): return EqualityKernel.equal(x, y)
  case (.uint(let x), .uint(let y)): return x == y
  case (.double(let x), .double(let y)): return EqualityKernel.equal(x, y)
  case (.string(let x), .string(let y)): return EqualityKernel.equal(x, y)
  case (.bool(let x), .bool(let y)): return x == y
  case (.null, .null): return true
  case (.int(let x), .uint(let y)): return compareIntUint(x, y) == 0
  case (.uint(let x), .int(let y)): return compareIntUint(y, x) == 0
  case (.int(let x), .double(let y)): return EqualityKernel.equal(x, y)
  case (.double(let x), .int(let y)): return EqualityKernel.equal(y, x)
  case (.uint(let x), .double(let y)): return compareUintDouble(x, y) == 0
  case (.double(let x), .uint(let y)): return compareUintDouble(y, x) == 0
  case (.bytes(let x), .bytes(let y)): return x == y
  case (.timestamp(let x), .timestamp(let y)): return x == y
  case (.duration(let x), .duration(let y)): return x == y
  case (.list(let xs), .list(let ys)):
    guard xs.count == ys.count else { return false }
    var i = 0
    while i < xs.count {
      if !celEquals(xs[i], ys[i]) { return false }
      i += 1
    }
    return true
  case (.map(let x), .map(let y)):
    guard x.count == y.count else { return false }
    for (k, v) in x.entries {
      // Keys are unique under cross-numeric key equality, so equal counts plus every key of
      // `x` found in `y` means equal key sets.
      guard let w = y[k], celEquals(v, w) else { return false }
    }
    return true
  case (.type(let x), .type(let y)): return x.runtimeName == y.runtimeName
  case (.optional(let x), .optional(let y)):
    switch (x, y) {
    case (nil, nil): return true
    case (let u?, let v?): return celEquals(u, v)
    default: return false
    }
  default: return false
  }
}

/// The typed kernels of `_==_` on the kinds the VM's typed instructions specialize (`celEquals`
/// calls them for these pairs; `_!=_` is the negation).
public enum EqualityKernel {
  /// Two ints.
  @inlinable public static func equal(_ x: Int64, _ y: Int64) -> Bool { x == y }
  /// Two doubles: NaN equals nothing, itself included.
  @inlinable public static func equal(_ x: Double, _ y: Double) -> Bool { x == y }
  /// An int and a double, on one number line (as ordering).
  public static func equal(_ x: Int64, _ y: Double) -> Bool { compareIntDouble(x, y) == 0 }
  /// Two strings, by code point.
  public static func equal(_ x: String, _ y: String) -> Bool { stringsEqual(x, y) }
  /// Two strings given as their UTF-8 bytes: the same code-point equality as `equal(_:_:)`
  /// (byte equality, which implies the canonical equality `stringsEqual` tests first), lengths
  /// compared first. The VM's `equalsString` test runs it on the slot string's bytes and the
  /// constant's, taken once (`StringSetTests` checks it agrees with `equal(_:_:)`).
  @inlinable public static func equal(utf8 x: UnsafeBufferPointer<UInt8>, utf8 y: UnsafeBufferPointer<UInt8>)
    -> Bool
  {
    x.count == y.count && StringSet.equal(x, y)
  }
}

enum Equality {
  static let overloads: [Overload] = [
    Overload(
      "equals", "_==_", [T.a, T.a], .bool, kernel: .equals(negated: false),
      .binary { a, b in .bool(celEquals(a, b)) }),
    Overload(
      "not_equals", "_!=_", [T.a, T.a], .bool, kernel: .equals(negated: true),
      .binary { a, b in .bool(!celEquals(a, b)) }),
  ]
}
