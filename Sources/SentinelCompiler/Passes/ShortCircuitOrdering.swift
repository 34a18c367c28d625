// Short-circuit ordering: the operands of a chain of `&&` (or of `||`) are reordered so that the
// cheapest operand most likely to decide comes first: ascending cost / P(decides), where an
// operand decides an `&&` when it is false and an `||` when it is true (the classic order for
// independent tests). Costs are static (the catalog's overload costs, loops dearer); the
// probabilities are static guesses (`==` is rarely true, `has` usually is), or measured ones
// from a profile (`sentinel compile --profile EVENTS.jsonl`). A type test (`event.type == "X"`)
// goes first: type dispatch and condition dedupe make it free.
//
// Why it preserves every result: CEL's `&&` and `||` are commutative, errors included — the VM's
// `and`/`or` (and the jump that skips the right operand only when the left one already decides)
// give false for `false && error` and `error && false` alike, true for `true || error` and
// `error || true`, and an error when no operand decides and one is an error. A chain's value is
// therefore the same in any order; whether it is an error or a bool is too. (Which of two
// errors is reported may change; a rule with an error does not match either way.) The one
// effect order can have, a loop over a collection beyond the VM's limit ending the run, is
// kept: an operand with a comprehension stays in place, and nothing moves across it — whether
// it runs depends only on the set of operands before it.

import SentinelBuiltins
import SentinelBytecode
import SentinelModel

/// Measured probabilities that conditions are true, keyed by `SelectivityProfile.key`.
public struct SelectivityProfile: Sendable {
  /// P(true) per condition key.
  public var probabilities: [String: Double]
  /// How many events the probabilities were measured on.
  public var events: Int

  /// A profile.
  public init(probabilities: [String: Double], events: Int) {
    self.probabilities = probabilities
    self.events = events
  }

  /// A structural key for a node (the same for equal subexpressions of different arenas), or
  /// nil for one that reads a comprehension variable. A constant is keyed by the FNV-1a hash of
  /// its encoding (a 10,000-entry list is a short key), or with `exactConstants` by all its bytes:
  /// then two nodes have the same key exactly when they are the same expression (what the
  /// aggregates' demands need, RuleCompiler+Demand.swift; a profile can afford a collision).
  public static func key(
    of id: IRNodeID, in ir: IRFunction, memo: inout [IRNodeID: String?], exactConstants: Bool = false
  ) -> String? {
    if let k = memo[id] { return k }
    func sub(_ xs: [IRNodeID]) -> [String]? {
      var out: [String] = []
      for x in xs {
        guard let k = key(of: x, in: ir, memo: &memo, exactConstants: exactConstants) else { return nil }
        out.append(k)
      }
      return out
    }
    let k: String?
    switch ir.nodes[id] {
    case .constant(let c):
      var w = ByteWriter()
      w.value(ir.constants[c])
      if exactConstants {
        k = "k" + w.out.map { String($0, radix: 16) }.joined(separator: ".")
      } else {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in w.out { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        k = "k\(h)"
      }
    case .variable(let n): k = "v:" + n
    case .present(let n): k = "p:" + n
    case .local: k = nil
    case .comprehension: k = nil
    case .select(let x, let f): k = sub([x]).map { "sel(\($0[0]).\(f))" }
    case .hasField(let x, let f): k = sub([x]).map { "has(\($0[0]).\(f))" }
    case .optionalSelect(let x, let f): k = sub([x]).map { "opt(\($0[0]).\(f))" }
    case .call(let o, let args): k = sub(args).map { "c\(o)(" + $0.joined(separator: ",") + ")" }
    case .callDynamic(let f, let r, let args):
      k = sub(args).map { "d\(f)\(r)(" + $0.joined(separator: ",") + ")" }
    case .and(let a, let b): k = sub([a, b]).map { "and(\($0[0]),\($0[1]))" }
    case .or(let a, let b): k = sub([a, b]).map { "or(\($0[0]),\($0[1]))" }
    case .conditional(let a, let b, let c):
      k = sub([a, b, c]).map { "if(" + $0.joined(separator: ",") + ")" }
    case .notStrictlyFalse(let x): k = sub([x]).map { "nsf(\($0[0]))" }
    case .list(let xs, let o): k = sub(xs).map { "list\(o)(" + $0.joined(separator: ",") + ")" }
    case .map(let ks, let vs, let o): k = sub(ks + vs).map { "map\(o)(" + $0.joined(separator: ",") + ")" }
    }
    memo[id] = .some(k)
    return k
  }
}

/// Orders the operands of `&&` / `||` chains by cost and selectivity.
public enum ShortCircuitOrdering {
  /// The IR with every `&&` / `||` chain's operands in order.
  public static func run(
    _ ir: IRFunction, catalog: Catalog, profile: SelectivityProfile? = nil, typeField: String? = nil,
    stateVariables: Set<String> = []
  ) -> IRFunction {
    var costs: [IRNodeID: Double] = [:]
    var loops: [IRNodeID: Bool] = [:]
    var keys: [IRNodeID: String?] = [:]
    return ir.rebuild { node, type, span, out in
      let isAnd: Bool
      switch node {
      case .and: isAnd = true
      case .or: isAnd = false
      default: return nil
      }
      var operands: [IRNodeID] = []
      var stack: [IRNodeID]
      if case .and(let a, let b) = node {
        stack = [b, a]
      } else if case .or(let a, let b) = node {
        stack = [b, a]
      } else {
        stack = []
      }
      while let n = stack.popLast() {
        switch out.nodes[n] {
        case .and(let a, let b) where isAnd: stack += [b, a]
        case .or(let a, let b) where !isAnd: stack += [b, a]
        default: operands.append(n)
        }
      }
      func rank(_ n: IRNodeID) -> Double {
        if let typeField, isTypeTest(n, out, catalog, typeField) { return 0 }
        let c = cost(n, out, catalog, &costs, stateVariables: stateVariables)
        var p: Double
        if let profile, let k = SelectivityProfile.key(of: n, in: out, memo: &keys),
          let measured = profile.probabilities[k]
        {
          p = measured
        } else {
          p = probability(n, out, catalog)
        }
        p = isAnd ? 1 - p : p
        return c / max(p, 0.01)
      }
      // Sort within runs between operands with loops; keep equal ranks in source order; an
      // operand never moves before a presence test it depends on (`has(event.amount) &&
      // event.amount > 1000.0`): the order stays legal without it, but the read would make an
      // error value (costly) on every event without the field.
      var ordered: [IRNodeID] = []
      var run: [(rank: Double, index: Int, node: IRNodeID)] = []
      func flush() {
        var pending = run
        while !pending.isEmpty {
          let ready = pending.indices.filter { i in
            !pending.contains { p in p.index < pending[i].index && guards(p.node, pending[i].node, out) }
          }
          // The first operand in source order is always ready: guards come before what they guard.
          let pick =
            ready.min { (pending[$0].rank, pending[$0].index) < (pending[$1].rank, pending[$1].index) } ?? 0
          ordered.append(pending[pick].node)
          pending.remove(at: pick)
        }
        run = []
      }
      for (i, n) in operands.enumerated() {
        if hasLoop(n, out, &loops) {
          flush()
          ordered.append(n)
        } else {
          run.append((rank(n), i, n))
        }
      }
      flush()
      guard ordered != operands else { return nil }
      var acc = ordered[0]
      for n in ordered.dropFirst() {
        acc = out.add(isAnd ? .and(acc, n) : .or(acc, n), type: type, span: span)
      }
      return acc
    }
  }

  /// Whether `test` is a presence test (`has(v)`, `has(x.f)`) of something `operand` reads.
  static func guards(_ test: IRNodeID, _ operand: IRNodeID, _ ir: IRFunction) -> Bool {
    let target: IRNode
    switch ir.nodes[test] {
    case .present(let v): target = .variable(v)
    case .hasField(let x, let f): target = .select(x, field: f)
    default: return false
    }
    var stack = [operand]
    var seen = Set<IRNodeID>()
    while let n = stack.popLast() {
      guard seen.insert(n).inserted else { continue }
      if ir.nodes[n] == target { return true }
      stack += ir.children(of: n)
    }
    return false
  }

  static func isTypeTest(_ n: IRNodeID, _ ir: IRFunction, _ catalog: Catalog, _ field: String) -> Bool {
    guard case .call(let o, let args) = ir.nodes[n], args.count == 2, catalog.overloads[o].function == "_==_"
    else { return false }
    return TypeDispatch.isTypeTest(args[0], args[1], ir, field)
      || TypeDispatch.isTypeTest(args[1], args[0], ir, field)
  }

  static func hasLoop(_ n: IRNodeID, _ ir: IRFunction, _ memo: inout [IRNodeID: Bool]) -> Bool {
    if let m = memo[n] { return m }
    var r = false
    if case .comprehension = ir.nodes[n] {
      r = true
    } else {
      for c in ir.children(of: n) where hasLoop(c, ir, &memo) {
        r = true
        break
      }
    }
    memo[n] = r
    return r
  }

  /// What reading an aggregate's variable costs in `cost`: the runtime reads an aggregate only
  /// for events some rule that reads it can match (RuleCompiler+Demand.swift), so an event test
  /// that rules the rule out goes before the read: for the other events the read is skipped.
  /// NOTE: `is_payment && payments_1h > 10` ran the (cheaper-looking) read first, on every
  /// event (docs/performance.md, "s20: aggregates read on demand").
  static let stateReadCost = 20.0

  /// Static cost: instructions, with calls at the catalog's cost and loops dear; a read of one of
  /// `stateVariables` (not a presence test) at `stateReadCost`.
  static func cost(
    _ n: IRNodeID, _ ir: IRFunction, _ catalog: Catalog, _ memo: inout [IRNodeID: Double],
    stateVariables: Set<String> = []
  ) -> Double {
    if let m = memo[n] { return m }
    var c: Double
    switch ir.nodes[n] {
    // A presence test stays cheap: on a slot left unread it is `false` at once, with no error
    // value (`has(last_geo_login.ts)` keeps its place before the haversine that needs it).
    case .variable(let q) where stateVariables.contains(q): c = stateReadCost
    case .constant, .variable, .local, .present: c = 1
    case .select, .hasField, .optionalSelect: c = 2
    case .call(let o, _): c = 1 + Double(catalog.overloads[o].cost)
    case .callDynamic: c = 6
    case .and, .or, .notStrictlyFalse: c = 1
    case .conditional: c = 3
    case .list, .map: c = 3
    case .comprehension: c = 100
    }
    for x in ir.children(of: n) { c += cost(x, ir, catalog, &memo, stateVariables: stateVariables) }
    memo[n] = c
    return c
  }

  /// A static guess of P(true).
  static func probability(_ n: IRNodeID, _ ir: IRFunction, _ catalog: Catalog) -> Double {
    switch ir.nodes[n] {
    case .constant(let k):
      if case .bool(let b) = ir.constants[k] { return b ? 1 : 0 }
      return 0.5
    case .present, .hasField: return 0.9
    case .and(let a, let b): return probability(a, ir, catalog) * probability(b, ir, catalog)
    case .or(let a, let b):
      return 1 - (1 - probability(a, ir, catalog)) * (1 - probability(b, ir, catalog))
    case .call(let o, let args):
      switch catalog.overloads[o].function {
      case "_==_": return 0.2
      case "_!=_": return 0.8
      case "!_": return args.first.map { 1 - probability($0, ir, catalog) } ?? 0.5
      case "@in": return 0.2
      case "_<_", "_<=_", "_>_", "_>=_": return 0.4
      default: return 0.5
      }
    default: return 0.5
    }
  }
}

extension IRFunction {
  /// The operands of every `&&` / `||` that read no comprehension variable: what a selectivity
  /// profile measures (`sentinel compile --profile`).
  public var shortCircuitOperands: [IRNodeID] {
    let free = hasFreeLocals()
    var out: [IRNodeID] = []
    var seen = Set<IRNodeID>()
    for id in nodes.indices {
      guard case .and(let a, let b) = nodes[id] else {
        if case .or(let a, let b) = nodes[id] {
          for x in [a, b] where !free[x] && seen.insert(x).inserted { out.append(x) }
        }
        continue
      }
      for x in [a, b] where !free[x] && seen.insert(x).inserted { out.append(x) }
    }
    return out
  }
}
