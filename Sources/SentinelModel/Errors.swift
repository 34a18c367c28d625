// CEL's error values: errors flow through evaluation as values (see `Value.error`), and are
// absorbed by `&&`, `||` and `?:` exactly as the CEL spec's logical operators say.

/// A CEL evaluation error, carried as a value.
public struct CELError: Error, Sendable, Hashable, CustomStringConvertible {
  /// A stable category, so callers can tell "no such overload" from "division by zero".
  public enum Kind: String, Sendable, Hashable {
    case noSuchOverload = "no_such_overload"
    case noMatchingOverload = "no_matching_overload"
    case noSuchKey = "no_such_key"
    case noSuchField = "no_such_field"
    case noSuchAttribute = "no_such_attribute"
    case divideByZero = "divide_by_zero"
    case modulusByZero = "modulus_by_zero"
    case overflow = "overflow"
    case outOfRange = "range"
    case invalidArgument = "invalid_argument"
    case conversion = "conversion"
    case indexOutOfBounds = "index_out_of_bounds"
    case duplicateKey = "duplicate_key"
    case unboundVariable = "unbound_variable"
    case limit = "limit"
    case other = "error"
  }

  public var kind: Kind
  public var message: String

  public init(_ kind: Kind, _ message: String) {
    self.kind = kind
    self.message = message
  }

  public var description: String { message }

  public static func noOverload(_ function: String, _ args: [Value]) -> CELError {
    CELError(
      .noMatchingOverload,
      "no matching overload for '\(function)' applied to (\(args.map { $0.typeName }.joined(separator: ", ")))"
    )
  }
  public static let overflowError = CELError(.overflow, "integer overflow")
  public static let divideByZero = CELError(.divideByZero, "division by zero")
  public static let modulusByZero = CELError(.modulusByZero, "modulus by zero")
}
