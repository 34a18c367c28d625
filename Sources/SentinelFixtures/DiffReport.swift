// Renderings of `sentinel diff`: human-readable, and JSON with a stable shape (docs/testing.md):
// keys always present, arrays in a fixed order (sections as listed, names in declaration
// order, matrix cells by action rank, rules by id).

import SentinelModel

/// Renders a rule-set diff.
public enum DiffReport {
  /// The human-readable report.
  public static func human(
    structure: StructuralDiff, decisions: DecisionDiff?, old: String, new: String, corpus: String?
  ) -> String {
    var out = "structure: \(old) → \(new)\n"
    for s in structure.sections {
      guard s.compared else {
        out += "  \(s.section): not compared (not recorded in a bundle)\n"
        continue
      }
      if s.isEmpty {
        out += "  \(s.section): no changes\n"
        continue
      }
      var counts: [String] = []
      if !s.added.isEmpty { counts.append("\(s.added.count) added") }
      if !s.removed.isEmpty { counts.append("\(s.removed.count) removed") }
      if !s.changed.isEmpty { counts.append("\(s.changed.count) changed") }
      out += "  \(s.section): \(counts.joined(separator: ", "))\n"
      for n in s.added { out += "    + \(n)\n" }
      for n in s.removed { out += "    - \(n)\n" }
      for c in s.changed {
        out += "    ~ \(c.name)\n"
        for f in c.fields {
          if f.field == "condition" || f.field == "where" || f.field == "key" || f.field == "of" {
            out += "        \(f.field):\n          old: \(f.old)\n          new: \(f.new)\n"
          } else {
            out += "        \(f.field): \(f.old) → \(f.new)\n"
          }
        }
      }
    }
    guard let d = decisions else { return out }
    out += "\ndecisions on \(corpus ?? "the corpus"): \(d.lines) lines, \(d.changedLines) changed"
    out += " (\(d.changedLines - d.sameActionChanged) changed action, \(d.sameActionChanged) same action)\n"
    out += "  transitions (old → new: lines)\n"
    for t in d.matrix {
      let mark = t.from == t.to ? " " : "*"
      out += "   \(mark) \(pad(t.from, 9)) → \(pad(t.to, 9)) \(String(t.count).leftPadded(7))\n"
    }
    if !d.transitions.isEmpty {
      out += "  examples\n"
      for t in d.transitions {
        out += "    \(t.from) → \(t.to)\n"
        for e in t.examples {
          out +=
            "      \(e.eventID ?? "(no id)") (line \(e.line)): [\(e.rulesBefore.joined(separator: ", "))]"
            + " → [\(e.rulesAfter.joined(separator: ", "))]\n"
        }
      }
    }
    out += "  rule hits                        before    after    delta\n"
    for r in d.rules {
      let delta = r.delta > 0 ? "+\(r.delta)" : String(r.delta)
      out +=
        "    \(pad(r.ruleID, 28)) \(String(r.before).leftPadded(8)) \(String(r.after).leftPadded(8))"
        + " \(delta.leftPadded(8))\n"
    }
    return out
  }

  /// The JSON report (docs/testing.md).
  public static func json(
    structure: StructuralDiff, decisions: DecisionDiff?, old: String, new: String, corpus: String?
  ) -> String {
    let sections = structure.sections.map { s -> String in
      let changed = s.changed.map { c in
        "{\"name\":\(q(c.name)),\"fields\":["
          + c.fields.map { "{\"field\":\(q($0.field)),\"old\":\(q($0.old)),\"new\":\(q($0.new))}" }
          .joined(separator: ",") + "]}"
      }
      return "\(q(s.section)):{\"compared\":\(s.compared),\"added\":\(strings(s.added)),"
        + "\"removed\":\(strings(s.removed)),\"changed\":[\(changed.joined(separator: ","))]}"
    }
    var out = "{\"old\":\(q(old)),\"new\":\(q(new)),\"corpus\":\(corpus.map(q) ?? "null"),"
    out += "\"structure\":{\(sections.joined(separator: ","))},\"decisions\":"
    guard let d = decisions else { return out + "null}" }
    let matrix = d.matrix.map { t in
      let examples = t.examples.map { e in
        "{\"event_id\":\(e.eventID.map(q) ?? "null"),\"line\":\(e.line),"
          + "\"rules_before\":\(strings(e.rulesBefore)),\"rules_after\":\(strings(e.rulesAfter))}"
      }
      return "{\"from\":\(q(t.from)),\"to\":\(q(t.to)),\"count\":\(t.count),"
        + "\"examples\":[\(examples.joined(separator: ","))]}"
    }
    let rules = d.rules.map {
      "{\"id\":\(q($0.ruleID)),\"before\":\($0.before),\"after\":\($0.after),\"delta\":\($0.delta)}"
    }
    out +=
      "{\"lines\":\(d.lines),\"changed\":\(d.changedLines),\"same_action_changed\":\(d.sameActionChanged),"
    out += "\"matrix\":[\(matrix.joined(separator: ","))],\"rules\":[\(rules.joined(separator: ","))]}}"
    return out
  }

  static func q(_ s: String) -> String { JSONWriter.quote(s) }
  static func strings(_ xs: [String]) -> String { "[" + xs.map(q).joined(separator: ",") + "]" }
  static func pad(_ s: String, _ n: Int) -> String {
    s.count >= n ? s : s + String(repeating: " ", count: n - s.count)
  }
}

extension String {
  fileprivate func leftPadded(_ n: Int) -> String {
    count >= n ? self : String(repeating: " ", count: n - count) + self
  }
}
