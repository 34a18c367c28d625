// CEL text assembled from YAML — a `when:` string, or the translation of seed conditions and
// literal values — together with the file span each of its bytes stands for. `parse()` runs
// CELParser on the text and maps every span of the AST and of the diagnostics back into the
// YAML file, so the checker's and the compiler's messages point at the YAML that produced them.

import SentinelModel
import SentinelSyntax

/// CEL text with, for each byte, the span of the YAML text it comes from.
struct CELText {
  private(set) var bytes: [UInt8] = []
  /// The file span of each byte (`low[i]..<high[i]`).
  private var low: [Int] = []
  private var high: [Int] = []

  var isEmpty: Bool { bytes.isEmpty }
  var text: String { String(decoding: bytes, as: UTF8.self) }

  /// Appends generated text that stands for `span` as a whole.
  mutating func append(_ s: String, at span: Span) {
    for b in s.utf8 {
      bytes.append(b)
      low.append(span.start)
      high.append(span.end)
    }
  }

  /// Appends a scalar's value, each byte standing for its own position in the file.
  mutating func append(_ scalar: YScalar, offsets: [Int]) {
    var i = 0
    for b in scalar.value.utf8 {
      let at = i < offsets.count ? offsets[i] : (offsets.last ?? 0)
      bytes.append(b)
      low.append(at)
      high.append(at + 1)
      i += 1
    }
  }

  /// Appends another text with its spans.
  mutating func append(_ other: CELText) {
    bytes += other.bytes
    low += other.low
    high += other.high
  }

  /// The smallest file span covering the bytes `span` covers in this text; an empty span maps
  /// to an empty span at the corresponding position.
  func fileSpan(of span: Span, fallback: Span) -> Span {
    let n = bytes.count
    guard n > 0 else { return fallback }
    let a = min(max(span.start, 0), n)
    let b = min(max(span.end, a), n)
    if a == b {
      let at = a < n ? low[a] : high[n - 1]
      return Span(at, at)
    }
    var lo = Int.max
    var hi = Int.min
    for i in a..<b {
      lo = min(lo, low[i])
      hi = max(hi, high[i])
    }
    return Span(lo, hi)
  }

  /// Parses the text as CEL. The AST's spans and the diagnostics point into `file`; the AST's
  /// source is `file`. `whole` is the span of the YAML the expression comes from.
  func parse(in file: Source, whole: Span) -> (EmbeddedExpression?, [Diagnostic]) {
    let generated = Source(name: file.name, text: text)
    let (ast, diagnostics) = CELParser.parse(generated)
    let mapped = diagnostics.map { d -> Diagnostic in
      var d = d
      d.span = fileSpan(of: d.span, fallback: whole)
      return d
    }
    guard let ast else { return (nil, mapped) }
    var spans: [ExprID: Span] = [:]
    spans.reserveCapacity(ast.spans.count)
    for (id, span) in ast.spans { spans[id] = fileSpan(of: span, fallback: whole) }
    let fileAST = AST(root: ast.root, source: file, spans: spans, maxID: ast.maxID)
    return (EmbeddedExpression(text: generated.text, span: whole, ast: fileAST), mapped)
  }
}

/// CEL literal syntax for YAML values.
enum CELLiteral {
  /// A CEL string literal for `s`: double-quoted, with `\\`, `\"`, `\n`, `\r`, `\t` and
  /// `\uXXXX` for other control and line-separator characters.
  static func string(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
      switch u {
      case "\\": out += "\\\\"
      case "\"": out += "\\\""
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        let v = u.value
        if v < 0x20 || (v >= 0x7F && v <= 0x9F) || v == 0x2028 || v == 0x2029 {
          let hex = String(v, radix: 16, uppercase: true)
          out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
          out.unicodeScalars.append(u)
        }
      }
    }
    return out + "\""
  }

  /// A CEL double literal: always with a fraction or an exponent, so it never reads as an int;
  /// infinities and NaN, which have no literal, as `double("…")`.
  static func double(_ d: Double) -> String {
    if d.isNaN { return "double(\"NaN\")" }
    if d.isInfinite { return d < 0 ? "double(\"-Infinity\")" : "double(\"Infinity\")" }
    let s = "\(d)"
    return s.contains(".") || s.contains("e") ? s : s + ".0"
  }

  /// The literal for a typed scalar, or nil for `.invalid`.
  static func scalar(_ v: YValue) -> String? {
    switch v {
    case .null: return "null"
    case .bool(let b): return b ? "true" : "false"
    case .int(let i): return String(i)
    case .double(let d): return double(d)
    case .string(let s): return string(s)
    case .invalid: return nil
    }
  }
}
