// The runner's skip/fail logic and its counts, with a fake engine that answers from a table.

import Foundation
import SentinelConformance
import SentinelModel
import Testing

/// Answers each test id from a table; `.unsupported` for ids not in it.
struct TableEngine: ConformanceEngine {
  var table: [String: EngineOutcome]
  var supportedExtensions: Set<String> = []

  func run(_ test: ConformanceTest, extensions: Set<String>) -> EngineOutcome {
    table[test.id] ?? .unsupported("not in table")
  }
}

/// Records which extensions the runner asked for.
final class ExtensionRecorder: ConformanceEngine, @unchecked Sendable {
  let lock = NSLock()
  var seen: [String: Set<String>] = [:]
  var supportedExtensions: Set<String> { ["math"] }

  func run(_ test: ConformanceTest, extensions: Set<String>) -> EngineOutcome {
    lock.withLock { seen[test.id] = extensions }
    return .evaluated(value: .bool(true), type: nil)
  }
}

private let listInt = ConformanceDecoded<CELType>.supported(.list(.int))
private let enumValue = ConformanceDecoded<Value>.unsupported(reason: "enum value of type x.E", json: .null)

private func sampleFile() -> ConformanceFile {
  let tests: [ConformanceTest] = [
    ConformanceTest(id: "t/s/pass", expr: "1", expected: .value(.supported(.int(1)), implicit: false)),
    ConformanceTest(
      id: "t/s/uint_vs_int", expr: "1u", expected: .value(.supported(.int(1)), implicit: false)),
    ConformanceTest(id: "t/s/implicit_true", expr: "true"),
    ConformanceTest(
      id: "t/s/error_ok", expr: "1/0", expected: .evalError(message: "division by zero", errors: [])),
    ConformanceTest(id: "t/s/error_missing", expr: "1/1", expected: .evalError(message: "boom", errors: [])),
    ConformanceTest(id: "t/s/parse_error", expr: "1 +"),
    ConformanceTest(id: "t/s/check_error", expr: "x"),
    ConformanceTest(id: "t/s/engine_unsupported", expr: "y"),
    ConformanceTest(
      id: "t/s/check_only_ok", expr: "[1]", checkOnly: true,
      expected: .typedResult(deducedType: "list(int)", deducedTypeTree: listInt, value: nil)),
    ConformanceTest(
      id: "t/s/check_only_wrong", expr: "[1u]", checkOnly: true,
      expected: .typedResult(deducedType: "list(int)", deducedTypeTree: listInt, value: nil)),
    ConformanceTest(
      id: "t/s/typed_no_type", expr: "[1]",
      expected: .typedResult(
        deducedType: "list(int)", deducedTypeTree: listInt, value: .supported(.list([.int(1)])))),
    ConformanceTest(
      id: "t/s/typed_ok", expr: "[1]",
      expected: .typedResult(
        deducedType: "list(int)", deducedTypeTree: listInt, value: .supported(.list([.int(1)])))),
    ConformanceTest(
      id: "t/s/typed_param", expr: "[]", checkOnly: true,
      expected: .typedResult(
        deducedType: "list(T)", deducedTypeTree: .supported(.list(.typeParam("T"))), value: nil)),
    ConformanceTest(id: "t/s/only_checked", expr: "1"),
    ConformanceTest(
      id: "t/p/proto", expr: "TestAllTypes{}", needsProto: true, needsProtoReasons: ["expr:TestAllTypes"]),
    ConformanceTest(id: "t/s/enum_binding", expr: "e", bindings: ["e": enumValue]),
    ConformanceTest(
      id: "t/x/math_ok", expr: "math.least(1)", expected: .value(.supported(.int(1)), implicit: false),
      ext: "math"),
    ConformanceTest(id: "t/x/strings", expr: "'a'.upperAscii()", ext: "string"),
    ConformanceTest(id: "t/s/unknown", expr: "x", expected: .unknown([1])),
  ]
  return ConformanceFile(name: "t", sections: [ConformanceSection(name: "s", tests: tests)])
}

private let table: [String: EngineOutcome] = [
  "t/s/pass": .evaluated(value: .int(1), type: .int),
  "t/s/uint_vs_int": .evaluated(value: .uint(1), type: .uint),
  "t/s/implicit_true": .evaluated(value: .bool(true), type: nil),
  "t/s/error_ok": .evaluated(value: .error(.divideByZero), type: .int),
  "t/s/error_missing": .evaluated(value: .int(1), type: .int),
  "t/s/parse_error": .parseError("unexpected end of input"),
  "t/s/check_error": .checkError("undeclared reference to 'x'"),
  "t/s/engine_unsupported": .unsupported("no VM yet"),
  "t/s/check_only_ok": .checked(type: .list(.int)),
  "t/s/check_only_wrong": .checked(type: .list(.uint)),
  "t/s/typed_no_type": .evaluated(value: .list([.int(1)]), type: nil),
  "t/s/typed_ok": .evaluated(value: .list([.int(1)]), type: .list(.int)),
  "t/s/typed_param": .checked(type: .list(.typeParam("_var7"))),
  "t/s/only_checked": .checked(type: .bool),
  "t/x/math_ok": .evaluated(value: .int(1), type: .int),
  "t/p/proto": .evaluated(value: .bool(true), type: nil),  // must never be asked
]

private func results(_ engine: any ConformanceEngine, filter: String? = nil) -> ConformanceReport {
  ConformanceRunner(engine: engine, filter: filter).run([sampleFile()])
}

private func status(_ report: ConformanceReport, _ id: String) -> ConformanceStatus? {
  report.results.first { $0.id == id }?.status
}

@Test func runnerPassesFailsAndSkips() {
  let report = results(TableEngine(table: table, supportedExtensions: ["math"]))
  let expected: [String: ConformanceStatus] = [
    "t/s/pass": .passed, "t/s/uint_vs_int": .failed, "t/s/implicit_true": .passed, "t/s/error_ok": .passed,
    "t/s/error_missing": .failed, "t/s/parse_error": .failed, "t/s/check_error": .failed,
    "t/s/engine_unsupported": .failed, "t/s/check_only_ok": .passed, "t/s/check_only_wrong": .failed,
    "t/s/typed_no_type": .failed, "t/s/typed_ok": .passed, "t/s/typed_param": .passed,
    "t/s/only_checked": .failed, "t/p/proto": .skipped, "t/s/enum_binding": .skipped, "t/x/math_ok": .passed,
    "t/x/strings": .skipped, "t/s/unknown": .skipped,
  ]
  #expect(report.results.count == expected.count)
  for (id, want) in expected {
    #expect(status(report, id) == want, "\(id)")
  }
  let reason = { (id: String) in report.results.first { $0.id == id }?.reason ?? "" }
  #expect(reason("t/s/uint_vs_int").contains("kind mismatch"))
  #expect(reason("t/s/parse_error").hasPrefix("parse error"))
  #expect(reason("t/s/check_error").hasPrefix("check error"))
  #expect(reason("t/s/check_only_wrong").contains("list(uint)"))
  #expect(reason("t/p/proto").contains("needs protobuf"))
  #expect(reason("t/x/strings").contains("'string'"))
  #expect(reason("t/s/enum_binding").contains("binding e: enum value"))
}

@Test func runnerSummarizesByCategory() {
  let report = results(TableEngine(table: table, supportedExtensions: ["math"]))
  #expect(report.files.count == 1)
  let f = report.files[0]
  #expect(f.file == "t.json")
  #expect(f.all.total == 19 && f.all.passed == 7 && f.all.failed == 8 && f.all.skipped == 4)
  #expect(f.core.total == 16 && f.core.passed == 6 && f.core.failed == 8 && f.core.skipped == 2)
  #expect(f.proto.total == 1 && f.proto.skipped == 1)
  #expect(f.ext.total == 2 && f.ext.passed == 1 && f.ext.skipped == 1)
  #expect(report.all == f.all && report.core == f.core)
  #expect(abs(report.corePassRate - 6.0 / 16.0) < 1e-12)
  #expect(report.failures.count == 8)
}

@Test func unsupportedExtensionsAreSkippedAndSupportedOnesAreEnabled() {
  let without = results(TableEngine(table: table))
  #expect(status(without, "t/x/math_ok") == .skipped)
  let recorder = ExtensionRecorder()
  _ = results(recorder)
  recorder.lock.withLock {
    #expect(recorder.seen["t/x/math_ok"] == ["math"])
    #expect(recorder.seen["t/s/pass"] == [])
    #expect(recorder.seen["t/x/strings"] == nil)
    #expect(recorder.seen["t/p/proto"] == nil)
  }
}

@Test func filterSelectsByIdSubstring() {
  let report = results(TableEngine(table: table), filter: "check_only")
  #expect(report.results.map(\.id) == ["t/s/check_only_ok", "t/s/check_only_wrong"])
  #expect(report.summaryLine == "1 passed, 1 failed, 0 skipped")
}

@Test func reportRendersTableFailuresAndJSON() throws {
  let report = results(TableEngine(table: table, supportedExtensions: ["math"]))
  let text = report.renderText()
  let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
  #expect(lines.last == "")
  #expect(lines.dropLast().last == "7 passed, 8 failed, 4 skipped")
  #expect(text.contains("t.json"))
  #expect(text.contains("6/16"))
  #expect(!text.contains("FAIL "))
  let verbose = report.renderText(verbose: true)
  #expect(verbose.contains("FAIL t/s/uint_vs_int [core]"))
  #expect(verbose.contains("expected: 1\n"))
  #expect(verbose.contains("actual:   1u : uint\n"))
  #expect(verbose.hasSuffix("7 passed, 8 failed, 4 skipped\n"))

  let json = try report.renderJSON()
  let parsed = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
  let summary = parsed?["summary"] as? [String: Any]
  #expect(summary?["passed"] as? Int == 7)
  #expect(summary?["failed"] as? Int == 8)
  #expect((summary?["core"] as? [String: Any])?["total"] as? Int == 16)
  #expect((parsed?["results"] as? [Any])?.count == 19)
  #expect(try report.renderJSON(includePassed: false).contains("t/s/pass\"") == false)
}
