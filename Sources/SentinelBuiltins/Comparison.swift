// Ordering `_<_ _<=_ _>_ _>=_` (langdef "Ordering", "Comparison Operators").
//
// Defined on bool, int, uint, double, string, bytes, timestamp and duration, and across the
// numeric kinds at run time (`dyn(1) < 2u`). Strings and bytes order by UTF-8 bytes (hence by code
// point). NaN is unordered: every relation with a NaN operand is false (IEEE 754).
//
// Numeric cross-kind ordering follows cel-go and cel-cpp exactly, as the conformance suite pins it
// (comparisons.json, e.g. `dyn(9223372036854775807) >= 9223372036854775808.0` is true): int vs uint
// is exact; int/uint vs double first places a double outside the integer type's range (by the
// double value of that type's limit), and otherwise compares the integer converted to double.

import SentinelModel

// MARK: - Public comparison

/// Compares two values by CEL's ordering: -1, 0 or 1; nil when the pair is unordered (different
/// non-numeric kinds, kinds without an ordering such as lists, or a NaN operand).
public func celCompare(_ a: Value, _ b: Value) -> Int? {
  switch (a, b) {
  case (.int(let x), .int(let y)): return x < y ? -1 : (x > y ? 1 : 0)
  case (.uint(let x), .uint(let y)): return x < y ? -1 : (x > y ? 1 : 0)
  case (.double(let x), .double(let y)): return compareDoubles(x, y)
  case (.int(let x), .uint(let y)): return compareIntUint(x, y)
  case (.uint(let x), .int(let y)): return -compareIntUint(y, x)
  case (.int(let x), .double(let y)): return compareIntDouble(x, y)
  case (.double(let x), .int(let y)): return compareIntDouble(y, x).map { -$0 }
  case (.uint(let x), .double(let y)): return compareUintDouble(x, y)
  case (.double(let x), .uint(let y)): return compareUintDouble(y, x).map { -$0 }
  case (.string(let x), .string(let y)): return compareStrings(x, y)
  case (.bytes(let x), .bytes(let y)): return compareBytes(x, y)
  case (.bool(let x), .bool(let y)): return x == y ? 0 : (x ? 1 : -1)
  case (.timestamp(let x), .timestamp(let y)): return x < y ? -1 : (x == y ? 0 : 1)
  case (.duration(let x), .duration(let y)): return x < y ? -1 : (x == y ? 0 : 1)
  default: return nil
  }
}

@inline(__always)
func compareDoubles(_ x: Double, _ y: Double) -> Int? {
  if x < y { return -1 }
  if x > y { return 1 }
  if x == y { return 0 }
  return nil  // NaN
}

@inline(__always)
func compareIntUint(_ i: Int64, _ u: UInt64) -> Int {
  if i < 0 { return -1 }
  let iu = UInt64(i)
  return iu < u ? -1 : (iu > u ? 1 : 0)
}

/// 2^63 and 2^64 as doubles: the double values of Int64.max and UInt64.max.
let twoTo63 = 9_223_372_036_854_775_808.0
let twoTo64 = 18_446_744_073_709_551_616.0

@inline(__always)
func compareIntDouble(_ i: Int64, _ d: Double) -> Int? {
  if d.isNaN { return nil }
  if d < -twoTo63 { return 1 }
  if d > twoTo63 { return -1 }
  return compareDoubles(Double(i), d)
}

@inline(__always)
func compareUintDouble(_ u: UInt64, _ d: Double) -> Int? {
  if d.isNaN { return nil }
  if d < 0 { return 1 }
  if d > twoTo64 { return -1 }
  return compareDoubles(Double(u), d)
}

// MARK: - Overloads

/// One of the four ordering relations.
public enum Relation: Sendable, Hashable {
  case less, lessEquals, greater, greaterEquals

  var function: String {
    switch self {
    case .less: return "_<_"
    case .lessEquals: return "_<=_"
    case .greater: return "_>_"
    case .greaterEquals: return "_>=_"
    }
  }

  var idPrefix: String {
    switch self {
    case .less: return "less"
    case .lessEquals: return "less_equals"
    case .greater: return "greater"
    case .greaterEquals: return "greater_equals"
    }
  }

  /// The one implementation of each same-kind ordering overload (`less_int64`, `less_double`…;
  /// on doubles IEEE 754: false when either is NaN): the catalog's closures below unwrap their
  /// arguments and call it; the VM's typed instructions (`test.vk`, docs/bytecode.md) call it on
  /// unboxed operands.
  @inlinable @inline(__always)
  public func holds<C: Comparable>(_ a: C, _ b: C) -> Bool {
    switch self {
    case .less: return a < b
    case .lessEquals: return a <= b
    case .greater: return a > b
    case .greaterEquals: return a >= b
    }
  }

  /// An int against a double (`less_int64_double`…), as cel-go orders them.
  public func holds(_ x: Int64, _ y: Double) -> Bool { holds(compareIntDouble(x, y)) }

  /// A double against an int (`less_double_int64`…).
  public func holds(_ x: Double, _ y: Int64) -> Bool { holds(compareIntDouble(y, x).map { -$0 }) }

  /// Whether the relation holds for a comparison result; nil (unordered, NaN) is false.
  @inline(__always)
  func holds(_ c: Int?) -> Bool {
    guard let c else { return false }
    switch self {
    case .less: return c < 0
    case .lessEquals: return c <= 0
    case .greater: return c > 0
    case .greaterEquals: return c >= 0
    }
  }
}

enum Comparison {
  static let overloads: [Overload] =
    [Relation.less, .lessEquals, .greater, .greaterEquals].flatMap(overloads(for:))

  static func overloads(for rel: Relation) -> [Overload] {
    let fn = rel.function
    let p = rel.idPrefix
    func mk(
      _ suffix: String, _ l: CELType, _ r: CELType, typed: Bool = false,
      _ f: @escaping @Sendable (Value, Value) -> Value
    ) -> Overload {
      Overload("\(p)_\(suffix)", fn, [l, r], .bool, kernel: typed ? .order(rel) : nil, .binary(f))
    }
    return [
      mk("bool", .bool, .bool) { a, b in
        guard case .bool(let x) = a, case .bool(let y) = b else { return noOverload(fn, a, b) }
        return .bool(rel.holds(x ? 1 : 0, y ? 1 : 0))
      },
      mk("int64", .int, .int, typed: true) { a, b in
        guard case .int(let x) = a, case .int(let y) = b else { return noOverload(fn, a, b) }
        return .bool(rel.holds(x, y))
      },
      mk("int64_double", .int, .double, typed: true) { a, b in
        guard case .int(let x) = a, case .double(let y) = b else { return noOverload(fn, a, b) }
        return .bool(rel.holds(x, y))
      },
      mk("int64_uint64", .int, .uint) { a, b in
        guard case .int(let x) = a, case .uint(let y) = b else { return noOverload(fn, a, b) }
        return .bool(rel.holds(compareIntUint(x, y)))
      },
      mk("uint64", .uint, .uint) { a, b in
        guard case .uint(let x) = a, case .uint(let y) = b else { return noOverload(fn, a, b) }
        return .bool(rel.holds(x, y))
      },
      mk("uint64_double", .uint, .double) { a, b in
        guard case .uint(let x) = a, case .double(let y) = b else { return noOverload(fn, a, b) }
        return .bool(rel.holds(compareUintDouble(x, y)))
      },
      mk("uint64_int64", .uint, .int) { a, b in
        guard case .uint(let x) = a, case .int(let y) = b else { return noOverload(fn, a, b) }
        return .bool(rel.holds(-compareIntUint(y, x)))
      },
      mk("double", .double, .double, typed: true) { a, b in
        guard case .double(let x) = a, case .double(let y) = b else { return noOverload(fn, a, b) }
        return .bool(rel.holds(x, y))  // IEEE: false when either is NaN
      },
      mk("double_int64", .double, .int, typed: true) { a, b in
        guard case .double(let x) = a, case .int(let y) = b else { return noOverload(fn, a, b) }
        return .bool(rel.holds(x, y))
      },
      mk("double_uint64", .double, .uint) { a, b in
        guard case .double(let x) = a, case .uint(let y) = b else { return noOverload(fn, a, b) }
        return .bool(rel.holds(compareUintDouble(y, x).map { -$0 }))
      },
      mk("string", .string, .string) { a, b in
        guard case .string(let x) = a, case .string(let y) = b else { return noOverload(fn, a, b) }
        return .bool(rel.holds(compareStrings(x, y)))
      },
      mk("bytes", .bytes, .bytes) { a, b in
        guard case .bytes(let x) = a, case .bytes(let y) = b else { return noOverload(fn, a, b) }
        return .bool(rel.holds(compareBytes(x, y)))
      },
      mk("timestamp", .timestamp, .timestamp) { a, b in
        guard case .timestamp(let x) = a, case .timestamp(let y) = b else { return noOverload(fn, a, b) }
        return .bool(rel.holds(x, y))
      },
      mk("duration", .duration, .duration) { a, b in
        guard case .duration(let x) = a, case .duration(let y) = b else { return noOverload(fn, a, b) }
        return .bool(rel.holds(x, y))
      },
    ]
  }
}
