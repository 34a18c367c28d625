// Aggregates read on demand: for each aggregate, the compiler names a filter the state program
// computes anyway whose `false` rules out every rule that reads the aggregate; the runtime skips
// reading the aggregate for such an event (StateCache+Event.swift). It still records the event in
// every aggregate whose filter it matches.
//
// A rule's guards are the top-level `&&` conjuncts of its condition (named conditions inlined)
// that read nothing but event fields. CEL's `&&` is `false` whenever one side is `false`, whatever
// the other is — an error included. A filter whose conjuncts are all guards of rule `r` is
// therefore `false` only when one of `r`'s guards is, and then `r` does not match and its reason's
// placeholders are null (`guardPlaceholders`), whatever its aggregates would have read. A filter
// that is so for every rule reading aggregate `a` is `a`'s demand; an error or a non-bool is not
// `false`, and the aggregate is read. Conjuncts are compared by their structure
// (`SelectivityProfile.key` with exact constants), in the two arenas as lowered, before the passes.
//
// The demand costs nothing where it is computed: the filter's result is there already.
// NOTE: computing a demand of its own per aggregate in the state program (each reader's guards,
// `||`-ed) cost the thread that decodes as many instructions as reading on demand saved the
// deciding one (callgrind, docs/performance.md, "s20: aggregates read on demand").

import SentinelBuiltins
import SentinelModel

/// The rules' guards and the aggregates' filters, compared (see the file comment).
struct Demand {
  /// The rule program's IR as lowered (before the passes): `ruleRoots[k]` is rule `k`'s condition.
  let rules: IRFunction
  /// For each rule, the aggregates its condition or reason reads (`aggregateReads`).
  let reads: [[Int]]
  /// The qualified names of the event's fields (the schema's slots).
  let eventFields: Set<String>

  /// For each of the aggregates whose filters are `filters`' roots (lowered, in order): the
  /// state program result holding the filter that is its demand (`3j + 1` for aggregate `j`'s
  /// filter), or -1 when it is read for every event.
  func table(filters: IRFunction, catalog: Catalog) -> [Int] {
    var ruleKeys: [IRNodeID: String?] = [:]
    var eventOnly: [IRNodeID: Bool] = [:]
    let guards: [Set<String>] = reads.indices.map { k in
      guard k < rules.ruleRoots.count else { return [] }
      var out = Set<String>()
      for c in rules.conjuncts(of: rules.ruleRoots[k]) where readsEventOnly(c, &eventOnly) {
        if let key = SelectivityProfile.key(of: c, in: rules, memo: &ruleKeys, exactConstants: true) {
          out.insert(key)
        }
      }
      return out
    }
    var filterKeys: [IRNodeID: String?] = [:]
    let filterConjuncts: [Set<String>?] = filters.ruleRoots.map { root in
      var out = Set<String>()
      for c in filters.conjuncts(of: root) {
        guard let key = SelectivityProfile.key(of: c, in: filters, memo: &filterKeys, exactConstants: true)
        else { return nil }
        out.insert(key)
      }
      return out
    }
    return filters.ruleRoots.indices.map { a in
      let readers = reads.indices.filter { reads[$0].contains(a) }
      guard !readers.isEmpty else { return -1 }
      // The filters that rule out every reader; the least likely to be true is kept (static
      // guesses: an event-type test before a presence test), then the one with more conjuncts,
      // then the aggregate's own, then the first.
      var best: (index: Int, p: Double, size: Int)?
      for (j, keys) in filterConjuncts.enumerated() {
        guard let keys, !keys.isEmpty, readers.allSatisfy({ keys.isSubset(of: guards[$0]) }) else { continue }
        let p = ShortCircuitOrdering.probability(filters.ruleRoots[j], filters, catalog)
        if let b = best, (b.p, -b.size, b.index == a ? 0 : 1) <= (p, -keys.count, j == a ? 0 : 1) { continue }
        best = (j, p, keys.count)
      }
      return best.map { 3 * $0.index + 1 } ?? -1
    }
  }

  /// Whether the expression at `n` of `rules` reads nothing but event fields and constants,
  /// with no comprehension or dynamic call.
  func readsEventOnly(_ n: IRNodeID, _ memo: inout [IRNodeID: Bool]) -> Bool {
    if let m = memo[n] { return m }
    let ok: Bool
    switch rules.nodes[n] {
    case .constant: ok = true
    case .variable(let q), .present(let q): ok = eventFields.contains(q)
    case .local, .comprehension, .callDynamic: ok = false
    default: ok = rules.children(of: n).allSatisfy { readsEventOnly($0, &memo) }
    }
    memo[n] = ok
    return ok
  }
}
