// The builtin libraries as catalogs: the CEL standard library (with the optional-types library)
// and the strings, math and encoders extensions.

import SentinelModel

/// CEL's builtin functions, grouped as the libraries CEL defines them in.
public enum Builtins {
  /// The standard library: operators, conversions, string/list/map/time functions, `type`,
  /// `dyn`, and the optional-types library (`optional.of`, `?.`, `[?…]`, …).
  public static let standard: Catalog = Catalog(
    Logic.overloads + Equality.overloads + Comparison.overloads + Arithmetic.overloads
      + Lists.overloads + Maps.overloads + Strings.overloads + Conversions.overloads
      + TimeFunctions.overloads + Types.overloads + Optionals.overloads)

  /// The strings extension (`charAt`, `indexOf`, `split`, `format`, `strings.quote`, …).
  public static let strings: Catalog = Catalog(StringsExtension.overloads + StringFormat.overloads)

  /// The math extension (`math.greatest`, `math.ceil`, `math.bitAnd`, …).
  public static let math: Catalog = Catalog(MathExtension.overloads)

  /// The encoders extension (`base64.encode`, `base64.decode`).
  public static let encoders: Catalog = Catalog(Encoders.overloads)

  /// The SentinelIQ extension: `haversine_km`, `hours`, `seconds` (Geo.swift).
  public static let sentinel: Catalog = Catalog(Geo.overloads)

  /// The standard library plus every extension.
  public static let all: Catalog = standard + strings + math + encoders + sentinel

  /// Functions whose overloads are not strict: evaluators must evaluate and combine their
  /// arguments themselves (short-circuit, error absorption) instead of calling `Catalog.invoke`,
  /// which propagates the first error argument. Their catalog implementations are the strict
  /// versions, valid when no argument is an error.
  public static let nonStrictFunctions: Set<String> = [
    "_&&_", "_||_", "_?_:_", "@not_strictly_false",
  ]

  /// Functions a cel-go evaluator short-circuits although a strict evaluation gives the same
  /// value whenever no argument is an error (`opt.or(x)`, `opt.orValue(x)`).
  public static let shortCircuitFunctions: Set<String> = ["or", "orValue"]
}
