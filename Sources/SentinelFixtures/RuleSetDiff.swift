// `sentinel diff`'s two halves. Structural: items added, removed and changed (with each changed
// field old → new) per section. Decisions: one corpus replayed through both rule sets, each
// from its own empty state, compared line by line: a transition matrix of actions (`error` for
// rejected lines), per-rule hit counts before and after, and up to three example events per
// transition.

import SentinelRuntime

/// A field whose text differs.
public struct FieldChange: Sendable, Hashable {
  /// The field (`condition`, `score`, `window`…).
  public var field: String
  /// Its old text.
  public var old: String
  /// Its new text.
  public var new: String

  /// A change of `field` from `old` to `new`.
  public init(field: String, old: String, new: String) {
    self.field = field
    self.old = old
    self.new = new
  }
}

/// An item present in both versions whose fields differ.
public struct ItemChange: Sendable, Hashable {
  /// The item's name.
  public var name: String
  /// The differing fields, in display order.
  public var fields: [FieldChange]
}

/// The difference of one section (rules, conditions, aggregates, lists, policy).
public struct SectionDiff: Sendable, Hashable {
  /// The section's name.
  public var section: String
  /// Whether both versions record this section (bundles do not record conditions and lists).
  public var compared: Bool
  /// Names only in the new version.
  public var added: [String] = []
  /// Names only in the old version.
  public var removed: [String] = []
  /// Items in both whose fields differ.
  public var changed: [ItemChange] = []

  /// Whether nothing differs.
  public var isEmpty: Bool { added.isEmpty && removed.isEmpty && changed.isEmpty }

  /// Compares two lists of items (by name). Fields known to only one side are not compared.
  public static func compare(_ section: String, old: [SummaryItem]?, new: [SummaryItem]?) -> SectionDiff {
    guard let old, let new else { return SectionDiff(section: section, compared: false) }
    var d = SectionDiff(section: section, compared: true)
    let oldNames = Set(old.map(\.name))
    let newNames = Set(new.map(\.name))
    d.added = new.map(\.name).filter { !oldNames.contains($0) }
    d.removed = old.map(\.name).filter { !newNames.contains($0) }
    var newByName: [String: SummaryItem] = [:]
    for i in new where newByName[i.name] == nil { newByName[i.name] = i }
    var seen = Set<String>()
    for o in old where seen.insert(o.name).inserted {
      guard let n = newByName[o.name] else { continue }
      var fields: [FieldChange] = []
      for (k, ov) in o.fields {
        guard let nv = n[k], nv != ov else { continue }
        fields.append(FieldChange(field: k, old: ov, new: nv))
      }
      if !fields.isEmpty { d.changed.append(ItemChange(name: o.name, fields: fields)) }
    }
    return d
  }
}

/// The structural difference of two rule sets.
public struct StructuralDiff: Sendable {
  /// Rules, conditions, aggregates, lists and policy, in that order.
  public var sections: [SectionDiff]

  /// Compares two summaries.
  public init(old: RuleSetSummary, new: RuleSetSummary) {
    sections = [
      .compare("rules", old: old.rules, new: new.rules),
      .compare("conditions", old: old.conditions, new: new.conditions),
      .compare("aggregates", old: old.aggregates, new: new.aggregates),
      .compare("lists", old: old.lists, new: new.lists),
      .compare("policy", old: [old.policy], new: [new.policy]),
    ]
  }
}

/// One example of a transition.
public struct TransitionExample: Sendable, Hashable {
  /// The event id (nil for a line without one).
  public var eventID: String?
  /// The 1-based line in the corpus.
  public var line: Int
  /// Matched rules before and after.
  public var rulesBefore: [String]
  /// Matched rules after.
  public var rulesAfter: [String]
}

/// A cell of the transition matrix.
public struct Transition: Sendable, Hashable {
  /// The old action (`allow`, `review`, `block`, `challenge`, or `error`).
  public var from: String
  /// The new action.
  public var to: String
  /// How many lines.
  public var count: Int
  /// Up to three examples (for a change of action).
  public var examples: [TransitionExample]
}

/// A rule's hit counts: decision lines whose rules list it.
public struct RuleHits: Sendable, Hashable {
  /// The rule id.
  public var ruleID: String
  /// Lines with the old rule set.
  public var before: Int
  /// Lines with the new rule set.
  public var after: Int
  /// `after - before`.
  public var delta: Int { after - before }
}

/// The decision difference of two rule sets on one corpus.
public struct DecisionDiff: Sendable {
  /// Output lines compared.
  public var lines = 0
  /// Lines whose output differs at all (action, score or rules).
  public var changedLines = 0
  /// Lines whose action is the same but whose score or rules differ.
  public var sameActionChanged = 0
  /// Every non-empty cell, unchanged actions included, ordered by action rank.
  public var matrix: [Transition] = []
  /// Every rule of either version (sorted by id).
  public var rules: [RuleHits] = []

  /// The cells whose action changed.
  public var transitions: [Transition] { matrix.filter { $0.from != $0.to } }

  /// How many examples each transition keeps.
  public static let examplesPerTransition = 3

  /// Replays `corpus` through both bundles (each from empty in-memory state) and compares.
  public init(corpus: String, old: LoadedBundle, new: LoadedBundle) throws(FixtureError) {
    let before = try CorpusReplay.outputs(corpus, bundle: old)
    let after = try CorpusReplay.outputs(corpus, bundle: new)
    guard before.count == after.count else {
      // Both replays see the same lines, so this cannot happen; say so rather than crash.
      throw FixtureError("", "the two replays gave \(before.count) and \(after.count) lines")
    }
    var cells: [String: Transition] = [:]
    var hitsBefore: [String: Int] = [:]
    var hitsAfter: [String: Int] = [:]
    for id in old.bundle.rules.map(\.id) { hitsBefore[id] = 0 }
    for id in new.bundle.rules.map(\.id) { hitsAfter[id] = 0 }
    for (b, a) in zip(before, after) {
      let ob = (try? OutputLine.parse(b.output)) ?? .error(eventID: nil)
      let oa = (try? OutputLine.parse(a.output)) ?? .error(eventID: nil)
      lines += 1
      for r in ob.rules { hitsBefore[r, default: 0] += 1 }
      for r in oa.rules { hitsAfter[r, default: 0] += 1 }
      let key = ob.action + "\u{0}" + oa.action
      var cell = cells[key] ?? Transition(from: ob.action, to: oa.action, count: 0, examples: [])
      cell.count += 1
      let changed = !ob.accepts(oa) || !oa.accepts(ob)
      if changed {
        changedLines += 1
        if ob.action == oa.action { sameActionChanged += 1 }
      }
      if ob.action != oa.action && cell.examples.count < Self.examplesPerTransition {
        cell.examples.append(
          TransitionExample(
            eventID: oa.eventID ?? ob.eventID, line: b.lineNumber, rulesBefore: ob.rules, rulesAfter: oa.rules
          ))
      }
      cells[key] = cell
    }
    matrix = cells.values.sorted { x, y in
      (Self.rank(x.from), Self.rank(x.to)) < (Self.rank(y.from), Self.rank(y.to))
    }
    rules = Set(hitsBefore.keys).union(hitsAfter.keys).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
      .map {
        RuleHits(ruleID: $0, before: hitsBefore[$0] ?? 0, after: hitsAfter[$0] ?? 0)
      }
  }

  /// The display order of actions.
  static func rank(_ action: String) -> Int {
    switch action {
    case "allow": return 0
    case "challenge": return 1
    case "review": return 2
    case "block": return 3
    case "error": return 4
    default: return 5
    }
  }
}
