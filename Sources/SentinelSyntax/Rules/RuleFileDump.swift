// A normalized, span-free text of a `RuleFile`: what the file means, for tests (the formatter's
// round trip: dump(parse(format(f))) == dump(parse(f))) and for `--dump` style debugging. CEL
// expressions appear as their fully parenthesized `debugString`, so layout and comments inside
// them do not matter; the file's own comments appear sorted, as a multiset (the formatter may
// move a comment to the next line it prints, never drop it).

import SentinelModel

/// Renders a `RuleFile` as normalized text without spans.
public enum RuleFileDump {
  /// The dump of `file`: one line per declaration item, indented by nesting.
  public static func dump(_ file: RuleFile) -> String {
    var out: [String] = []
    for d in file.declarations {
      switch d {
      case .schema(let s):
        out.append("schema \(s.name.value)")
        fields(s.fields, "  ", &out)
      case .list(let l):
        var line = (l.runtime ? "runtime list " : "list ") + l.name.value
        if let t = l.elementType { line += " type=" + type(t) }
        switch l.contents {
        case .inline(let values): line += " inline=[" + values.map(expr).joined(separator: ", ") + "]"
        case .file(let path, let format):
          line += " file=" + RuleFormatter.quote(path.value)
          if let format { line += " format=" + format.value }
        }
        out.append(line)
      case .condition(let c):
        out.append("condition \(c.name.value) = " + expr(c.expression))
      case .rule(let r):
        out.append("rule \(r.id.value)")
        if let v = r.name { out.append("  name=" + RuleFormatter.quote(v.value)) }
        if let v = r.category { out.append("  category=" + v.value) }
        if !r.tags.isEmpty {
          out.append("  tags=[" + r.tags.map { RuleFormatter.quote($0.value) }.joined(separator: ", ") + "]")
        }
        if let v = r.enabled { out.append("  enabled=\(v.value)") }
        if let v = r.when { out.append("  when=" + expr(v)) }
        if let v = r.action { out.append("  action=" + v.value.rawValue) }
        if let v = r.score { out.append("  score=\(v.value)") }
        if let v = r.reason { out.append("  reason=" + RuleFormatter.quote(v.value)) }
      case .policy(let p):
        out.append("policy")
        if let v = p.reviewThreshold { out.append("  review_threshold=\(v.value)") }
        if let v = p.blockThreshold { out.append("  block_threshold=\(v.value)") }
      case .aggregate(let a):
        out.append("aggregate \(a.name.value)")
        if let v = a.kind { out.append("  kind=" + v.value.rawValue) }
        if let v = a.of { out.append("  of=" + expr(v)) }
        if let v = a.key { out.append("  key=" + expr(v)) }
        if let v = a.filter { out.append("  where=" + expr(v)) }
        if let v = a.window { out.append("  window=\(v.value)ns") }
        if let v = a.includeCurrent { out.append("  include_current=\(v.value)") }
      }
    }
    for c in file.comments.map(\.value).sorted() { out.append("comment " + c) }
    return out.joined(separator: "\n") + (out.isEmpty ? "" : "\n")
  }

  static func expr(_ e: EmbeddedExpression) -> String { e.ast.debugString }

  static func type(_ t: TypeRef) -> String {
    switch t {
    case .cel(let type, _): return RuleFormatter.typeText(type)
    case .object(let fs, _):
      var lines: [String] = []
      fields(fs, "", &lines)
      return "{" + lines.joined(separator: "; ") + "}"
    }
  }

  static func fields(_ fs: [FieldDecl], _ indent: String, _ out: inout [String]) {
    for f in fs {
      var line = indent + "field " + f.name.value + (f.optional ? "?" : "") + ": " + type(f.type)
      if let a = f.allowedValues { line += " in=[" + a.map(expr).joined(separator: ", ") + "]" }
      if let r = f.requiredFor {
        line += " required_for=[" + r.map { RuleFormatter.quote($0.value) }.joined(separator: ", ") + "]"
      }
      if let d = f.defaultValue { line += " default=" + expr(d) }
      out.append(line)
    }
  }
}
