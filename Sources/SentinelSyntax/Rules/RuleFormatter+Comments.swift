// Attaching comments to layout items, and bracketed lists (one line, or one element per line).
//
// Every layout item is an anchor with its source span (`AnchorKey`). A comment is *trailing* for
// the anchor that ends last before it on its line (`score: 40  // high`); otherwise it *leads*
// the first anchor that starts after it (sorted by start, outermost first). Comments after the
// last anchor lead the end of the file. A list whose elements or closing `]` carry comments is
// laid out one element per line, so that the comments keep their places.

import SentinelModel

/// A bracketed list to lay out: its elements' text and spans, and its `]` anchor.
struct BracketList {
  var elements: [(text: String, span: Span)]
  var close: AnchorKey?
}

extension RulePrinter {
  /// The 0-based line of a byte offset.
  func lineIndex(_ offset: Int) -> Int {
    let starts = file.source.lineStarts
    var lo = 0
    var hi = starts.count - 1
    while lo < hi {
      let mid = (lo + hi + 1) / 2
      if starts[mid] <= offset { lo = mid } else { hi = mid - 1 }
    }
    return lo
  }

  /// The anchor of the `]` closing a list whose last element ends at `after`.
  func listClose(after: Int?) -> AnchorKey? {
    guard var i = after else { return nil }
    while i < bytes.count {
      let b = bytes[i]
      if Byte.isWhitespace(b) || b == Byte.comma {
        i += 1
      } else if b == Byte.slash && i + 1 < bytes.count && bytes[i + 1] == Byte.slash {
        while i < bytes.count && bytes[i] != Byte.newline { i += 1 }
      } else {
        return b == Byte.rightBracket ? AnchorKey(kind: .close, start: i, end: i + 1) : nil
      }
    }
    return nil
  }

  // MARK: - Anchors

  /// Every anchor of the file, in the order the attachment rules need.
  func anchors() -> [AnchorKey] {
    var out: [AnchorKey] = []
    func closeOf(_ span: Span) -> AnchorKey {
      AnchorKey(kind: .close, start: max(0, span.end - 1), end: span.end)
    }
    func list(_ spans: [Span]) {
      for s in spans { out.append(AnchorKey(kind: .element, start: s.start, end: s.end)) }
      if let c = listClose(after: spans.last?.end) { out.append(c) }
    }
    func fields(_ fs: [FieldDecl]) {
      for f in fs {
        out.append(AnchorKey(kind: .member, start: f.name.span.start, end: f.span.end))
        if case .object(let nested, let span) = f.type {
          out.append(AnchorKey(kind: .objectHead, start: f.name.span.start, end: span.start + 1))
          fields(nested)
          out.append(closeOf(span))
        }
        if let values = f.allowedValues { list(values.map(\.span)) }
        if let types = f.requiredFor { list(types.map(\.span)) }
      }
    }
    for d in file.declarations {
      switch d {
      case .schema(let s):
        out.append(AnchorKey(kind: .head, start: s.span.start, end: s.name.span.end))
        fields(s.fields)
        out.append(closeOf(s.span))
      case .list(let l):
        if case .inline(let values) = l.contents {
          out.append(AnchorKey(kind: .head, start: l.span.start, end: l.name.span.end))
          list(values.map(\.span))
        } else {
          out.append(AnchorKey(kind: .whole, start: l.span.start, end: l.span.end))
        }
      case .condition(let c):
        out.append(AnchorKey(kind: .whole, start: c.span.start, end: c.span.end))
      case .rule(let r):
        out.append(AnchorKey(kind: .head, start: r.span.start, end: r.id.span.end))
        let spans: [Span?] = [
          r.name?.span, r.category?.span, r.enabled?.span, r.when?.span, r.action?.span, r.score?.span,
          r.reason?.span,
        ]
        for case let s? in spans { out.append(AnchorKey(kind: .member, start: s.start, end: s.end)) }
        if let first = r.tags.first, let last = r.tags.last {
          let close = listClose(after: last.span.end)
          out.append(AnchorKey(kind: .member, start: first.span.start, end: close?.end ?? last.span.end))
          list(r.tags.map(\.span))
        }
        out.append(closeOf(r.span))
      case .policy(let p):
        out.append(AnchorKey(kind: .head, start: p.span.start, end: min(p.span.end, p.span.start + 6)))
        for case let s? in [p.reviewThreshold?.span, p.blockThreshold?.span] {
          out.append(AnchorKey(kind: .member, start: s.start, end: s.end))
        }
        out.append(closeOf(p.span))
      case .aggregate(let a):
        out.append(AnchorKey(kind: .head, start: a.span.start, end: a.name.span.end))
        let spans: [Span?] = [
          a.kind?.span, a.of?.span, a.key?.span, a.filter?.span, a.window?.span, a.includeCurrent?.span,
        ]
        for case let s? in spans { out.append(AnchorKey(kind: .member, start: s.start, end: s.end)) }
        out.append(closeOf(a.span))
      }
    }
    out.append(AnchorKey(kind: .end, start: bytes.count, end: bytes.count))
    return out.sorted { ($0.start, -$0.end) < ($1.start, -$1.end) }
  }

  /// Assigns every comment to an anchor, as leading or trailing.
  mutating func attachComments() {
    let all = anchors()
    let anchorLines = all.map { lineIndex($0.end) }
    for (i, c) in file.comments.enumerated() {
      let line = lineIndex(c.span.start)
      var best: AnchorKey? = nil
      for (a, aLine) in zip(all, anchorLines) where a.kind != .end && a.end <= c.span.start && aLine == line {
        if let b = best, (b.end, b.start) >= (a.end, a.start) { continue }
        best = a
      }
      if let best {
        trailing[best, default: []].append(i)
        continue
      }
      let next =
        all.first { $0.start >= c.span.end } ?? AnchorKey(kind: .end, start: bytes.count, end: bytes.count)
      leading[next, default: []].append(i)
    }
  }

  // MARK: - Bracketed lists

  /// Appends `prefix` and the list to the last line: on that line when it fits and no comment
  /// is attached inside; else one element per line (with trailing commas) and `]` on its own.
  mutating func appendList(
    _ list: BracketList, prefix: String, indent: String, forceMultiline: Bool = false, head: AnchorKey? = nil
  ) {
    let keys = list.elements.map { AnchorKey(kind: .element, start: $0.span.start, end: $0.span.end) }
    let commented =
      keys.contains { !(leading[$0] ?? []).isEmpty || !(trailing[$0] ?? []).isEmpty }
      || list.close.map { !(leading[$0] ?? []).isEmpty } ?? false
    let single = prefix + "[" + list.elements.map(\.text).joined(separator: ", ") + "]"
    let width = (out.last?.count ?? 0) + single.count
    let multiline =
      !list.elements.isEmpty
      && (forceMultiline || commented || list.elements.contains { $0.text.contains("\n") }
        || width > RuleFormatter.lineLength)
    if out.isEmpty { out.append("") }
    guard multiline else {
      out[out.count - 1] += single
      if let head { emitTrailing(head) }
      if let close = list.close { emitTrailing(close) }
      return
    }
    out[out.count - 1] += prefix + "["
    if let head { emitTrailing(head) }
    for (element, key) in zip(list.elements, keys) {
      emitLeading(key, indent: indent + "  ")
      let lines = RuleFormatter.celLines(element.text, indent: indent + "    ")
      out.append(indent + "  " + (lines.first ?? ""))
      out.append(contentsOf: lines.dropFirst())
      out[out.count - 1] += ","
      emitTrailing(key)
    }
    if let close = list.close { emitLeading(close, indent: indent + "  ") }
    out.append(indent + "]")
    if let close = list.close { emitTrailing(close) }
  }
}
