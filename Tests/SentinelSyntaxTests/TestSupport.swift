// Helpers shared by the SentinelSyntax tests.

import SentinelModel
import SentinelSyntax

/// Parses `text` with `options`.
func parse(_ text: String, _ options: ParseOptions = .init()) -> (AST?, [Diagnostic]) {
  CELParser.parse(Source(text: text), options: options)
}

/// The debug string of `text`, or a description of its diagnostics.
func debug(_ text: String, _ options: ParseOptions = .init()) -> String {
  let (ast, diagnostics) = parse(text, options)
  guard let ast else { return "<errors: \(diagnostics.map(\.description).joined(separator: "; "))>" }
  return ast.debugString
}

/// A literal value in a comparable form (`Value` is not `Equatable`).
enum Lit: Equatable, CustomStringConvertible {
  case null
  case bool(Bool)
  case int(Int64)
  case uint(UInt64)
  /// A double by bit pattern, so that `-0.0` and `0.0` differ.
  case double(UInt64)
  case string(String)
  case bytes([UInt8])
  case other(String)

  init(_ v: Value) {
    switch v {
    case .null: self = .null
    case .bool(let b): self = .bool(b)
    case .int(let i): self = .int(i)
    case .uint(let u): self = .uint(u)
    case .double(let d): self = .double(d.bitPattern)
    case .string(let s): self = .string(s)
    case .bytes(let b): self = .bytes(b)
    default: self = .other(v.description)
    }
  }

  static func dbl(_ d: Double) -> Lit { .double(d.bitPattern) }

  var description: String {
    switch self {
    case .double(let bits): return "double(\(Double(bitPattern: bits)))"
    case .string(let s): return "string(\(s.debugDescription))"
    case .bytes(let b): return "bytes(\(b))"
    case .null: return "null"
    case .bool(let b): return "bool(\(b))"
    case .int(let i): return "int(\(i))"
    case .uint(let u): return "uint(\(u))"
    case .other(let s): return s
    }
  }
}

/// The literal `text` parses to, or nil when it is not a single literal.
func literal(_ text: String) -> Lit? {
  guard let ast = parse(text).0, case .literal(let v) = ast.root.kind else { return nil }
  return Lit(v)
}

/// Every node id of an expression tree (including map entries and struct fields), in pre-order.
func allIDs(_ e: Expr) -> [ExprID] {
  var out: [ExprID] = []
  func walk(_ e: Expr) {
    out.append(e.id)
    switch e.kind {
    case .literal, .ident: break
    case .select(let operand, _, _): walk(operand)
    case .call(let target, _, let args):
      if let target { walk(target) }
      args.forEach(walk)
    case .list(let elements, _): elements.forEach(walk)
    case .map(let entries):
      for entry in entries {
        out.append(entry.id)
        walk(entry.key)
        walk(entry.value)
      }
    case .structure(_, let fields):
      for field in fields {
        out.append(field.id)
        walk(field.value)
      }
    case .comprehension(let c):
      [c.iterRange, c.accuInit, c.loopCondition, c.loopStep, c.result].forEach(walk)
    }
  }
  walk(e)
  return out
}

/// Checks the structural invariants of a parsed AST: ids unique and positive, exactly the ids in
/// the tree have spans, spans inside the source, `maxID` the largest id. Returns a problem or nil.
func checkInvariants(_ ast: AST) -> String? {
  let ids = allIDs(ast.root)
  if Set(ids).count != ids.count { return "duplicate ids" }
  if ids.contains(where: { $0 <= 0 }) { return "non-positive id" }
  if Set(ids) != Set(ast.spans.keys) { return "span table keys differ from tree ids" }
  if ast.maxID != ids.max() { return "maxID \(ast.maxID) is not the largest id \(ids.max() ?? -1)" }
  let n = ast.source.utf8.count
  for (id, s) in ast.spans where s.start < 0 || s.end > n || s.start > s.end {
    return "span \(s) of node \(id) outside the source (\(n) bytes)"
  }
  return nil
}

/// A deterministic pseudo-random generator (SplitMix64).
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
