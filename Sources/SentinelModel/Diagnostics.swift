// Source text, spans and diagnostics shared by every front end and checker.
// Diagnostics follow swiftc/rustc: `file:line:col: error[CODE]: message`, the source line,
// a caret under the offending text, and an optional `help:`.

/// A half-open range of UTF-8 byte offsets into a `Source`.
public struct Span: Sendable, Hashable {
  public var start: Int
  public var end: Int
  public init(_ start: Int, _ end: Int) {
    self.start = start
    self.end = end
  }
  public static let none = Span(0, 0)
  /// The smallest span covering both.
  public func union(_ other: Span) -> Span { Span(min(start, other.start), max(end, other.end)) }
}

/// A source text with its name, and line starts for `line:col` lookups.
public struct Source: Sendable {
  public let name: String
  public let text: String
  public let utf8: [UInt8]
  /// Byte offset at which each line begins.
  public let lineStarts: [Int]

  public init(name: String = "<input>", text: String) {
    self.name = name
    self.text = text
    self.utf8 = Array(text.utf8)
    var starts = [0]
    for (i, b) in utf8.enumerated() where b == 10 { starts.append(i + 1) }
    lineStarts = starts
  }

  /// 1-based line and column (in characters) of a byte offset.
  public func location(of offset: Int) -> (line: Int, column: Int) {
    var lo = 0
    var hi = lineStarts.count - 1
    while lo < hi {
      let mid = (lo + hi + 1) / 2
      if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
    }
    let start = lineStarts[lo]
    let end = min(max(offset, start), utf8.count)
    let col = String(decoding: utf8[start..<end], as: UTF8.self).count + 1
    return (lo + 1, col)
  }

  /// The text of a 1-based line, without its newline.
  public func line(_ n: Int) -> String {
    guard n >= 1 && n <= lineStarts.count else { return "" }
    let start = lineStarts[n - 1]
    var end = n < lineStarts.count ? lineStarts[n] - 1 : utf8.count
    if end > start && end <= utf8.count && end - 1 >= start && utf8[end - 1] == 13 { end -= 1 }
    return String(decoding: utf8[start..<max(start, end)], as: UTF8.self)
  }
}

/// How serious a diagnostic is.
public enum Severity: String, Sendable, Hashable {
  case error
  case warning
  case note
}

/// A diagnostic: stable code, one-line lowercase message, the span it is about, optional help.
public struct Diagnostic: Sendable, Hashable, Error, CustomStringConvertible {
  public var severity: Severity
  /// A stable code such as `E0101`; documented in docs/diagnostics.md.
  public var code: String
  public var message: String
  public var span: Span
  public var help: String?

  public init(_ severity: Severity, _ code: String, _ message: String, at span: Span, help: String? = nil) {
    self.severity = severity
    self.code = code
    self.message = message
    self.span = span
    self.help = help
  }

  public static func error(_ code: String, _ message: String, at span: Span, help: String? = nil)
    -> Diagnostic
  {
    Diagnostic(.error, code, message, at: span, help: help)
  }

  public var description: String { "\(severity.rawValue)[\(code)]: \(message)" }

  /// Renders `file:line:col: error[CODE]: message`, the source line and a caret line.
  public func render(in source: Source) -> String {
    let (line, col) = source.location(of: span.start)
    var out = "\(source.name):\(line):\(col): \(severity.rawValue)[\(code)]: \(message)\n"
    let text = source.line(line)
    let gutter = String(line)
    out += "\(String(repeating: " ", count: gutter.count)) |\n"
    out += "\(gutter) | \(text)\n"
    let (endLine, endCol) = source.location(of: max(span.start, span.end))
    let width = endLine == line ? max(1, endCol - col) : max(1, text.count - col + 1)
    out +=
      "\(String(repeating: " ", count: gutter.count)) | \(String(repeating: " ", count: col - 1))\(String(repeating: "^", count: width))\n"
    if let help { out += "\(String(repeating: " ", count: gutter.count)) = help: \(help)\n" }
    return out
  }
}

extension Array where Element == Diagnostic {
  /// Whether any diagnostic is an error.
  public var hasErrors: Bool { contains { $0.severity == .error } }
}
