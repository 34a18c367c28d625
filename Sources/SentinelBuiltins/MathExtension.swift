// The math extension (cel-go `ext.Math`, conformance math_ext.json).
//
// `math.greatest` / `math.least` are declared under the names as written, for 1 argument (a
// number or a list of numbers), 2 typed arguments, and 3…`maxVariadic` `dyn` arguments; cel-go's
// macro targets `math.@max` / `math.@min` (1, 2 or a list) are declared too, with cel-go's ids.
// Mixed numeric kinds compare by CEL's numeric ordering; ties keep the earlier argument
// (`math.greatest(1u, 1.0)` is `1u`); NaN or a non-number is an error.
//
// Rounding: `math.round` rounds half away from zero. Bit shifts by 64 or more give 0; a
// negative shift is an error; `math.bitShiftRight` on an int is a logical shift.

import SentinelModel

enum MathExtension {
  static let maxVariadic = 16

  /// The greatest (`sign` 1) or least (`sign` -1) of numeric values.
  static func extremum(_ fn: String, _ values: [Value], sign: Int) -> Value {
    guard var best = values.first else {
      return err(.invalidArgument, "\(fn)(list) argument must not be empty")
    }
    guard isNumber(best) else { return noOverload(fn, best) }
    for v in values.dropFirst() {
      guard isNumber(v) else { return noOverload(fn, v) }
      guard let c = celCompare(v, best) else {
        return err(.invalidArgument, "\(fn): NaN values cannot be ordered")
      }
      if c == sign { best = v }
    }
    return best
  }

  static func isNumber(_ v: Value) -> Bool {
    switch v {
    case .int, .uint, .double: return true
    default: return false
    }
  }

  /// One argument: a number is its own extremum; a list's elements are compared.
  static func single(_ fn: String, sign: Int) -> Implementation {
    .unary { a in
      if case .list(let xs) = a { return extremum(fn, xs, sign: sign) }
      return isNumber(a) ? a : noOverload(fn, a)
    }
  }

  static func extremumOverloads(_ fn: String, idPrefix: String, sign: Int, variadic: Bool) -> [Overload] {
    var out: [Overload] = []
    let numeric: [(String, CELType)] = [("double", .double), ("int", .int), ("uint", .uint)]
    for (n, t) in numeric {
      out.append(Overload("\(idPrefix)_\(n)", fn, [t], t, single(fn, sign: sign)))
    }
    let pair: Implementation = .binary { a, b in extremum(fn, [a, b], sign: sign) }
    for (n1, t1) in numeric {
      for (n2, t2) in numeric {
        out.append(Overload("\(idPrefix)_\(n1)_\(n2)", fn, [t1, t2], t1 == t2 ? t1 : .dyn, pair))
      }
    }
    for (n, t) in numeric {
      out.append(
        Overload("\(idPrefix)_list_\(n)", fn, [.list(t)], t, cost: Cost.linear, single(fn, sign: sign)))
    }
    if variadic {
      for arity in 3...maxVariadic {
        out.append(
          Overload(
            "\(idPrefix)_dyn_\(arity)", fn, Array(repeating: .dyn, count: arity), .dyn, cost: Cost.linear,
            .nary { extremum(fn, $0, sign: sign) }))
      }
    }
    return out
  }

  static func double(_ fn: String, _ id: String, _ f: @escaping @Sendable (Double) -> Value) -> Overload {
    Overload(
      id, fn, [.double], .double,
      .unary { a in
        guard case .double(let d) = a else { return noOverload(fn, a) }
        return f(d)
      })
  }

  static func predicate(_ fn: String, _ id: String, _ f: @escaping @Sendable (Double) -> Bool) -> Overload {
    Overload(
      id, fn, [.double], .bool,
      .unary { a in
        guard case .double(let d) = a else { return noOverload(fn, a) }
        return .bool(f(d))
      })
  }

  static func intPair(_ fn: String, _ id: String, _ f: @escaping @Sendable (Int64, Int64) -> Int64)
    -> Overload
  {
    Overload(
      id, fn, [.int, .int], .int,
      .binary { a, b in
        guard case .int(let x) = a, case .int(let y) = b else { return noOverload(fn, a, b) }
        return .int(f(x, y))
      })
  }

  static func uintPair(_ fn: String, _ id: String, _ f: @escaping @Sendable (UInt64, UInt64) -> UInt64)
    -> Overload
  {
    Overload(
      id, fn, [.uint, .uint], .uint,
      .binary { a, b in
        guard case .uint(let x) = a, case .uint(let y) = b else { return noOverload(fn, a, b) }
        return .uint(f(x, y))
      })
  }

  static func shift(_ fn: String, _ id: String, _ t: CELType, left: Bool) -> Overload {
    Overload(
      id, fn, [t, .int], t,
      .binary { a, b in
        guard case .int(let n) = b else { return noOverload(fn, a, b) }
        if n < 0 { return err(.invalidArgument, "\(fn)() negative offset: \(n)") }
        let bits: UInt64
        switch a {
        case .int(let x): bits = UInt64(bitPattern: x)
        case .uint(let x): bits = x
        default: return noOverload(fn, a, b)
        }
        let r: UInt64 = n >= 64 ? 0 : (left ? bits << UInt64(n) : bits >> UInt64(n))
        if case .int = a { return .int(Int64(bitPattern: r)) }
        return .uint(r)
      })
  }

  static let overloads: [Overload] =
    extremumOverloads("math.greatest", idPrefix: "math_greatest", sign: 1, variadic: true)
    + extremumOverloads("math.least", idPrefix: "math_least", sign: -1, variadic: true)
    + extremumOverloads("math.@max", idPrefix: "math_@max", sign: 1, variadic: false)
    + extremumOverloads("math.@min", idPrefix: "math_@min", sign: -1, variadic: false)
    + [
      double("math.ceil", "math_ceil_double") { .double($0.rounded(.up)) },
      double("math.floor", "math_floor_double") { .double($0.rounded(.down)) },
      double("math.round", "math_round_double") { .double($0.rounded(.toNearestOrAwayFromZero)) },
      double("math.trunc", "math_trunc_double") { .double($0.rounded(.towardZero)) },
      predicate("math.isInf", "math_isInf_double") { $0.isInfinite },
      predicate("math.isNaN", "math_isNaN_double") { $0.isNaN },
      predicate("math.isFinite", "math_isFinite_double") { $0.isFinite },
      double("math.abs", "math_abs_double") { .double(Swift.abs($0)) },
      Overload(
        "math_abs_int", "math.abs", [.int], .int,
        .unary { a in
          guard case .int(let x) = a else { return noOverload("math.abs", a) }
          return x == .min ? overflowValue : .int(Swift.abs(x))
        }),
      Overload(
        "math_abs_uint", "math.abs", [.uint], .uint,
        .unary { a in
          guard case .uint = a else { return noOverload("math.abs", a) }
          return a
        }),
      double("math.sign", "math_sign_double") { d in
        if d.isNaN { return .double(d) }
        return .double(d > 0 ? 1 : (d < 0 ? -1 : 0))
      },
      Overload(
        "math_sign_int", "math.sign", [.int], .int,
        .unary { a in
          guard case .int(let x) = a else { return noOverload("math.sign", a) }
          return .int(x > 0 ? 1 : (x < 0 ? -1 : 0))
        }),
      Overload(
        "math_sign_uint", "math.sign", [.uint], .uint,
        .unary { a in
          guard case .uint(let x) = a else { return noOverload("math.sign", a) }
          return .uint(x > 0 ? 1 : 0)
        }),
      double("math.sqrt", "math_sqrt_double") { .double($0.squareRoot()) },
      Overload(
        "math_sqrt_int", "math.sqrt", [.int], .double,
        .unary { a in
          guard case .int(let x) = a else { return noOverload("math.sqrt", a) }
          return .double(Double(x).squareRoot())
        }),
      Overload(
        "math_sqrt_uint", "math.sqrt", [.uint], .double,
        .unary { a in
          guard case .uint(let x) = a else { return noOverload("math.sqrt", a) }
          return .double(Double(x).squareRoot())
        }),
      intPair("math.bitAnd", "math_bitAnd_int_int") { $0 & $1 },
      uintPair("math.bitAnd", "math_bitAnd_uint_uint") { $0 & $1 },
      intPair("math.bitOr", "math_bitOr_int_int") { $0 | $1 },
      uintPair("math.bitOr", "math_bitOr_uint_uint") { $0 | $1 },
      intPair("math.bitXor", "math_bitXor_int_int") { $0 ^ $1 },
      uintPair("math.bitXor", "math_bitXor_uint_uint") { $0 ^ $1 },
      Overload(
        "math_bitNot_int_int", "math.bitNot", [.int], .int,
        .unary { a in
          guard case .int(let x) = a else { return noOverload("math.bitNot", a) }
          return .int(~x)
        }),
      Overload(
        "math_bitNot_uint_uint", "math.bitNot", [.uint], .uint,
        .unary { a in
          guard case .uint(let x) = a else { return noOverload("math.bitNot", a) }
          return .uint(~x)
        }),
      shift("math.bitShiftLeft", "math_bitShiftLeft_int_int", .int, left: true),
      shift("math.bitShiftLeft", "math_bitShiftLeft_uint_int", .uint, left: true),
      shift("math.bitShiftRight", "math_bitShiftRight_int_int", .int, left: false),
      shift("math.bitShiftRight", "math_bitShiftRight_uint_int", .uint, left: false),
    ]
}
