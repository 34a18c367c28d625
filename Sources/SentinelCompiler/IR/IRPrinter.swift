// Renders an IR arena as text, one node per line (`sentinel compile --dump ir`).

import SentinelBuiltins
import SentinelModel

extension IRFunction {
  /// One line per reachable node, children before parents: `%3 : int = call add_int64(%1, %2)`.
  public func dump(catalog: Catalog) -> String {
    var order: [IRNodeID] = []
    var seen = Set<IRNodeID>()
    func visit(_ id: IRNodeID) {
      guard seen.insert(id).inserted else { return }
      for c in children(of: id) { visit(c) }
      order.append(id)
    }
    for r in ruleRoots.isEmpty ? [root] : ruleRoots { visit(r) }
    for g in schedule ?? [] { if let n = g.guardNode { visit(n) } }
    var out = ""
    for id in order {
      let body: String
      switch nodes[id] {
      case .constant(let k): body = "const \(constants[k])"
      case .variable(let n): body = "var \(n)"
      case .local(let l): body = "local $\(l)"
      case .present(let n): body = "present \(n)"
      case .select(let x, let f): body = "select %\(x).\(f)"
      case .hasField(let x, let f): body = "has %\(x).\(f)"
      case .optionalSelect(let x, let f): body = "select.opt %\(x).?\(f)"
      case .call(let o, let args):
        body = "call \(catalog.overloads[o].id)(\(args.map { "%\($0)" }.joined(separator: ", ")))"
      case .callDynamic(let f, let r, let args):
        body = "call.dyn \(r ? "." : "")\(f)(\(args.map { "%\($0)" }.joined(separator: ", ")))"
      case .and(let a, let b): body = "and %\(a), %\(b)"
      case .or(let a, let b): body = "or %\(a), %\(b)"
      case .conditional(let a, let b, let c): body = "cond %\(a) ? %\(b) : %\(c)"
      case .notStrictlyFalse(let x): body = "not_strictly_false %\(x)"
      case .list(let xs, let opt):
        body = "list [\(zip(xs, opt).map { ($1 ? "?" : "") + "%\($0)" }.joined(separator: ", "))]"
      case .map(let ks, let vs, let opt):
        body =
          "map {\((0..<ks.count).map { (opt[$0] ? "?" : "") + "%\(ks[$0]): %\(vs[$0])" }.joined(separator: ", "))}"
      case .comprehension(let c):
        body =
          "comprehension iter $\(c.iterVar)\(c.iterVar2.map { ", $\($0)" } ?? "") in %\(c.range), "
          + "accu $\(c.accuVar) = %\(c.accuInit), while %\(c.condition), step %\(c.step), result %\(c.result)"
      }
      // A shared node (condition dedupe) shows the register that keeps it: `%7 [s2]`.
      let kept = sharing?.registers[id].map { " [s\($0)]" } ?? ""
      out += "%\(id)\(kept) : \(types[id]) = \(body)\n"
    }
    if !ruleRoots.isEmpty {
      out += ruleRoots.enumerated().map { "rule #\($0.offset) %\($0.element)\n" }.joined()
      if !deadRules.isEmpty {
        out += "dead rules (constant false): \(deadRules.map { "#\($0)" }.joined(separator: ", "))\n"
      }
      if let schedule {
        for g in schedule {
          out +=
            "group \(g.guardNode.map { "if %\($0)" } ?? "always"): \(g.rules.map { "#\($0)" }.joined(separator: ", "))\n"
        }
      }
      if let sharing {
        out += "shared: \(sharing.registers.count) nodes in \(sharing.registerCount) registers\n"
      }
      return out
    }
    return out + "root %\(root)\n"
  }
}
