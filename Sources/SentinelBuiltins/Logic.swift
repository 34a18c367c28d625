// Logical operators (langdef "Logical Operators") and the comprehension helper
// `@not_strictly_false`, declared here with their signatures so the type checker can type them.
//
// NOTE: `_&&_`, `_||_`, `_?_:_` and `@not_strictly_false` are NOT strict in CEL: `&&`/`||`
// absorb errors (`error || true` is true), `?:` evaluates one branch only, and
// `@not_strictly_false(error)` is true. `Catalog.invoke` propagates error arguments before
// calling an implementation, so evaluators must special-case these functions (see
// `Builtins.nonStrictFunctions`); the implementations below are the strict versions, correct
// whenever every argument is a value of the declared type.

import SentinelModel

enum Logic {
  static let overloads: [Overload] = [
    Overload(
      "logical_not", "!_", [.bool], .bool,
      .unary { a in
        guard case .bool(let x) = a else { return noOverload("!_", a) }
        return .bool(!x)
      }),
    Overload(
      "logical_and", "_&&_", [.bool, .bool], .bool,
      .binary { a, b in
        guard case .bool(let x) = a, case .bool(let y) = b else { return noOverload("_&&_", a, b) }
        return .bool(x && y)
      }),
    Overload(
      "logical_or", "_||_", [.bool, .bool], .bool,
      .binary { a, b in
        guard case .bool(let x) = a, case .bool(let y) = b else { return noOverload("_||_", a, b) }
        return .bool(x || y)
      }),
    Overload(
      "conditional", "_?_:_", [.bool, T.a, T.a], T.a,
      .ternary { c, a, b in
        guard case .bool(let x) = c else { return noOverload("_?_:_", c, a, b) }
        return x ? a : b
      }),
    Overload(
      "not_strictly_false", "@not_strictly_false", [.bool], .bool,
      .unary { a in
        if case .bool = a { return a }
        return .bool(true)
      }),
  ]
}
