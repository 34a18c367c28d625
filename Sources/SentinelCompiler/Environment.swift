// The declarations an expression is checked and compiled against: variables with their CEL
// types, the function catalog, and the container (namespace) for name resolution.

import SentinelBuiltins
import SentinelModel

/// Variables, functions and container for checking and compiling CEL expressions.
public struct Environment: Sendable {
  /// Declared variables by (fully qualified) name.
  public var variables: [String: CELType]
  /// The functions available, with their overloads and implementations.
  public var catalog: Catalog
  /// The container (namespace) for name resolution, "" for none (`a.b` for `a.b.Name`).
  public var container: String
  /// Names bound to compile-time constants (rule-set lists); also declared in `variables`.
  public var constants: [String: Value]
  /// Names bound to checked expressions that are inlined where used (named conditions); also
  /// declared in `variables` with the expression's type.
  public var definitions: [String: CheckedAST]
  /// Lists that may change at run time (`runtime list`), by name, with their element type. They
  /// are also in `constants` (their default, for the checker's and the reference evaluator's
  /// sake), but lowering reads them from variable slots: `name` (the list) and, for `x in
  /// name`, `BundleRuntimeList.setSlot(of: name)` (its entries as map keys: one hash lookup).
  public var runtimeLists: [String: CELType]

  public init(
    variables: [String: CELType] = [:], catalog: Catalog = Builtins.all, container: String = "",
    constants: [String: Value] = [:], definitions: [String: CheckedAST] = [:],
    runtimeLists: [String: CELType] = [:]
  ) {
    self.variables = variables
    self.catalog = catalog
    self.container = container
    self.constants = constants
    self.definitions = definitions
    self.runtimeLists = runtimeLists
  }

  /// The first of `candidateNames(name)` that satisfies `accept`, without building the list
  /// when there is no container (the common case, on the checker's hot path).
  public func firstCandidate(_ name: String, where accept: (String) throws -> Bool) rethrows -> String? {
    if container.isEmpty, !name.hasPrefix(".") { return try accept(name) ? name : nil }
    return try candidateNames(name).first(where: accept)
  }

  /// The candidate qualified names for `name` in the container, most qualified first
  /// (cel-spec "Name Resolution"): in container `a.b`, `x` resolves as `a.b.x`, `a.x`, `x`.
  /// A leading dot makes the name absolute.
  public func candidateNames(_ name: String) -> [String] {
    if name.hasPrefix(".") { return [String(name.dropFirst())] }
    guard !container.isEmpty else { return [name] }
    var out: [String] = []
    var prefix = Substring(container)
    while true {
      out.append(prefix + "." + name)
      guard let dot = prefix.lastIndex(of: ".") else { break }
      prefix = prefix[..<dot]
    }
    out.append(name)
    return out
  }
}
