// Constant folding: a static call whose arguments are all constants is replaced by its value,
// computed by the SAME builtin implementation the VM runs (`Catalog.invoke`), as cel-go does.
// Folding an expression that errors yields an error constant: CEL errors are values, and
// `false && (1/0 == 1)` must still be false, which `and` guarantees at run time.

import SentinelBuiltins
import SentinelModel

/// Folds calls on constants into constants.
public enum ConstantFolding {
  public static func run(_ ir: IRFunction, catalog: Catalog) -> IRFunction {
    ir.rebuild { node, type, span, out in
      func constantValue(_ id: IRNodeID) -> Value? {
        if case .constant(let k) = out.nodes[id] { return out.constants[k] }
        return nil
      }
      switch node {
      case .call(let overload, let a):
        let values = a.compactMap(constantValue)
        guard values.count == a.count else { return nil }
        return out.constant(catalog.invoke(overload, values), span: span)
      case .list(let a, let optional) where !optional.contains(true):
        let values = a.compactMap(constantValue)
        guard values.count == a.count, !values.contains(where: \.isError) else { return nil }
        return out.constant(.list(values), span: span)
      case .and(let a, let b), .or(let a, let b):
        // Constant operands fold by the VM's own rule (`Operations`-equivalent absorption):
        // the absorbing bool wins on either side; otherwise keep the node.
        let isAnd: Bool
        if case .and = node { isAnd = true } else { isAnd = false }
        if case .bool(let v)? = constantValue(a), v != isAnd { return a }
        if case .bool(let v)? = constantValue(b), v != isAnd { return b }
        if case .bool? = constantValue(a), case .bool? = constantValue(b) {
          return out.constant(.bool(isAnd), span: span)
        }
        return nil
      default:
        return nil
      }
    }
  }
}

extension IRFunction {
  /// The node with its children renamed (for passes that rebuild the arena).
  func remap(_ id: IRNodeID, _ f: (IRNodeID) -> IRNodeID) -> IRNode {
    switch nodes[id] {
    case .constant, .variable, .local, .present: return nodes[id]
    case .select(let x, let field): return .select(f(x), field: field)
    case .hasField(let x, let field): return .hasField(f(x), field: field)
    case .optionalSelect(let x, let field): return .optionalSelect(f(x), field: field)
    case .call(let o, let args): return .call(overload: o, args: args.map(f))
    case .callDynamic(let n, let r, let args):
      return .callDynamic(function: n, receiver: r, args: args.map(f))
    case .and(let a, let b): return .and(f(a), f(b))
    case .or(let a, let b): return .or(f(a), f(b))
    case .conditional(let a, let b, let c): return .conditional(f(a), f(b), f(c))
    case .notStrictlyFalse(let x): return .notStrictlyFalse(f(x))
    case .list(let xs, let o): return .list(elements: xs.map(f), optional: o)
    case .map(let ks, let vs, let o): return .map(keys: ks.map(f), values: vs.map(f), optional: o)
    case .comprehension(var c):
      c.range = f(c.range)
      c.accuInit = f(c.accuInit)
      c.condition = f(c.condition)
      c.step = f(c.step)
      c.result = f(c.result)
      return .comprehension(c)
    }
  }
}
