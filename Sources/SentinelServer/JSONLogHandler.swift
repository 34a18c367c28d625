// Structured logs: one JSON object per line on standard error —
//   {"ts":"2026-12-05T22:40:01.123Z","level":"info","logger":"sentinel","msg":"request",
//    "request_id":"…","method":"POST","route":"/v1/decisions","status":"200","duration_us":"812"}
// Every message and metadata value goes through `LogRedaction` first: bearer tokens and
// anything that looks like a card number (13–19 digits) never reach the log, whatever a caller
// passes in.

public import Foundation
public import Logging
import SentinelModel

/// A swift-log handler writing JSON lines.
public struct JSONLogHandler: LogHandler {
  /// The logger's label (the `logger` field).
  public let label: String
  /// The minimum level written.
  public var logLevel: Logger.Level
  /// Metadata added to every line of this logger.
  public var metadata: Logger.Metadata = [:]
  let write: @Sendable (String) -> Void

  /// A handler for `label` at `level` writing lines with `write` (standard error by default).
  public init(
    label: String, level: Logger.Level = .info,
    write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }
  ) {
    self.label = label
    self.logLevel = level
    self.write = write
  }

  /// Metadata of this logger by key.
  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  /// Writes one line (an error passed with the event becomes the `error` field, unless the
  /// metadata names one).
  public func log(event: LogEvent) {
    let ts = Date().formatted(Self.timestampStyle)
    var line = "{\"ts\":\"\(ts)\",\"level\":\"\(event.level.rawValue)\""
    let message = LogRedaction.scrub(event.message.description)
    line += ",\"logger\":\(Self.quote(label)),\"msg\":\(Self.quote(message))"
    var fields = metadata
    if let explicit = event.metadata { fields.merge(explicit) { $1 } }
    if let error = event.error, fields["error"] == nil { fields["error"] = "\(error)" }
    for key in fields.keys.sorted() where !["ts", "level", "logger", "msg"].contains(key) {
      guard let value = fields[key] else { continue }
      line += ",\(Self.quote(key)):\(Self.quote(LogRedaction.scrub(key: key, "\(value)")))"
    }
    line += "}\n"
    write(line)
  }

  static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

  /// `s` as a JSON string literal (the one JSON quoting of the project, `JSONWriter`).
  static func quote(_ s: String) -> String { JSONWriter.quote(s) }
}

/// What must never be logged, removed from text before it is written.
public enum LogRedaction {
  /// Metadata keys whose values are secrets: always replaced.
  static let secretKeys: Set<String> = ["authorization", "api_key", "apikey", "key", "token", "password"]

  /// `value` with secrets removed; the whole value when `key` names a secret.
  public static func scrub(key: String, _ value: String) -> String {
    secretKeys.contains(key.lowercased()) ? "[redacted]" : scrub(value)
  }

  /// `text` with `Bearer …` tokens replaced by `Bearer [redacted]` and every run of 13–19
  /// digits (a card number, possibly) masked to its first 6 and last 4 digits.
  public static func scrub(_ text: String) -> String {
    // Fast path: most lines have neither a long digit run nor the word bearer.
    var run = 0
    var suspicious = false
    for b in text.utf8 {
      if b >= 0x30 && b <= 0x39 {
        run += 1
        if run >= 13 { suspicious = true }
      } else {
        run = 0
        if b == UInt8(ascii: "b") || b == UInt8(ascii: "B") { suspicious = true }
      }
    }
    guard suspicious else { return text }
    return maskCardNumbers(redactBearer(text))
  }

  static func redactBearer(_ text: String) -> String {
    var out = ""
    var rest = Substring(text)
    while let r = rest.range(of: "bearer ", options: .caseInsensitive) {
      out += rest[..<r.upperBound]
      out += "[redacted]"
      rest = rest[r.upperBound...].drop { !($0 == " " || $0 == "\"" || $0 == "," || $0 == "\n") }
    }
    return out + rest
  }

  static func maskCardNumbers(_ text: String) -> String {
    var out = ""
    var digits = ""
    func flush() {
      if (13...19).contains(digits.count) {
        out += digits.prefix(6) + String(repeating: "*", count: digits.count - 10) + digits.suffix(4)
      } else {
        out += digits
      }
      digits = ""
    }
    for c in text {
      if c.isASCII && c.isNumber {
        digits.append(c)
      } else {
        flush()
        out.append(c)
      }
    }
    flush()
    return out
  }
}
