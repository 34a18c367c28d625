// `sentinel screen`: screen names against a sanctions list (OFAC SDN layout), or run the
// screening benchmark.

import ArgumentParser
import Foundation
import SentinelModel
import SentinelScreening

/// Screens names against a sanctions list.
public struct ScreenCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "screen",
    abstract: "Screen names against a sanctions list (OFAC SDN CSV) with fuzzy name matching.",
    discussion: """
      Each NAME (or each line `{"query": "…"}` of --queries) is normalized (case, diacritics, \
      compatibility forms, homoglyphs, invisible characters, punctuation, Arabic articles, titles \
      and legal forms), compared word by word with every name and alias of the list entries that \
      share a similar word (an index: trigram, phonetic and OCR keys), and scored in [0, 1]. Entries \
      scoring at or above the threshold are printed, best first. docs/screening.md explains the \
      score, the threshold and the explanation fields.

      The list is read as OFAC publishes it: sdn.csv (quoted CSV, `-0-` for empty fields, aliases \
      in the remarks as `a.k.a. 'NAME'`, a DOS end-of-file byte), with alt.csv (aliases) and \
      add.csv (addresses) optional. Bad lines are reported on standard error as \
      `file:line: warning: …` and skipped; the rest of the list is used.

      Output, one line per query: text by default, or with --json
        {"query":"…","matches":[{"id":ENT_NUM,"name":"PRIMARY NAME",
          "score":0.97,"matched_name":"ALIAS OR PRIMARY",
          "matched_kind":"primary|aka|fka|nka","query_coverage":1.0,
          "list_coverage":0.9,"truncated":false,
          "pairs":[{"query":"…","list":"…","similarity":0.95,"reason":"ocr"}],
          "unmatched_query":[…],"unmatched_list":[…]}]}

      --benchmark FILE runs a screening benchmark (sanctions-screening-benchmark JSON) against the \
      benchmark's own candidate pool and, with --list, against the full list, and prints recall per \
      variation class, the false-positive rate on the negatives and queries per second.

      Exit status: 0 on success (1 with --fail-on-match when any query matched), 2 on bad input.

      Examples:
        sentinel screen --list sdn.csv "Banco Nacional de Cuba"
        sentinel screen --list sdn.csv --json --threshold 0.9 "ZAM8ADA NIEBLA, Maria"
        sentinel screen --list sdn.csv --queries names.jsonl --json
        sentinel screen --list sdn.csv --benchmark screening-benchmark.json
      """)

  @Option(name: .long, help: ArgumentHelp("The list: OFAC's sdn.csv layout.", valueName: "FILE"))
  var list: String?

  @Option(name: .long, help: ArgumentHelp("OFAC alias file (alt.csv layout) for --list.", valueName: "FILE"))
  var alt: String?

  @Option(
    name: .long, help: ArgumentHelp("OFAC address file (add.csv layout) for --list.", valueName: "FILE"))
  var add: String?

  @Option(help: ArgumentHelp("Report matches scoring at least this (0…1).", valueName: "X"))
  var threshold: Double = defaultScreeningThreshold

  @Option(help: "At most this many matches per query.")
  var limit: Int = 10

  @Flag(help: "One JSON object per query and line.")
  var json = false

  @Option(help: ArgumentHelp("Read queries from a JSON-lines file of {\"query\": \"…\"}.", valueName: "FILE"))
  var queries: String?

  @Option(help: ArgumentHelp("Run a screening benchmark file and print its report.", valueName: "FILE"))
  var benchmark: String?

  @Flag(help: "Score every list name instead of using the index (slow; for comparison).")
  var exhaustive = false

  @Flag(help: "Exit with status 1 when any query matched.")
  var failOnMatch = false

  @Argument(help: "Names to screen.")
  var names: [String] = []

  public init() {}

  public func validate() throws {
    guard (0...1).contains(threshold) else { throw ValidationError("--threshold must be in 0…1") }
    guard limit > 0 else { throw ValidationError("--limit must be positive") }
    if benchmark == nil, list == nil { throw ValidationError("--list FILE is required") }
    if benchmark == nil, names.isEmpty, queries == nil {
      throw ValidationError("give NAMEs or --queries FILE")
    }
  }

  public func run() throws {
    let index: ScreeningIndex?
    if let path = list {
      let loaded: LoadedList
      do {
        loaded = try SanctionsLoader.load(path: path, alt: alt, add: add)
      } catch {
        FileStream.standardError.write("error: \(error)\n")
        throw ExitCode(2)
      }
      for issue in loaded.issues.prefix(50) { FileStream.standardError.write("\(issue)\n") }
      if loaded.issues.count > 50 {
        FileStream.standardError.write("… and \(loaded.issues.count - 50) more warnings\n")
      }
      index = ScreeningIndex(list: loaded.list)
    } else {
      index = nil
    }
    if let path = benchmark {
      try runBenchmark(path, index: index)
      return
    }
    guard let index else { throw ExitCode(2) }
    let screener = Screener(index: index, threshold: threshold)
    var anyMatch = false
    func screenOne(_ q: String) {
      let matches =
        exhaustive ? screener.screenExhaustively(q, limit: limit) : screener.screen(q, limit: limit)
      anyMatch = anyMatch || !matches.isEmpty
      print(json ? Self.jsonLine(query: q, matches: matches) : Self.textLines(query: q, matches: matches))
    }
    for n in names { screenOne(n) }
    if let path = queries {
      guard let data = FileManager.default.contents(atPath: path) else {
        FileStream.standardError.write("error: cannot read `\(path)`\n")
        throw ExitCode(2)
      }
      var bad = false
      for (k, line) in String(decoding: data, as: UTF8.self).split(
        separator: "\n", omittingEmptySubsequences: false
      )
      .enumerated() {
        let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { continue }
        guard case .map(let m)? = try? JSONReader.parse(text), case .string(let q)? = m[string: "query"]
        else {
          FileStream.standardError.write("\(path):\(k + 1): error: expected {\"query\": \"…\"}\n")
          bad = true
          continue
        }
        screenOne(q)
      }
      if bad { throw ExitCode(2) }
    }
    if failOnMatch && anyMatch { throw ExitCode(1) }
  }

  func runBenchmark(_ path: String, index: ScreeningIndex?) throws {
    let b: ScreeningBenchmark
    do {
      b = try ScreeningBenchmark.load(path: path)
    } catch {
      FileStream.standardError.write("error: \(error)\n")
      throw ExitCode(2)
    }
    print("## Against the benchmark's candidate pool (\(b.candidates.count) entities)\n")
    print(BenchmarkRunner.runAgainstPool(b, threshold: threshold).table)
    if let index {
      print("## Against the full list (\(index.list.entries.count) entries, \(index.names.count) names)\n")
      print(BenchmarkRunner.runAgainstList(b, index: index, threshold: threshold).table)
    }
  }

  /// The JSON line for one query.
  static func jsonLine(query: String, matches: [ScreeningMatch]) -> String {
    let q = JSONWriter.quote
    let ms = matches.map { m in
      let pairs = m.pairs.map { p in
        "{\"query\":\(q(p.query)),\"list\":\(q(p.list)),\"similarity\":\(p.similarity),\"reason\":\(q(p.reason.rawValue))}"
      }
      return
        "{\"id\":\(m.id),\"name\":\(q(m.name)),\"score\":\(m.score),\"matched_name\":\(q(m.matchedName)),"
        + "\"matched_kind\":\(q(m.matchedKind.rawValue)),\"query_coverage\":\(m.queryCoverage),"
        + "\"list_coverage\":\(m.listCoverage),\"truncated\":\(m.truncated),\"pairs\":[\(pairs.joined(separator: ","))],"
        + "\"unmatched_query\":[\(m.unmatchedQuery.map(q).joined(separator: ","))],"
        + "\"unmatched_list\":[\(m.unmatchedList.map(q).joined(separator: ","))]}"
    }
    return "{\"query\":\(q(query)),\"matches\":[\(ms.joined(separator: ","))]}"
  }

  /// Human-readable lines for one query.
  static func textLines(query: String, matches: [ScreeningMatch]) -> String {
    guard !matches.isEmpty else { return "\(query): no match" }
    var s = "\(query):"
    for m in matches {
      s += "\n  " + String(format: "%.4f", m.score) + "  \(m.id)  \(m.name)"
      if m.matchedKind != .primary { s += "  (\(m.matchedKind.rawValue) '\(m.matchedName)')" }
      let why = m.pairs.map { "\($0.query)~\($0.list) \($0.reason.rawValue)" }.joined(separator: ", ")
      s += "\n          " + why
      if !m.unmatchedQuery.isEmpty { s += "; unmatched: " + m.unmatchedQuery.joined(separator: " ") }
    }
    return s
  }
}
