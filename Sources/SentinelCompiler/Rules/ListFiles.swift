// Lists loaded from files at compile time. Formats:
//   (none) / `lines`  one entry per line; blank lines and lines starting with `#` are skipped
//   `csv`             the first column of a CSV file (RFC 4180 quoting)
//   `sdn`             OFAC's SDN CSV (sdn.csv): the name column (2nd), `-0-` marks empty fields

import Foundation

/// Reads list files.
enum ListFiles {
  /// The entries of a list file, nil when it cannot be read, `.failure` for an unknown format.
  static func read(_ path: String, relativeTo declaringFile: String, format: String?) -> Result<
    [String], ListFormatError
  >? {
    let base = URL(fileURLWithPath: declaringFile).deletingLastPathComponent()
    let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path)
    guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
    let text = String(decoding: data, as: UTF8.self)
    switch format ?? "lines" {
    case "lines":
      return .success(
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter {
          !$0.isEmpty && !$0.hasPrefix("#")
        })
    case "csv":
      return .success(csvRows(text).compactMap { $0.first }.filter { !$0.isEmpty })
    case "sdn":
      return .success(csvRows(text).compactMap { $0.count > 1 && $0[1] != "-0-" ? $0[1] : nil })
    case let f:
      return .failure(
        ListFormatError(message: "unknown list format `\(f)` (known: lines, csv, sdn, screening)"))
    }
  }

  /// Rows of a CSV text (quoted fields may hold commas, quotes as `""`, and newlines).
  static func csvRows(_ text: String) -> [[String]] {
    var rows: [[String]] = []
    var row: [String] = []
    var field = ""
    var quoted = false
    var it = text.unicodeScalars.makeIterator()
    var pending: Unicode.Scalar?
    while let c = pending ?? it.next() {
      pending = nil
      if quoted {
        if c == "\"" {
          if let n = it.next() {
            if n == "\"" {
              field.unicodeScalars.append("\"")
            } else {
              quoted = false
              pending = n
            }
          } else {
            quoted = false
          }
        } else {
          field.unicodeScalars.append(c)
        }
        continue
      }
      switch c {
      case "\"": quoted = true
      case ",":
        row.append(field.trimmingCharacters(in: .whitespaces))
        field = ""
      case "\n", "\r":
        if !field.isEmpty || !row.isEmpty {
          row.append(field.trimmingCharacters(in: .whitespaces))
          rows.append(row)
        }
        row = []
        field = ""
      case "\u{1A}": break  // DOS end-of-file marker (OFAC files end with one)
      default: field.unicodeScalars.append(c)
      }
    }
    if !field.isEmpty || !row.isEmpty {
      row.append(field.trimmingCharacters(in: .whitespaces))
      rows.append(row)
    }
    return rows
  }
}

/// An unknown list file format.
struct ListFormatError: Error {
  var message: String
}
