// The CEL abstract syntax tree, after macro expansion (as cel-go's `ast.Expr`).
// Every node has an id, unique within one parse; spans live in a side table (`AST.spans`) so
// analyses can key their own side tables (types, references) by id without mutating nodes.

import SentinelModel

/// An expression id, unique within one `AST`.
public typealias ExprID = Int

/// A CEL expression node.
public struct Expr: Sendable {
  public var id: ExprID
  public var kind: Kind

  public init(id: ExprID, _ kind: Kind) {
    self.id = id
    self.kind = kind
  }

  public indirect enum Kind: Sendable {
    /// A literal: null, bool, int, uint, double, string or bytes.
    case literal(Value)
    /// An identifier, possibly qualified later by resolution (`a.b.c` parses as selects).
    case ident(String)
    /// `operand.field`; `testOnly` for the expansion of `has(operand.field)`.
    case select(operand: Expr, field: String, testOnly: Bool)
    /// A global call `f(args)` or a receiver call `target.f(args)`; operators are calls with
    /// the names in `Operators` (`_+_`, `_&&_`, `_?_:_`, `_[_]`, `@in`, …).
    case call(target: Expr?, function: String, args: [Expr])
    /// `[a, b, ?c]`: `optionalIndices` lists the elements written with `?`.
    case list(elements: [Expr], optionalIndices: [Int])
    /// `{k: v, ?k2: v2}`.
    case map(entries: [MapEntry])
    /// `Name{field: value}` — a message construction (parsed; protobuf messages are out of scope).
    case structure(typeName: String, fields: [StructField])
    /// A comprehension, the expansion of every macro that iterates.
    case comprehension(Comprehension)
  }
}

/// A map literal entry.
public struct MapEntry: Sendable {
  public var id: ExprID
  public var key: Expr
  public var value: Expr
  public var optional: Bool
  public init(id: ExprID, key: Expr, value: Expr, optional: Bool) {
    self.id = id
    self.key = key
    self.value = value
    self.optional = optional
  }
}

/// A field initializer in a message construction.
public struct StructField: Sendable {
  public var id: ExprID
  public var name: String
  public var value: Expr
  public var optional: Bool
  public init(id: ExprID, name: String, value: Expr, optional: Bool) {
    self.id = id
    self.name = name
    self.value = value
    self.optional = optional
  }
}

/// A comprehension, CEL's only loop (cel-spec "Macros"):
///
///     accuVar = accuInit
///     for (iterVar[, iterVar2]) in iterRange:
///         if !loopCondition: break
///         accuVar = loopStep
///     return result
///
/// With one variable, a list binds the element and a map binds the key. With two (`iterVar2`
/// non-nil), a list binds (index, element) and a map binds (key, value).
public struct Comprehension: Sendable {
  public var iterVar: String
  public var iterVar2: String?
  public var iterRange: Expr
  public var accuVar: String
  public var accuInit: Expr
  public var loopCondition: Expr
  public var loopStep: Expr
  public var result: Expr

  public init(
    iterVar: String, iterVar2: String? = nil, iterRange: Expr, accuVar: String, accuInit: Expr,
    loopCondition: Expr, loopStep: Expr, result: Expr
  ) {
    self.iterVar = iterVar
    self.iterVar2 = iterVar2
    self.iterRange = iterRange
    self.accuVar = accuVar
    self.accuInit = accuInit
    self.loopCondition = loopCondition
    self.loopStep = loopStep
    self.result = result
  }
}

/// A parsed expression with its source and the span of every node.
public struct AST: Sendable {
  public var root: Expr
  public var source: Source
  /// Span of each node by id (macro expansions get the span of the macro call).
  public var spans: [ExprID: Span]
  /// The largest id in use, so later passes can mint fresh ids.
  public var maxID: ExprID

  public init(root: Expr, source: Source, spans: [ExprID: Span], maxID: ExprID) {
    self.root = root
    self.source = source
    self.spans = spans
    self.maxID = maxID
  }

  /// The span of a node, or `.none`.
  public func span(of id: ExprID) -> Span { spans[id] ?? .none }
}

/// The function names CEL gives its operators (as cel-go's `operators` package).
public enum Operators {
  public static let conditional = "_?_:_"
  public static let logicalAnd = "_&&_"
  public static let logicalOr = "_||_"
  public static let logicalNot = "!_"
  public static let equals = "_==_"
  public static let notEquals = "_!=_"
  public static let less = "_<_"
  public static let lessEquals = "_<=_"
  public static let greater = "_>_"
  public static let greaterEquals = "_>=_"
  public static let add = "_+_"
  public static let subtract = "_-_"
  public static let multiply = "_*_"
  public static let divide = "_/_"
  public static let modulo = "_%_"
  public static let negate = "-_"
  public static let index = "_[_]"
  public static let optionalIndex = "_[?_]"
  public static let optionalSelect = "_?._"
  public static let `in` = "@in"
  /// Internal: `loopCondition` of `all`/`exists` (true unless the argument is strictly false).
  public static let notStrictlyFalse = "@not_strictly_false"
}

extension Expr {
  /// `a.b.c` as a dotted name when this is a select chain rooted at an identifier (`has()`
  /// selects excluded) — the candidate for qualified-name resolution (cel-spec "Name Resolution").
  public var qualifiedName: String? {
    switch kind {
    case .ident(let n): return n
    case .select(let operand, let field, let testOnly):
      guard !testOnly, let base = operand.qualifiedName else { return nil }
      return base + "." + field
    default: return nil
    }
  }
}
