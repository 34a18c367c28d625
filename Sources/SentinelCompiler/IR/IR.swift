// The typed IR: an index-addressed arena of nodes, hash-consed, so that equal subexpressions
// (within and across rules) are one node. Passes rewrite it; codegen emits bytecode from it.

import SentinelBytecode
import SentinelModel

/// An index into an `IRFunction`'s node arena.
public typealias IRNodeID = Int

/// A comprehension variable, unique within one IR arena.
public typealias LocalID = Int

/// One IR node. Children are earlier node ids (the arena is topologically ordered).
public enum IRNode: Sendable, Hashable {
  /// A constant, by index into the arena's constant pool.
  case constant(Int)
  /// A declared variable, by qualified name.
  case variable(String)
  /// A comprehension variable (iteration variable or accumulator).
  case local(LocalID)
  /// Whether a declared variable is bound (`has(event.ip)` on an event field).
  case present(String)
  case select(IRNodeID, field: String)
  case hasField(IRNodeID, field: String)
  case optionalSelect(IRNodeID, field: String)
  /// A call whose overload the checker chose (catalog index) — no dynamic dispatch.
  case call(overload: Int, args: [IRNodeID])
  /// A call dispatched on the runtime types of its arguments.
  case callDynamic(function: String, receiver: Bool, args: [IRNodeID])
  case and(IRNodeID, IRNodeID)
  case or(IRNodeID, IRNodeID)
  case conditional(IRNodeID, IRNodeID, IRNodeID)
  case notStrictlyFalse(IRNodeID)
  case list(elements: [IRNodeID], optional: [Bool])
  case map(keys: [IRNodeID], values: [IRNodeID], optional: [Bool])
  case comprehension(IRComprehension)
}

/// A comprehension in the IR. Locals are unique ids; the body nodes refer to them.
public struct IRComprehension: Sendable, Hashable {
  public var iterVar: LocalID
  public var iterVar2: LocalID?
  public var range: IRNodeID
  public var accuVar: LocalID
  public var accuInit: IRNodeID
  public var condition: IRNodeID
  public var step: IRNodeID
  public var result: IRNodeID
}

/// Rules that run together: when `guardNode` is set, codegen evaluates it once and skips the
/// whole group when it is `false` (every rule of the group has it as an `&&` conjunct).
public struct IRRuleGroup: Sendable, Hashable {
  /// The type test the group's rules share, e.g. `event.type == "login"`; nil: unguarded.
  public var guardNode: IRNodeID?
  /// The rules of the group (indices into `ruleRoots`), in the order codegen emits them.
  public var rules: [Int]

  /// A group of rules, guarded or not.
  public init(guardNode: IRNodeID?, rules: [Int]) {
    self.guardNode = guardNode
    self.rules = rules
  }
}

/// Which nodes codegen keeps in registers of their own, and which register each gets.
public struct IRSharing: Sendable {
  /// Shared node → its register (below `registerCount`; the expression stack starts above).
  public var registers: [IRNodeID: Int]
  /// Registers reserved for shared values.
  public var registerCount: Int

  /// A sharing plan.
  public init(registers: [IRNodeID: Int], registerCount: Int) {
    self.registers = registers
    self.registerCount = registerCount
  }
}

/// An arena of IR nodes with their types and spans, and a root.
public struct IRFunction: Sendable {
  public private(set) var nodes: [IRNode] = []
  public private(set) var types: [CELType] = []
  public private(set) var spans: [Span] = []
  /// The constant pool; constants are compared by their encoded bytes for hash-consing.
  public private(set) var constants: [Value] = []
  private var constantIndex: [[UInt8]: Int] = [:]
  private var index: [IRNode: IRNodeID] = [:]
  public var root: IRNodeID = 0
  /// For a rule set: the root of each rule's condition, in rule-table order (`root` unused).
  public var ruleRoots: [IRNodeID] = []
  /// Number of locals allocated.
  public private(set) var localCount = 0
  /// For a rule set: the order and guards in which codegen runs the rules (type dispatch,
  /// dead-rule elimination); nil runs every rule, in rule-table order, unguarded.
  public var schedule: [IRRuleGroup]?
  /// Rules whose condition is the constant false (dead-rule elimination): codegen writes their
  /// results without code of their own; a schedule does not list them.
  public var deadRules: [Int] = []
  /// The nodes codegen computes once and keeps in a register of their own (condition dedupe);
  /// nil shares nothing. Any pass that rebuilds the arena drops it.
  public var sharing: IRSharing?
  /// Whether codegen emits the roots `attachedConditionals` finds right after their rule
  /// (placeholder attachment); false: every root in its own place.
  public var attachesConditionals = false

  public init() {}

  /// Adds a node, or returns the existing equal node (hash-consing).
  public mutating func add(_ node: IRNode, type: CELType, span: Span) -> IRNodeID {
    if let id = index[node] { return id }
    let id = nodes.count
    nodes.append(node)
    types.append(type)
    spans.append(span)
    index[node] = id
    return id
  }

  /// Adds a constant node.
  public mutating func constant(_ v: Value, span: Span) -> IRNodeID {
    var w = ByteWriter()
    w.value(v)
    let k: Int
    if let i = constantIndex[w.out] {
      k = i
    } else {
      k = constants.count
      constants.append(v)
      constantIndex[w.out] = k
    }
    return add(.constant(k), type: v.celType, span: span)
  }

  /// A fresh comprehension local.
  public mutating func newLocal() -> LocalID {
    localCount += 1
    return localCount - 1
  }

  /// The rule groups codegen emits: the schedule, or every live rule in order, unguarded.
  public var effectiveSchedule: [IRRuleGroup] {
    if let schedule { return schedule }
    let dead = Set(deadRules)
    return [IRRuleGroup(guardNode: nil, rules: ruleRoots.indices.filter { !dead.contains($0) })]
  }

  /// Roots emitted right after the rule whose condition they test: a root `c ? t : e` whose `c`
  /// is the root of another rule `j` (a reason placeholder, `guardPlaceholders`), both in
  /// unguarded groups, is computed just after `rule r, j`, from `j`'s register — its condition
  /// is not evaluated twice, and what its branches share (the same call in several placeholders)
  /// is computed once. `byRule[j]`: such roots of rule `j`, in schedule order; `attached`: all of
  /// them (codegen and `EvaluationWalk` skip them in their own place).
  public var attachedConditionals: (byRule: [Int: [Int]], attached: Set<Int>) {
    guard attachesConditionals else { return ([:], []) }
    var ruleOfRoot: [IRNodeID: Int] = [:]
    var order: [Int] = []
    for group in effectiveSchedule where group.guardNode == nil {
      for i in group.rules {
        order.append(i)
        if ruleOfRoot[ruleRoots[i]] == nil { ruleOfRoot[ruleRoots[i]] = i }
      }
    }
    var byRule: [Int: [Int]] = [:]
    var attached = Set<Int>()
    for k in order {
      guard case .conditional(let c, _, _) = nodes[ruleRoots[k]], let j = ruleOfRoot[c], j != k else {
        continue
      }
      // No chains: a rule that is itself attached keeps its dependents in their own place.
      if case .conditional(let c2, _, _) = nodes[ruleRoots[j]], let j2 = ruleOfRoot[c2], j2 != j { continue }
      byRule[j, default: []].append(k)
      attached.insert(k)
    }
    return (byRule, attached)
  }

  /// Number of nodes reachable from the root (what codegen will emit).
  public var reachableCount: Int {
    var seen = Set<IRNodeID>()
    let groups = effectiveSchedule
    var stack =
      ruleRoots.isEmpty
      ? [root] : groups.flatMap { g in g.rules.map { ruleRoots[$0] } } + groups.compactMap(\.guardNode)
    while let n = stack.popLast() {
      guard seen.insert(n).inserted else { continue }
      stack.append(contentsOf: children(of: n))
    }
    return seen.count
  }

  /// The top-level `&&` operands of the expression at `root`, left to right (`root` itself when
  /// it is no `&&`).
  public func conjuncts(of root: IRNodeID) -> [IRNodeID] {
    var out: [IRNodeID] = []
    var stack = [root]
    while let n = stack.popLast() {
      if case .and(let a, let b) = nodes[n] {
        stack.append(b)
        stack.append(a)
      } else {
        out.append(n)
      }
    }
    return out
  }

  /// The children of a node.
  public func children(of id: IRNodeID) -> [IRNodeID] {
    switch nodes[id] {
    case .constant, .variable, .local, .present: return []
    case .select(let x, _), .hasField(let x, _), .optionalSelect(let x, _), .notStrictlyFalse(let x):
      return [x]
    case .call(_, let args), .callDynamic(_, _, let args): return args
    case .and(let a, let b), .or(let a, let b): return [a, b]
    case .conditional(let a, let b, let c): return [a, b, c]
    case .list(let xs, _): return xs
    case .map(let ks, let vs, _): return ks + vs
    case .comprehension(let c): return [c.range, c.accuInit, c.condition, c.step, c.result]
    }
  }
}
