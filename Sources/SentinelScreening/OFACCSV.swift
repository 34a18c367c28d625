// OFAC's CSV as published: comma-separated, `"`-quoted (a doubled `""` inside quotes is a quote),
// CRLF or LF line ends, `-0- ` for an empty field, and a DOS end-of-file byte (0x1A) at the end.
// Input is UTF-8; bytes that are not valid UTF-8 are read as Windows-1252/Latin-1 (older OFAC files).

/// One CSV record and the line it starts on.
public struct CSVRecord: Sendable, Hashable {
  /// 1-based line number of the record's first character.
  public var line: Int
  /// Fields, unquoted; OFAC's `-0-` empty marker is returned as the empty string.
  public var fields: [String]
}

/// A streaming reader of OFAC-style CSV records.
public enum OFACCSV {
  /// Parses `bytes` into records; an unterminated quote is reported and ends the record at end of input.
  public static func records(_ bytes: [UInt8], file: String) -> (records: [CSVRecord], issues: [LoadIssue]) {
    var records: [CSVRecord] = []
    var issues: [LoadIssue] = []
    var fields: [String] = []
    var field: [UInt8] = []
    var line = 1
    var recordLine = 1
    var inQuotes = false
    var quoted = false
    var i = 0
    let n = bytes.count

    func finishField() {
      fields.append(decodeField(field, quoted: quoted))
      field.removeAll(keepingCapacity: true)
      quoted = false
    }
    func finishRecord() {
      finishField()
      // A blank line is not a record.
      if !(fields.count == 1 && fields[0].isEmpty) {
        records.append(CSVRecord(line: recordLine, fields: fields))
      }
      fields.removeAll(keepingCapacity: true)
    }

    while i < n {
      let b = bytes[i]
      if inQuotes {
        if b == UInt8(ascii: "\"") {
          if i + 1 < n, bytes[i + 1] == UInt8(ascii: "\"") {
            field.append(b)
            i += 2
            continue
          }
          inQuotes = false
        } else {
          if b == 10 { line += 1 }
          field.append(b)
        }
        i += 1
        continue
      }
      switch b {
      case UInt8(ascii: "\""):
        // A quote opens a quoted field only at its start (OFAC writes `,"…"`); elsewhere it is text.
        if field.allSatisfy({ $0 == 32 }) {
          field.removeAll(keepingCapacity: true)
          inQuotes = true
          quoted = true
        } else {
          field.append(b)
        }
      case UInt8(ascii: ","):
        finishField()
      case 13 where i + 1 < n && bytes[i + 1] == 10:
        break
      case 10:
        finishRecord()
        line += 1
        recordLine = line
      case 0x1A:
        // DOS end-of-file: the rest is not data.
        i = n
        continue
      default:
        field.append(b)
      }
      i += 1
    }
    if inQuotes {
      issues.append(LoadIssue(file: file, line: recordLine, message: "unterminated quoted field"))
    }
    if !field.isEmpty || !fields.isEmpty || quoted { finishRecord() }
    return (records, issues)
  }

  /// Field text: surrounding spaces of an unquoted field dropped, `-0-` → "".
  static func decodeField(_ raw: [UInt8], quoted: Bool) -> String {
    var lo = 0
    var hi = raw.count
    if !quoted {
      while lo < hi, raw[lo] == 32 { lo += 1 }
      while hi > lo, raw[hi - 1] == 32 { hi -= 1 }
    }
    let isEmptyMarker =
      hi - lo >= 3 && raw[lo] == 45 && raw[lo + 1] == 48 && raw[lo + 2] == 45
      && raw[(lo + 3)..<hi].allSatisfy { $0 == 32 }
    if isEmptyMarker { return "" }
    return decodeText(Array(raw[lo..<hi]))
  }

  /// UTF-8 if valid, else Windows-1252 read as Latin-1.
  static func decodeText(_ raw: [UInt8]) -> String {
    if let s = String(validating: raw, as: UTF8.self) { return s }
    var out = String.UnicodeScalarView()
    for b in raw { out.append(Unicode.Scalar(b)) }
    return String(out)
  }
}

extension String {
  /// The string without leading and trailing spaces.
  var trimmingSpaces: String {
    let u = Array(utf8)
    var lo = 0
    var hi = u.count
    while lo < hi, u[lo] == 32 { lo += 1 }
    while hi > lo, u[hi - 1] == 32 { hi -= 1 }
    return lo == 0 && hi == u.count ? self : String(decoding: u[lo..<hi], as: UTF8.self)
  }
}
