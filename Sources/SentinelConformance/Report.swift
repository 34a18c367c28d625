// Rendering a `ConformanceReport`: a table by file ending in the line `N passed, N failed, N skipped`,
// an optional failure listing (`--verbose`), and a JSON form (`--json`).

import Foundation

extension ConformanceReport {
  /// The final line of the text report, exactly `N passed, N failed, N skipped`.
  public var summaryLine: String {
    "\(all.passed) passed, \(all.failed) failed, \(all.skipped) skipped"
  }

  /// The text report: with `verbose`, first every failure (id, expression, expected and actual
  /// values, reason) and the skip reasons by count; then the table by file, the split into core,
  /// proto and ext, and last, alone on its line, `N passed, N failed, N skipped`.
  public func renderText(verbose: Bool = false) -> String {
    var out = ""
    if verbose {
      out += renderFailures()
      out += renderSkipReasons()
    }
    out += renderTable()
    out += renderCategories() + "\n"
    out += summaryLine + "\n"
    return out
  }

  /// The table by file: file, passed, failed, skipped, core passed/core total; a total row last.
  public func renderTable() -> String {
    let header = ["file", "passed", "failed", "skipped", "core"]
    var rows: [[String]] = files.map { f in
      [
        f.file, String(f.all.passed), String(f.all.failed), String(f.all.skipped),
        "\(f.core.passed)/\(f.core.total)",
      ]
    }
    rows.append([
      "total", String(all.passed), String(all.failed), String(all.skipped), "\(core.passed)/\(core.total)",
    ])
    var widths = header.map(\.count)
    for row in rows {
      for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
    }
    func line(_ cells: [String]) -> String {
      var parts: [String] = []
      for (i, cell) in cells.enumerated() {
        let padding = String(repeating: " ", count: widths[i] - cell.count)
        parts.append(i == 0 ? cell + padding : padding + cell)
      }
      return parts.joined(separator: "  ") + "\n"
    }
    var out = line(header)
    out += line(widths.map { String(repeating: "-", count: $0) })
    for row in rows.dropLast() { out += line(row) }
    out += line(widths.map { String(repeating: "-", count: $0) })
    if let last = rows.last { out += line(last) }
    return out
  }

  /// Three lines, for core, proto and ext: passed/total, failed, skipped (and the core pass rate).
  public func renderCategories() -> String {
    func part(_ name: String, _ t: ConformanceTally) -> String {
      let label = name + String(repeating: " ", count: 6 - name.count)
      return "\(label)\(t.passed)/\(t.total) passed, \(t.failed) failed, \(t.skipped) skipped"
    }
    let rate = String(format: "%.1f%%", corePassRate * 100)
    return part("core", core) + " (pass rate \(rate))\n" + part("proto", proto) + "\n" + part("ext", ext)
  }

  /// Every failure: id and category, expression, expected, actual and reason.
  public func renderFailures() -> String {
    var out = ""
    for r in failures {
      out += "FAIL \(r.id) [\(r.category.rawValue)]\n"
      out += field("expr", r.expr)
      out += field("expected", r.expected)
      out += field("actual", r.actual)
      out += field("reason", r.reason)
    }
    if !out.isEmpty { out += "\n" }
    return out
  }

  /// Skipped tests grouped by reason (up to the reason's first detail), most frequent first.
  public func renderSkipReasons() -> String {
    var counts: [String: Int] = [:]
    for r in results where r.status == .skipped {
      var key = r.reason
      for separator in [" (", ": "] {
        if let range = key.range(of: separator) { key = String(key[..<range.lowerBound]) }
      }
      counts[key, default: 0] += 1
    }
    guard !counts.isEmpty else { return "" }
    var out = "skipped:\n"
    for (reason, n) in counts.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }) {
      out += "  \(n)  \(reason)\n"
    }
    return out + "\n"
  }

  /// The report as JSON (snake_case keys, sorted, pretty-printed): `summary` (totals, the core,
  /// proto and ext tallies and `core_pass_rate`), `files`, and `results` (every result, or only
  /// the failed and skipped ones without `includePassed`).
  public func renderJSON(includePassed: Bool = true) throws -> String {
    let doc = JSONReport(
      summary: .init(
        passed: all.passed, failed: all.failed, skipped: all.skipped, total: all.total, core: core,
        proto: proto, ext: ext, corePassRate: corePassRate),
      files: files,
      results: includePassed ? results : results.filter { $0.status != .passed })
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    return String(decoding: try encoder.encode(doc), as: UTF8.self)
  }
}

private func field(_ name: String, _ text: String) -> String {
  let label = "  \(name):" + String(repeating: " ", count: max(1, 9 - name.count))
  let indent = String(repeating: " ", count: label.count)
  let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
  return label + lines.joined(separator: "\n" + indent) + "\n"
}

/// The JSON report's shape.
private struct JSONReport: Encodable {
  struct Summary: Encodable {
    var passed: Int
    var failed: Int
    var skipped: Int
    var total: Int
    var core: ConformanceTally
    var proto: ConformanceTally
    var ext: ConformanceTally
    var corePassRate: Double
  }
  var summary: Summary
  var files: [ConformanceFileSummary]
  var results: [ConformanceResult]
}
