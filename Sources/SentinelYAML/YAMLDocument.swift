// The YAML layer: source text → a tree of `YNode`s whose every node carries a byte span into the
// file. Yams composes the document (libyaml underneath); its marks give 1-based line and
// column (columns in Unicode scalars) of each node's start, which `LineTable` turns into byte
// offsets. Scalars' ends are found by aligning their value with the source text (`ScalarText`).
//
// Two things Yams does not do for us:
//   * duplicate keys make Yams throw without a tree. We rename the reported key in a copy of the
//     text (same byte length, so every position stays valid), compose again, and report the
//     duplicate at its later occurrence — so one duplicate does not hide every other error.
//   * aliases are shared in Yams' tree but copied in ours, so conversion has a node budget
//     (a "billion laughs" document stops with an error instead of exhausting memory).

import SentinelModel
import Yams

/// How a scalar was written in the YAML text.
enum ScalarStyle: Sendable {
  case plain
  case singleQuoted
  case doubleQuoted
  /// `|` block scalar.
  case literal
  /// `>` block scalar.
  case folded
}

/// A YAML scalar and where it is.
struct YScalar: Sendable {
  /// The scalar's value, escapes resolved and lines folded.
  var value: String
  var style: ScalarStyle
  /// A core-schema tag written explicitly (`!!int 5`), else nil.
  var tag: String?
  /// Where the scalar's content begins: after a tag or anchor, after the opening quote, or on
  /// the line after a block indicator.
  var contentStart: Int
}

/// A YAML mapping entry.
struct YPair: Sendable {
  var key: YNode
  var value: YNode
}

/// A YAML node with the span of its text (properties and quotes included).
struct YNode: Sendable {
  enum Kind: Sendable {
    case scalar(YScalar)
    case mapping([YPair])
    case sequence([YNode])
  }
  var kind: Kind
  var span: Span

  /// Whether this is a null scalar (`~`, `null`, or nothing at all).
  var isNull: Bool {
    if case .scalar(let s) = kind, case .null = s.typed { return true }
    return false
  }

  /// The scalar, if this is one.
  var scalar: YScalar? {
    if case .scalar(let s) = kind { return s }
    return nil
  }

  /// What kind of node this is, for messages ("a mapping", "a list", "a string"…).
  var kindDescription: String {
    switch kind {
    case .mapping: return "a mapping"
    case .sequence: return "a list"
    case .scalar(let s):
      switch s.typed {
      case .null: return "nothing (null)"
      case .bool: return "a boolean"
      case .int, .double: return "a number"
      case .string, .invalid: return "a string"
      }
    }
  }
}

/// Byte offsets of the lines of a YAML text, counted as libyaml counts them.
struct LineTable: Sendable {
  /// Byte offset at which each line begins.
  let starts: [Int]
  let utf8: [UInt8]

  init(_ utf8: [UInt8]) {
    self.utf8 = utf8
    let n = utf8.count
    // libyaml skips a byte order mark: column 1 of line 1 is the byte after it.
    var starts = [n >= 3 && utf8[0] == 0xEF && utf8[1] == 0xBB && utf8[2] == 0xBF ? 3 : 0]
    var i = 0
    // libyaml breaks lines at LF, CR, CR LF, NEL (U+0085), LS (U+2028) and PS (U+2029).
    while i < n {
      let b = utf8[i]
      if b == 0x0A {
        starts.append(i + 1)
      } else if b == 0x0D {
        if i + 1 < n && utf8[i + 1] == 0x0A { i += 1 }
        starts.append(i + 1)
      } else if b == 0xC2 && i + 1 < n && utf8[i + 1] == 0x85 {
        i += 1
        starts.append(i + 1)
      } else if b == 0xE2 && i + 2 < n && utf8[i + 1] == 0x80 && (utf8[i + 2] == 0xA8 || utf8[i + 2] == 0xA9)
      {
        i += 2
        starts.append(i + 1)
      }
      i += 1
    }
    self.starts = starts
  }

  /// The byte offset of a 1-based line and column (columns count Unicode scalars), clamped to
  /// the line and the text.
  func offset(line: Int, column: Int) -> Int {
    guard line >= 1 else { return starts.first ?? 0 }
    guard line <= starts.count else { return utf8.count }
    let limit = line < starts.count ? starts[line] : utf8.count
    var p = starts[line - 1]
    var col = 1
    while col < column && p < limit {
      p += Self.sequenceLength(utf8[p])
      col += 1
    }
    return min(p, utf8.count)
  }

  /// The byte offset of a Yams mark.
  func offset(_ mark: Mark?) -> Int {
    guard let mark else { return 0 }
    return offset(line: mark.line, column: mark.column)
  }

  /// The length of the UTF-8 sequence a byte starts (1 for a stray continuation byte).
  static func sequenceLength(_ b: UInt8) -> Int {
    switch b {
    case 0xF0...: return 4
    case 0xE0...: return 3
    case 0xC0...: return 2
    default: return 1
    }
  }
}

/// Loads a YAML text into a `YNode` tree.
struct YAMLDocument {
  /// Limits on what a document may expand to.
  static let maxNodes = 1_000_000
  static let maxDepth = 200
  /// Duplicate keys recovered from before giving up on the document.
  static let maxDuplicateRecoveries = 16

  let source: Source
  let lines: LineTable
  var diagnostics: [Diagnostic] = []
  /// Keys renamed to recover from a duplicate: their offset → their original value and span.
  var renamed: [Int: (name: String, span: Span)] = [:]
  /// Nodes converted so far, counting every copy an alias makes.
  var nodeCount = 0
  var limitReported = false
  /// Nodes converted, with their sizes, by offset and kind: what an alias copies is converted once.
  var converted: [Int: (node: YNode, size: Int)] = [:]
  /// The furthest node start converted: a node starting before it is an alias's copy (Yams
  /// resolves an alias to the anchored node, whose mark is that of the anchor).
  var cursor = 0

  init(source: Source) {
    self.source = source
    self.lines = LineTable(source.utf8)
  }

  /// The document's root node (a null scalar for an empty document) and the diagnostics;
  /// nil when the text is not valid YAML.
  static func load(_ source: Source) -> (YNode?, [Diagnostic]) {
    var document = YAMLDocument(source: source)
    guard let node = document.compose() else { return (nil, document.diagnostics) }
    guard let node else {
      return (
        YNode(kind: .scalar(YScalar(value: "", style: .plain, tag: nil, contentStart: 0)), span: .none), []
      )
    }
    let root = document.convert(node, depth: 0)
    // Past a limit the tree is incomplete: reading it would report errors that are not there.
    return (document.limitReported ? nil : root, document.diagnostics)
  }

  // MARK: - Composition

  /// Composes the text with Yams, renaming duplicate keys until it composes. Returns nil after
  /// a syntax error, `.some(nil)` for an empty document.
  mutating func compose() -> Node?? {
    var bytes = source.utf8
    for attempt in 0...Self.maxDuplicateRecoveries {
      let text = attempt == 0 ? source.text : String(decoding: bytes, as: UTF8.self)
      do {
        return .some(try Yams.compose(yaml: text, Resolver.basic, Constructor.default, .utf8))
      } catch YamlError.duplicatedKeysInMapping(let duplicates, let context) {
        let offset = lines.offset(context.mark)
        let name = duplicates.first ?? ""
        guard attempt < Self.maxDuplicateRecoveries,
          let span = rename(key: offset, in: &bytes, attempt: attempt)
        else {
          // Too many to recover from: report them all, at the keys that have later repeats.
          var scratch = bytes
          let last = (name, rename(key: offset, in: &scratch, attempt: 0) ?? Span(offset, offset))
          for (key, span) in renamed.values.sorted(by: { $0.span.start < $1.span.start }) + [last] {
            diagnostics.append(
              .error(
                YAMLCode.duplicateKey, "duplicate key `\(key)`", at: span,
                help: "`\(key)` is repeated later in the same mapping; each key may appear once"))
          }
          return nil
        }
        renamed[offset] = (name, span)
      } catch {
        diagnostics.append(YAMLSyntaxError.diagnostic(for: error, source: source, lines: lines))
        return nil
      }
    }
    return nil
  }

  /// Replaces the text of the scalar key at `offset` with a placeholder of the same byte length
  /// that no key is likely to use (`~0`, `~1`…); returns the key's span (quotes included), or
  /// nil when the key's extent is unclear.
  func rename(key offset: Int, in bytes: inout [UInt8], attempt: Int) -> Span? {
    guard offset < bytes.count else { return nil }
    var start = offset
    var end = offset
    let first = bytes[offset]
    if first == 0x22 || first == 0x27 {  // a quoted key: replace what is between the quotes
      start = offset + 1
      end = start
      while end < bytes.count && bytes[end] != first && bytes[end] != 0x5C && bytes[end] != 0x0A { end += 1 }
      guard end < bytes.count, bytes[end] == first else { return nil }
    } else {
      if [0x5B, 0x7B, 0x3F, 0x26, 0x21, 0x2A, 0x7C, 0x3E].contains(first) { return nil }  // [ { ? & ! * | >
      while end < bytes.count {
        let b = bytes[end]
        if b == 0x0A || b == 0x0D || b == 0x2C || b == 0x7D || b == 0x5D { break }
        if b == 0x3A && (end + 1 >= bytes.count || [0x20, 0x09, 0x0A, 0x0D].contains(bytes[end + 1])) {
          break
        }
        end += 1
      }
      while end > start && (bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09) { end -= 1 }
    }
    let length = end - start
    guard length > 0 else { return nil }
    let digits = Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)
    var placeholder = [UInt8](repeating: 0x5F, count: length)  // `_`
    placeholder[0] = 0x7E  // `~`
    var k = attempt
    var i = length - 1
    while i >= 1 {
      placeholder[i] = digits[k % digits.count]
      k /= digits.count
      i -= 1
    }
    if length == 1 { placeholder[0] = digits[10 + attempt % 26] }
    bytes.replaceSubrange(start..<end, with: placeholder)
    return Span(offset, start == offset ? end : end + 1)
  }

  // MARK: - Conversion

  /// Converts a Yams node, computing spans; reports limits exceeded.
  mutating func convert(_ node: Node, depth: Int) -> YNode {
    let start = lines.offset(node.mark)
    let key = start * 3 + Self.kindIndex(node)
    if start < cursor, let (copy, size) = converted[key] {
      nodeCount += size
      if nodeCount <= Self.maxNodes { return copy }
    }
    cursor = max(cursor, start)
    let before = nodeCount
    nodeCount += 1
    if nodeCount > Self.maxNodes || depth > Self.maxDepth {
      if !limitReported {
        limitReported = true
        let message =
          depth > Self.maxDepth
          ? "YAML nested deeper than \(Self.maxDepth) levels"
          : "YAML document expands to more than \(Self.maxNodes) nodes"
        diagnostics.append(
          .error(
            YAMLCode.limitExceeded, message, at: Span(start, start + 1),
            help: depth > Self.maxDepth ? nil : "aliases (`*name`) copy what they refer to; use fewer of them"
          ))
      }
      return YNode(
        kind: .scalar(YScalar(value: "", style: .plain, tag: nil, contentStart: start)), span: .none)
    }
    let result = convertNode(node, start: start, depth: depth)
    if converted[key] == nil { converted[key] = (result, nodeCount - before) }
    return result
  }

  static func kindIndex(_ node: Node) -> Int {
    switch node {
    case .scalar, .alias: return 0
    case .sequence: return 1
    case .mapping: return 2
    }
  }

  mutating func convertNode(_ node: Node, start: Int, depth: Int) -> YNode {
    switch node {
    case .scalar(let s):
      return convertScalar(s, start: start)
    case .sequence(let seq):
      var items: [YNode] = []
      items.reserveCapacity(seq.count)
      for child in seq { items.append(convert(child, depth: depth + 1)) }
      let end = closingEnd(after: items.last?.span.end ?? start + 1, opener: start, closer: 0x5D)
      return YNode(kind: .sequence(items), span: Span(start, end))
    case .mapping(let map):
      var pairs: [YPair] = []
      pairs.reserveCapacity(map.count)
      for (k, v) in map {
        pairs.append(YPair(key: convert(k, depth: depth + 1), value: convert(v, depth: depth + 1)))
      }
      let last = pairs.last.map { max($0.key.span.end, $0.value.span.end) } ?? start + 1
      let end = closingEnd(after: last, opener: start, closer: 0x7D)
      return YNode(kind: .mapping(mergeKeys(resolveDuplicates(pairs))), span: Span(start, end))
    case .alias:
      // Yams resolves aliases while composing; an unresolved one never reaches us.
      return YNode(
        kind: .scalar(YScalar(value: "", style: .plain, tag: nil, contentStart: start)), span: .none)
    }
  }

  /// For a flow collection (`[…]`, `{…}`), the offset after its closing bracket; else `end`.
  func closingEnd(after end: Int, opener: Int, closer: UInt8) -> Int {
    let bytes = source.utf8
    guard opener < bytes.count, bytes[opener] == closer - 2 else { return end }  // `[`/`]`, `{`/`}`
    var p = max(end, opener + 1)
    while p < bytes.count, [0x20, 0x09, 0x0A, 0x0D, 0x2C].contains(bytes[p]) { p += 1 }
    return p < bytes.count && bytes[p] == closer ? p + 1 : end
  }

  mutating func convertScalar(_ s: Node.Scalar, start: Int) -> YNode {
    let style: ScalarStyle
    switch s.style {
    case .singleQuoted: style = .singleQuoted
    case .doubleQuoted: style = .doubleQuoted
    case .literal: style = .literal
    case .folded: style = .folded
    case .plain, .any: style = .plain
    }
    let text = ScalarText(bytes: source.utf8)
    let body = text.skipProperties(from: start)
    var contentStart = text.contentStart(style: style, body: body)
    let raw = s.tag.rawValue
    var tag: String?
    if !raw.isEmpty && raw != "!" && !(style != .plain && raw == Tag.Name.str.rawValue) { tag = raw }
    var value = s.string
    if let t = tag, !t.hasPrefix("tag:yaml.org,2002:") {
      diagnostics.append(
        .error(
          YAMLCode.invalidValue, "unsupported YAML tag `\(t)`", at: Span(start, max(start + 1, body)),
          help: "YAML reads a value starting with `!` as a tag; quote it: '!…'"))
      tag = nil
      if style == .plain {
        // Most likely CEL negation written unquoted: read the tag back as text, so that the
        // mistake is reported once instead of as an empty or odd value too.
        let written = String(decoding: source.utf8[start..<body], as: UTF8.self)
        value = written.trimmingCharacters(in: .whitespaces) + (value.isEmpty ? "" : " " + value)
        contentStart = start
      }
    }
    let scalar = YScalar(value: value, style: style, tag: tag, contentStart: contentStart)
    let end = text.end(of: scalar, start: start)
    return YNode(kind: .scalar(scalar), span: Span(start, end))
  }

  // MARK: - Keys

  /// Drops keys renamed to recover from duplicates, reporting the duplicate at the key that
  /// repeats it (or at the renamed key when no later one matches).
  mutating func resolveDuplicates(_ pairs: [YPair]) -> [YPair] {
    guard !renamed.isEmpty else { return pairs }
    var out: [YPair] = []
    var shadowed: [(name: String, span: Span)] = []
    for pair in pairs {
      if let r = renamed[pair.key.span.start], pair.key.scalar != nil {
        shadowed.append(r)
        continue
      }
      if let value = pair.key.scalar?.value, let k = shadowed.firstIndex(where: { $0.name == value }) {
        let first = source.location(of: shadowed[k].span.start)
        diagnostics.append(
          .error(
            YAMLCode.duplicateKey, "duplicate key `\(value)`", at: pair.key.span,
            help: "`\(value)` is first defined at line \(first.line); each key may appear once in a mapping"))
        shadowed.remove(at: k)
      }
      out.append(pair)
    }
    for s in shadowed {
      diagnostics.append(
        .error(
          YAMLCode.duplicateKey, "duplicate key `\(s.name)`", at: s.span,
          help: "each key may appear once in a mapping"))
    }
    return out
  }

  /// Expands merge keys (`<<: *defaults`): the merged mappings' entries take the place of the
  /// `<<` entry, except keys the mapping sets itself (YAML's merge key type).
  func mergeKeys(_ pairs: [YPair]) -> [YPair] {
    func isMerge(_ p: YPair) -> Bool {
      if let s = p.key.scalar, s.style == .plain, s.value == "<<" { return true }
      return false
    }
    guard pairs.contains(where: isMerge) else { return pairs }
    var taken = Set(pairs.filter { !isMerge($0) }.compactMap { $0.key.scalar?.value })
    var out: [YPair] = []
    for pair in pairs {
      guard isMerge(pair) else {
        out.append(pair)
        continue
      }
      var sources: [YNode] = []
      switch pair.value.kind {
      case .mapping: sources = [pair.value]
      case .sequence(let xs): sources = xs
      case .scalar:
        out.append(pair)  // not a merge; reported later as an unknown key
        continue
      }
      for case .mapping(let merged) in sources.map(\.kind) {
        for m in merged {
          guard let name = m.key.scalar?.value, !taken.contains(name) else { continue }
          taken.insert(name)
          out.append(m)
        }
      }
    }
    return out
  }
}
