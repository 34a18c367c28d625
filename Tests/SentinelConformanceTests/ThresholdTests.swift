// The recorded minimum: the vendored conformance files, run through `makeDefaultEngine()`, must reach
// the core pass rate in fixtures/cel-conformance-threshold.json.

import Foundation
import SentinelConformance
import SentinelModel
import Testing

@Test func corePassRateMeetsTheRecordedMinimum() throws {
  let threshold = try ConformanceThreshold.load(
    path: packageRoot.appendingPathComponent("fixtures/cel-conformance-threshold.json").path)
  let files = try loadConformanceFiles(paths: [vendoredDirectory])
  let report = ConformanceRunner(engine: makeDefaultEngine()).run(files)
  #expect(report.core.total == 859)
  let violation = threshold.violation(in: report)
  #expect(violation == nil, "\(violation ?? "")\n\(report.renderCategories())")
}

@Test func thresholdChecksAndRejectsBadFiles() throws {
  var summary = ConformanceFileSummary(file: "f.json", path: "", extensionLibrary: nil)
  for status in [ConformanceStatus.passed, .passed, .failed, .skipped] {
    summary.add(
      ConformanceResult(
        id: "f/s/t", file: "f.json", expr: "", status: status, category: .core, expected: "", actual: "",
        reason: ""))
  }
  let report = ConformanceReport(files: [summary], results: [])
  #expect(ConformanceThreshold(corePassRateMin: 0.5).violation(in: report) == nil)
  #expect(ConformanceThreshold(corePassRateMin: 0.51).violation(in: report)?.contains("2/4") == true)
  #expect(
    ConformanceThreshold(corePassRateMin: 0).violation(in: ConformanceReport(files: [], results: [])) != nil)

  let dir = FileManager.default.temporaryDirectory.appendingPathComponent("threshold-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: dir) }
  let bad = dir.appendingPathComponent("t.json")
  try Data(#"{"core_pass_rate_min": 1.5}"#.utf8).write(to: bad)
  #expect(throws: ConformanceLoadError.self) { try ConformanceThreshold.load(path: bad.path) }
  try Data(#"{"rate": 0.5}"#.utf8).write(to: bad)
  #expect(throws: ConformanceLoadError.self) { try ConformanceThreshold.load(path: bad.path) }
  try Data(#"{"core_pass_rate_min": 0.25}"#.utf8).write(to: bad)
  #expect(try ConformanceThreshold.load(path: bad.path).corePassRateMin == 0.25)
}
