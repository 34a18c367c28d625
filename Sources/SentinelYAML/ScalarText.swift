// Where a scalar's characters are in the file, and what a plain scalar means.
//
// Yams gives a scalar's value and the mark of its first character, not its end nor where each
// character of the value came from. We align the value with the text, byte by byte: a value
// byte either equals the next text byte or the text byte is one YAML removed (indentation, a
// folded line break, a quote or an escape's backslash). That is exact for plain scalars, for
// quoted scalars without escapes and for literal block scalars — the forms conditions are
// written in — and monotone everywhere; after an escape such as `\t` or `\u00e9` the rest of
// the value maps to the position reached (an approximation, documented in docs/yaml.md).

import SentinelModel
import Yams

/// Alignment of scalar values with the bytes of a YAML text.
struct ScalarText {
  let bytes: [UInt8]

  /// The offset after a node's properties (`!tag`, `&anchor`) and the blanks after them.
  func skipProperties(from start: Int) -> Int {
    var p = start
    while p < bytes.count && (bytes[p] == 0x21 || bytes[p] == 0x26) {  // `!` or `&`
      while p < bytes.count && !Self.isBlank(bytes[p]) && bytes[p] != 0x0A && bytes[p] != 0x0D { p += 1 }
      while p < bytes.count && Self.isBlank(bytes[p]) { p += 1 }
    }
    return p
  }

  /// Where the content of a scalar written in `style` begins, given where its body begins
  /// (its first character after properties).
  func contentStart(style: ScalarStyle, body: Int) -> Int {
    switch style {
    case .plain: return body
    case .singleQuoted, .doubleQuoted: return min(body + 1, bytes.count)
    case .literal, .folded:
      // The content starts on the line after the indicator (`|`, `>-`, `|2`, a comment…).
      var p = body
      while p < bytes.count && bytes[p] != 0x0A && bytes[p] != 0x0D { p += 1 }
      if p < bytes.count && bytes[p] == 0x0D { p += 1 }
      if p < bytes.count && bytes[p] == 0x0A { p += 1 }
      return p
    }
  }

  /// The file offset of each byte of the scalar's value, plus one entry for its end.
  func offsets(of scalar: YScalar) -> [Int] {
    var out: [Int] = []
    out.reserveCapacity(scalar.value.utf8.count + 1)
    let end = align(scalar) { out.append($0) }
    out.append(end)
    return out
  }

  /// The offset just after a scalar's text (its closing quote included).
  func end(of scalar: YScalar, start: Int) -> Int {
    let end = align(scalar) { _ in }
    switch scalar.style {
    case .singleQuoted, .doubleQuoted:
      let quote: UInt8 = scalar.style == .singleQuoted ? 0x27 : 0x22
      // After an exact alignment the closing quote comes next; after an approximate one, look
      // for it further on the line.
      var p = end
      while p < bytes.count && bytes[p] != quote && bytes[p] != 0x0A {
        p += bytes[p] == 0x5C && scalar.style == .doubleQuoted ? 2 : 1
      }
      return p < bytes.count && bytes[p] == quote ? p + 1 : max(end, start + 1)
    case .plain, .literal, .folded:
      return max(end, start)
    }
  }

  /// Aligns the value with the text from the scalar's content start, passing each value byte's
  /// offset to `emit`; returns the offset after the last aligned byte.
  private func align(_ scalar: YScalar, _ emit: (Int) -> Void) -> Int {
    var p = scalar.contentStart
    var aligned = true
    var last = p
    for b in scalar.value.utf8 {
      if aligned {
        while p < bytes.count && bytes[p] != b && Self.isRemovable(bytes[p], style: scalar.style) {
          // A lone CR is a line break that the value holds as LF.
          if b == 0x0A && bytes[p] == 0x0D && (p + 1 >= bytes.count || bytes[p + 1] != 0x0A) { break }
          p += 1
        }
        if p < bytes.count && (bytes[p] == b || (b == 0x0A && bytes[p] == 0x0D)) {
          emit(p)
          p += 1
          last = p
          continue
        }
        aligned = false
      }
      emit(min(last, bytes.count))
    }
    return last
  }

  /// Whether YAML may drop this text byte from a scalar's value in `style`.
  static func isRemovable(_ b: UInt8, style: ScalarStyle) -> Bool {
    switch b {
    case 0x20, 0x09, 0x0A, 0x0D: return true
    case 0x5C: return style == .doubleQuoted  // an escape's backslash, or an escaped line break
    case 0x27: return style == .singleQuoted  // the first quote of `''`
    default: return false
    }
  }

  static func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
}

/// The meaning of a scalar under YAML 1.2's core schema.
enum YValue: Sendable {
  case null
  case bool(Bool)
  case int(Int64)
  case double(Double)
  case string(String)
  /// A number YAML accepts but that does not fit (`99999999999999999999`).
  case invalid(String)
}

extension YScalar {
  /// The value under YAML 1.2's core schema: quoted scalars are strings; plain `true`/`false`,
  /// integers, floats and `null`/`~`/empty are typed; everything else — including YAML 1.1's
  /// `yes`, `no`, `on`, `off` — is a string. Explicit core tags (`!!str 5`) win.
  var typed: YValue {
    if let tag {
      switch tag {
      case Tag.Name.str.rawValue: return .string(value)
      case Tag.Name.int.rawValue: return Self.integer(value) ?? .invalid("`\(value)` is not an integer")
      case Tag.Name.float.rawValue:
        if case .int(let i)? = Self.integer(value) { return .double(Double(i)) }
        return Self.float(value).map { .double($0) } ?? .invalid("`\(value)` is not a number")
      case Tag.Name.bool.rawValue:
        return Self.boolean(value).map { .bool($0) } ?? .invalid("`\(value)` is not a boolean")
      case Tag.Name.null.rawValue: return .null
      default: break
      }
    }
    guard style == .plain else { return .string(value) }
    if value.isEmpty || value == "~" || value == "null" || value == "Null" || value == "NULL" { return .null }
    if let b = Self.boolean(value) { return .bool(b) }
    if let i = Self.integer(value) { return i }
    if let d = Self.float(value) { return .double(d) }
    return .string(value)
  }

  /// Whether the scalar is written as a plain YAML 1.1 boolean that YAML 1.2 reads as a string.
  var isYAML11Boolean: Bool {
    style == .plain
      && ["yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF"].contains(value)
  }

  static func boolean(_ s: String) -> Bool? {
    switch s {
    case "true", "True", "TRUE": return true
    case "false", "False", "FALSE": return false
    default: return nil
    }
  }

  /// `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`; `.invalid` when out of range; nil otherwise.
  static func integer(_ s: String) -> YValue? {
    let u = Array(s.utf8)
    func digits(_ from: Int, _ ok: (UInt8) -> Bool) -> Bool { from < u.count && u[from...].allSatisfy(ok) }
    let isDecimal: (UInt8) -> Bool = { $0 >= 0x30 && $0 <= 0x39 }
    if u.count > 2 && u[0] == 0x30 && u[1] == 0x6F {  // 0o
      guard digits(2, { $0 >= 0x30 && $0 <= 0x37 }) else { return nil }
      return Int64(String(decoding: u[2...], as: UTF8.self), radix: 8).map { .int($0) } ?? outOfRange(s)
    }
    if u.count > 2 && u[0] == 0x30 && u[1] == 0x78 {  // 0x
      let hex: (UInt8) -> Bool = { isDecimal($0) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) }
      guard digits(2, hex) else { return nil }
      return Int64(String(decoding: u[2...], as: UTF8.self), radix: 16).map { .int($0) } ?? outOfRange(s)
    }
    let sign = u.first == 0x2B || u.first == 0x2D ? 1 : 0
    guard digits(sign, isDecimal) else { return nil }
    return Int64(s).map { .int($0) } ?? outOfRange(s)
  }

  private static func outOfRange(_ s: String) -> YValue {
    .invalid("integer `\(s)` does not fit in 64 bits")
  }

  /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, `[-+]?.inf`, `.nan` (any of the
  /// three spellings YAML allows).
  static func float(_ s: String) -> Double? {
    let u = Array(s.utf8)
    var i = 0
    var negative = false
    if i < u.count && (u[i] == 0x2B || u[i] == 0x2D) {
      negative = u[i] == 0x2D
      i += 1
    }
    let rest = String(decoding: u[i...], as: UTF8.self)
    if [".inf", ".Inf", ".INF"].contains(rest) { return negative ? -Double.infinity : Double.infinity }
    if i == 0 && [".nan", ".NaN", ".NAN"].contains(rest) { return Double.nan }
    func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    var intDigits = 0
    while i < u.count && isDigit(u[i]) {
      i += 1
      intDigits += 1
    }
    var fracDigits = 0
    if i < u.count && u[i] == 0x2E {
      i += 1
      while i < u.count && isDigit(u[i]) {
        i += 1
        fracDigits += 1
      }
    }
    guard intDigits > 0 || fracDigits > 0 else { return nil }
    if i < u.count && (u[i] == 0x65 || u[i] == 0x45) {
      i += 1
      if i < u.count && (u[i] == 0x2B || u[i] == 0x2D) { i += 1 }
      var expDigits = 0
      while i < u.count && isDigit(u[i]) {
        i += 1
        expDigits += 1
      }
      guard expDigits > 0 else { return nil }
    }
    guard i == u.count, let d = Double(s) else { return nil }
    return d
  }
}

/// Diagnostics for YAML that does not parse.
enum YAMLSyntaxError {
  /// The diagnostic for an error Yams threw while composing.
  static func diagnostic(for error: Error, source: Source, lines: LineTable) -> Diagnostic {
    guard let error = error as? YamlError else {
      return .error(YAMLCode.syntax, "invalid YAML: \(oneLine("\(error)"))", at: .none)
    }
    var problem: String
    var context: YamlError.Context?
    var offset: Int
    switch error {
    case .scanner(let c, let p, let mark, _), .parser(let c, let p, let mark, _),
      .composer(let c, let p, let mark, _):
      problem = p
      context = c
      offset = lines.offset(mark)
    case .reader(let p, let characterOffset, _, _):
      problem = p
      offset = source.utf8.count
      if let characterOffset,
        let index = source.text.index(
          source.text.startIndex, offsetBy: characterOffset, limitedBy: source.text.endIndex)
      {
        offset = source.text.utf8.distance(from: source.text.utf8.startIndex, to: index)
      }
    default:
      problem = "\(error)"
      offset = 0
    }
    problem = oneLine(problem)
    offset = min(max(offset, 0), source.utf8.count)
    let width = offset < source.utf8.count ? LineTable.sequenceLength(source.utf8[offset]) : 0
    let span = Span(offset, min(offset + width, source.utf8.count))
    if problem.contains("nesting level") {
      return .error(YAMLCode.limitExceeded, "YAML nested too deeply", at: span)
    }
    var message = "invalid YAML: \(problem)"
    var help: String?
    var contextText = ""
    if let context {
      let what = oneLine(context.text)
      contextText = what
      // Composer errors read "<context> but <problem>".
      message = problem.hasPrefix("but ") ? "invalid YAML: \(what) \(problem)" : message + " (\(what))"
      let here = source.location(of: offset)
      let there = source.location(of: lines.offset(context.mark))
      if there.line != here.line || there.column != here.column {
        help =
          "\(what.replacingOccurrences(of: "while ", with: "")) that starts at line \(there.line), column \(there.column)"
      }
    }
    if let hint = hint(problem: problem, context: contextText, at: offset, bytes: source.utf8) { help = hint }
    return .error(YAMLCode.syntax, message, at: span, help: help)
  }

  /// Advice for the YAML mistakes rule authors make most.
  static func hint(problem: String, context: String, at offset: Int, bytes: [UInt8]) -> String? {
    let byte = offset < bytes.count ? bytes[offset] : 0
    if context.contains("anchor") || context.contains("alias") || context.contains("tag") {
      return "YAML reads `!`, `&` and `*` at the start of a word as a tag, an anchor or an alias; "
        + "quote a CEL expression that starts with `!`: when: '!event.success && …'"
    }
    if problem.contains("cannot start any token") {
      if byte == 0x09 { return "indent with spaces; YAML does not allow tabs in indentation" }
    }
    if problem.contains("tab character") {
      return "indent with spaces; YAML does not allow tabs in indentation"
    }
    if problem.contains("cannot start any token") {
      if byte == 0x60 || byte == 0x40 {
        return "a value cannot start with `\(Character(Unicode.Scalar(byte)))`; quote it"
      }
    }
    if problem.contains("mapping values are not allowed") {
      return "a value that contains `: ` must be quoted, e.g. when: 'a: b'"
    }
    if problem.contains("did not find expected key") || problem.contains("did not find expected '-'") {
      return "check the indentation of this line against the lines above"
    }
    if problem.contains("found undefined alias") {
      return "define the anchor (`&name`) before using it (`*name`)"
    }
    if problem.contains("but found another document") {
      return "a rule file holds one YAML document; remove the extra `---`"
    }
    return nil
  }

  private static func oneLine(_ s: String) -> String {
    s.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).joined(separator: " ")
      .trimmingCharacters(in: .whitespaces)
  }
}
