// A deterministic generator of random, well-typed CEL expressions and matching variable
// values, for differential tests (reference evaluator vs VM, unoptimized vs optimized).

import SentinelModel

/// A small, seedable PRNG (SplitMix64) so failures reproduce from the seed.
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

/// Generates CEL source text of a requested type.
struct ExpressionGenerator {
  var rng: SplitMix64
  /// Variables in scope and their types (declared to the checker).
  static let variables: [String: CELType] = [
    "i": .int, "j": .int, "u": .uint, "d": .double, "s": .string, "t": .string, "b": .bool,
    "li": .list(.int), "ls": .list(.string), "m": .map(.string, .int), "e": .map(.string, .dyn),
  ]

  init(seed: UInt64) { rng = SplitMix64(seed: seed) }

  mutating func pick<T>(_ xs: [T]) -> T { xs[Int(rng.next() % UInt64(xs.count))] }
  mutating func chance(_ p: Double) -> Bool { Double(rng.next() % 10_000) / 10_000 < p }

  /// Random values for the declared variables.
  mutating func bindings() -> [String: Value] {
    let ints: [Int64] = [0, 1, -1, 2, 7, 42, -100, Int64.max, Int64.min, 9_223_372_036_854_775_806]
    let strs = ["", "a", "abc", "KP", "hello world", "ü∂", "transaction"]
    var m = MapValue()
    for k in ["a", "b", "amount"] where chance(0.7) { m.insert(.string(k), .int(pick(ints))) }
    var e = MapValue()
    if chance(0.8) { e.insert(.string("type"), .string(pick(["login", "transaction"]))) }
    if chance(0.8) { e.insert(.string("amount"), .double(pick([0, 10.5, 9500, 12_000, -1]))) }
    if chance(0.5) { e.insert(.string("n"), .int(pick(ints))) }
    return [
      "i": .int(pick(ints)), "j": .int(pick(ints)), "u": .uint(pick([0, 1, 5, UInt64.max])),
      "d": .double(pick([0, -0.0, 1.5, -2.25, 1e300, .infinity, .nan, 3])), "s": .string(pick(strs)),
      "t": .string(pick(strs)), "b": .bool(chance(0.5)),
      "li": .list((0..<Int(rng.next() % 5)).map { _ in .int(pick(ints)) }),
      "ls": .list((0..<Int(rng.next() % 4)).map { _ in .string(pick(strs)) }),
      "m": .map(m), "e": .map(e),
    ]
  }

  mutating func expr(_ type: CELType, depth: Int = 0) -> String {
    if depth > 4 || chance(0.25) { return leaf(type) }
    switch type {
    case .bool: return boolExpr(depth)
    case .int:
      switch rng.next() % 8 {
      case 0:
        return
          "(\(expr(.int, depth: depth + 1)) \(pick(["+", "-", "*", "/", "%"])) \(expr(.int, depth: depth + 1)))"
      case 1: return "-\(expr(.int, depth: depth + 1))"
      case 2: return "size(\(expr(pick([.string, .list(.int)]), depth: depth + 1)))"
      case 3:
        return
          "(\(expr(.bool, depth: depth + 1)) ? \(expr(.int, depth: depth + 1)) : \(expr(.int, depth: depth + 1)))"
      case 4: return "\(expr(.list(.int), depth: depth + 1))[\(expr(.int, depth: depth + 1))]"
      case 5: return "int(\(expr(pick([.double, .uint, .string]), depth: depth + 1)))"
      case 6: return "m[\(expr(.string, depth: depth + 1))]"
      default:
        return "\(expr(.list(.int), depth: depth + 1)).filter(x, x > \(expr(.int, depth: depth + 1))).size()"
      }
    case .uint:
      return pick(["(u + \(leaf(.uint)))", "(u * 2u)", "uint(\(expr(.int, depth: depth + 1)))", "(u - 1u)"])
    case .double:
      switch rng.next() % 4 {
      case 0:
        return
          "(\(expr(.double, depth: depth + 1)) \(pick(["+", "-", "*", "/"])) \(expr(.double, depth: depth + 1)))"
      case 1: return "double(\(expr(.int, depth: depth + 1)))"
      case 2: return "-\(expr(.double, depth: depth + 1))"
      default: return "(\(expr(.bool, depth: depth + 1)) ? \(expr(.double, depth: depth + 1)) : d)"
      }
    case .string:
      switch rng.next() % 4 {
      case 0: return "(\(expr(.string, depth: depth + 1)) + \(expr(.string, depth: depth + 1)))"
      case 1: return "string(\(expr(pick([.int, .double, .bool]), depth: depth + 1)))"
      case 2: return "ls[\(expr(.int, depth: depth + 1))]"
      default: return "(\(expr(.bool, depth: depth + 1)) ? \(expr(.string, depth: depth + 1)) : t)"
      }
    case .list(.int):
      switch rng.next() % 4 {
      case 0:
        return
          "[\((0..<Int(rng.next() % 4)).map { _ in expr(.int, depth: depth + 1) }.joined(separator: ", "))]"
      case 1: return "(\(expr(.list(.int), depth: depth + 1)) + \(expr(.list(.int), depth: depth + 1)))"
      case 2: return "\(expr(.list(.int), depth: depth + 1)).map(y, y * 2)"
      default: return "li.filter(z, z % 2 == 0)"
      }
    default:
      return leaf(type)
    }
  }

  mutating func boolExpr(_ depth: Int) -> String {
    switch rng.next() % 12 {
    case 0: return "(\(expr(.bool, depth: depth + 1)) && \(expr(.bool, depth: depth + 1)))"
    case 1: return "(\(expr(.bool, depth: depth + 1)) || \(expr(.bool, depth: depth + 1)))"
    case 2: return "!\(expr(.bool, depth: depth + 1))"
    case 3:
      let t: CELType = pick([.int, .double, .string, .uint])
      return
        "(\(expr(t, depth: depth + 1)) \(pick(["<", "<=", ">", ">=", "==", "!="])) \(expr(t, depth: depth + 1)))"
    case 4: return "(\(expr(.int, depth: depth + 1)) in \(expr(.list(.int), depth: depth + 1)))"
    case 5: return "\(expr(.list(.int), depth: depth + 1)).exists(x, x > \(expr(.int, depth: depth + 1)))"
    case 6: return "\(expr(.list(.int), depth: depth + 1)).all(x, x != \(expr(.int, depth: depth + 1)))"
    case 7: return "has(e.\(pick(["type", "amount", "n", "zz"])))"
    case 8: return "(e.type == \(leaf(.string)))"
    case 9: return "(e.amount > \(leaf(.double)))"
    case 10:
      return
        "\(expr(.string, depth: depth + 1)).\(pick(["startsWith", "endsWith", "contains"]))(\(expr(.string, depth: depth + 1)))"
    default: return "(\(expr(.string, depth: depth + 1)) in m)"
    }
  }

  /// A comparison of a variable with a literal or another variable, of the kinds the VM's typed
  /// instructions specialize (`i < 42`, `d >= 1`, `s == 'KP'`, `s in ['KP', 'a']`,
  /// `s.matches('^a+')`, `s != t`), possibly combined with `&&`/`||` (rule conditions).
  mutating func typedComparison(_ depth: Int = 0) -> String {
    if depth < 2 && chance(0.5) {
      return "(\(typedComparison(depth + 1)) \(pick(["&&", "||"])) \(typedComparison(depth + 1)))"
    }
    let op = pick(["<", "<=", ">", ">=", "==", "!="])
    // The checker takes `==` on one kind only; orderings also across int and double.
    let mixed = op != "==" && op != "!=" && chance(0.3)
    switch rng.next() % 7 {
    case 0:
      let k = mixed ? pick(["1.5", "-0.0", "9.3e18"]) : pick(["0", "1", "-3", "42", "9223372036854775807"])
      return "(\(pick(["i", "j"])) \(op) \(k))"
    case 1:
      return "(d \(op) \(mixed ? pick(["3", "0", "-1"]) : pick(["0.0", "1.5", "-2.5", "1e300", "-0.0"])))"
    case 2:
      return
        "(\(pick(["s", "t"])) \(pick(["==", "!="])) \(pick(["''", "'a'", "'KP'", "'ü∂'", "'transaction'"])))"
    case 3: return "(s \(pick(["==", "!="])) t)"
    case 4: return "(\(pick(["s", "t"])) in \(pick(["['KP', 'a', 'abc']", "['']", "[]", "['ü∂', 'x']"])))"
    case 5: return "\(pick(["s", "t"])).matches(\(pick(["'^a'", "'b+c$'", "'[0-9]{2,}'", "'ü'", "'^$'"])))"
    default: return "(e.type \(pick(["==", "!="])) \(pick(["'login'", "'transaction'"])))"
    }
  }

  mutating func leaf(_ type: CELType) -> String {
    switch type {
    case .bool: return pick(["true", "false", "b"])
    case .int: return pick(["0", "1", "-3", "42", "i", "j", "9223372036854775807", "-9223372036854775808"])
    case .uint: return pick(["0u", "1u", "u", "18446744073709551615u"])
    case .double: return pick(["0.0", "1.5", "-2.5", "d", "1e10", "0.1"])
    case .string: return pick(["''", "'a'", "\"abc\"", "s", "t", "'KP'"])
    case .list(.int): return pick(["[]", "[1, 2, 3]", "li"])
    default: return "null"
    }
  }
}
