// Constant folding: a static call whose arguments are all constants is replaced by its value,
// computed by the SAME builtin implementation the VM runs (`Catalog.invoke`), as cel-go does.
// Folding an expression that errors yields an error constant: CEL errors are values, and
// `false && (1/0 == 1)` must still be false, which `and` guarantees at run time.

import SentinelBuiltins
import SentinelModel

/// Folds calls on constants into constants.
public enum ConstantFolding {
  public static func run(_ ir: IRFunction, catalog: Catalog) -> IRFunction {
    var out = IRFunction()
    var map: [IRNodeID: IRNodeID] = [:]
    var localMap: [LocalID: LocalID] = [:]
    func local(_ l: LocalID) -> LocalID {
      if let m = localMap[l] { return m }
      let n = out.newLocal()
      localMap[l] = n
      return n
    }
    func constantValue(_ id: IRNodeID) -> Value? {
      if case .constant(let k) = out.nodes[id] { return out.constants[k] }
      return nil
    }
    // The arena is topologically ordered: children precede parents.
    for id in ir.nodes.indices {
      let span = ir.spans[id]
      let type = ir.types[id]
      let new: IRNodeID
      switch ir.nodes[id] {
      case .constant(let k):
        new = out.constant(ir.constants[k], span: span)
      case .call(let overload, let args):
        let a = args.map { map[$0] ?? $0 }
        let values = a.compactMap(constantValue)
        if values.count == a.count {
          new = out.constant(catalog.invoke(overload, values), span: span)
        } else {
          new = out.add(.call(overload: overload, args: a), type: type, span: span)
        }
      case .local(let l):
        new = out.add(.local(local(l)), type: type, span: span)
      case .list(let xs, let optional) where !optional.contains(true):
        let a = xs.map { map[$0] ?? $0 }
        let values = a.compactMap(constantValue)
        if values.count == a.count, !values.contains(where: \.isError) {
          new = out.constant(.list(values), span: span)
        } else {
          new = out.add(.list(elements: a, optional: optional), type: type, span: span)
        }
      case .and(let x, let y), .or(let x, let y):
        // Constant operands fold by the VM's own rule (`Operations`-equivalent absorption):
        // the absorbing bool wins on either side; otherwise keep the node.
        let isAnd: Bool
        if case .and = ir.nodes[id] { isAnd = true } else { isAnd = false }
        let a = map[x] ?? x
        let b = map[y] ?? y
        if case .bool(let v)? = constantValue(a), v != isAnd {
          new = a
        } else if case .bool(let v)? = constantValue(b), v != isAnd {
          new = b
        } else if case .bool? = constantValue(a), case .bool? = constantValue(b) {
          new = out.constant(.bool(isAnd), span: span)
        } else {
          new = out.add(isAnd ? .and(a, b) : .or(a, b), type: type, span: span)
        }
      case .comprehension(var c):
        c.iterVar = local(c.iterVar)
        c.iterVar2 = c.iterVar2.map(local)
        c.accuVar = local(c.accuVar)
        c.range = map[c.range] ?? c.range
        c.accuInit = map[c.accuInit] ?? c.accuInit
        c.condition = map[c.condition] ?? c.condition
        c.step = map[c.step] ?? c.step
        c.result = map[c.result] ?? c.result
        new = out.add(.comprehension(c), type: type, span: span)
      default:
        new = out.add(ir.remap(id) { map[$0] ?? $0 }, type: type, span: span)
      }
      map[id] = new
    }
    out.root = map[ir.root] ?? 0
    out.ruleRoots = ir.ruleRoots.map { map[$0] ?? $0 }
    return out
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
