// Loading conformance files: precise errors for bad files, directory handling, and the vendored
// files themselves (their counts must match the table in fixtures/cel-conformance/README.md).

import Foundation
import SentinelConformance
import SentinelModel
import Testing

/// The package root, found from this file's path.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent()
let vendoredDirectory = packageRoot.appendingPathComponent("fixtures/cel-conformance").path

/// A fresh temporary directory, removed by the caller.
private func makeTempDirectory() throws -> URL {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent("conformance-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  return dir
}

private func write(_ text: String, _ name: String, in dir: URL) throws -> String {
  let url = dir.appendingPathComponent(name)
  try Data(text.utf8).write(to: url)
  return url.path
}

private let goodTest = """
  {"name": "one", "description": "", "expr": "1 + 1", "disable_macros": false, "disable_check": false,
   "check_only": false, "container": "", "locale": "", "type_env": [], "bindings": {"x": {"int": "1"}},
   "expected": {"kind": "value", "value": {"int": "2"}}, "needs_proto": false, "needs_proto_reasons": [],
   "wkt_converted": [], "ext": null, "id": "f/s/one"}
  """

private func file(tests: [String]) -> String {
  """
  {"name": "f", "description": "d", "source": "tests/simple/testdata/f.textproto", "ext": null,
   "sections": [{"name": "s", "description": "", "tests": [\(tests.joined(separator: ","))]}], "split": "visible"}
  """
}

private func loadError(_ paths: [String]) -> ConformanceLoadError? {
  do {
    _ = try loadConformanceFiles(paths: paths)
    return nil
  } catch let e as ConformanceLoadError {
    return e
  } catch {
    Issue.record("unexpected error type: \(error)")
    return nil
  }
}

@Test func loadsAWellFormedFile() throws {
  let dir = try makeTempDirectory()
  defer { try? FileManager.default.removeItem(at: dir) }
  let path = try write(file(tests: [goodTest]), "f.json", in: dir)
  let files = try loadConformanceFiles(paths: [path])
  #expect(files.count == 1)
  let t = try #require(files.first?.tests.first)
  #expect(t.id == "f/s/one" && t.section == "s" && t.expr == "1 + 1" && t.ext == nil)
  #expect(t.bindingValues["x"].map { ConformanceMatching.valuesMatch(expected: .int(1), actual: $0) } == true)
  #expect(files.first?.displayName == "f.json")
  #expect(files.first?.source == "tests/simple/testdata/f.textproto")
}

@Test func invalidJSONNamesTheFile() throws {
  let dir = try makeTempDirectory()
  defer { try? FileManager.default.removeItem(at: dir) }
  let path = try write("{\"name\": \"f\", \"sections\": [", "broken.json", in: dir)
  let e = try #require(loadError([path]))
  #expect(e.file == path)
  #expect(e.message.hasPrefix("invalid JSON"))
  #expect(e.description.contains("broken.json"))
}

@Test func missingKeyNamesThePathAndTest() throws {
  let dir = try makeTempDirectory()
  defer { try? FileManager.default.removeItem(at: dir) }
  let noExpr = goodTest.replacingOccurrences(of: #""expr": "1 + 1","#, with: "")
  let path = try write(file(tests: [goodTest, noExpr]), "f.json", in: dir)
  let e = try #require(loadError([path]))
  #expect(e.file == path)
  #expect(e.message.contains("sections[0].tests[1]"), "\(e.message)")
  #expect(e.message.contains("missing key \"expr\""), "\(e.message)")
  #expect(e.message.contains("f/s/one"), "\(e.message)")
}

@Test func malformedValueNamesItsPath() throws {
  let dir = try makeTempDirectory()
  defer { try? FileManager.default.removeItem(at: dir) }
  let bad = goodTest.replacingOccurrences(of: #"{"int": "2"}"#, with: #"{"int": 2}"#)
  let path = try write(file(tests: [bad]), "f.json", in: dir)
  let e = try #require(loadError([path]))
  #expect(e.message.contains("sections[0].tests[0].expected.value.int"), "\(e.message)")
  #expect(e.message.contains("expected a string, found a number"), "\(e.message)")
}

@Test func wrongTypeOfFieldIsReported() throws {
  let dir = try makeTempDirectory()
  defer { try? FileManager.default.removeItem(at: dir) }
  let bad = goodTest.replacingOccurrences(of: #""check_only": false"#, with: #""check_only": "no""#)
  let path = try write(file(tests: [bad]), "f.json", in: dir)
  let e = try #require(loadError([path]))
  #expect(e.message.contains("check_only: expected a boolean, found a string"), "\(e.message)")
}

@Test func directoriesSkipNonTestJSONAndSortFiles() throws {
  let dir = try makeTempDirectory()
  defer { try? FileManager.default.removeItem(at: dir) }
  _ = try write(
    file(tests: [goodTest]).replacingOccurrences(of: #""name": "f""#, with: #""name": "b""#), "b.json",
    in: dir)
  _ = try write(
    file(tests: []).replacingOccurrences(of: #""name": "f""#, with: #""name": "a""#), "a.json", in: dir)
  _ = try write(#"{"core_pass_rate_min": 0.5}"#, "threshold.json", in: dir)
  _ = try write("# not json", "README.md", in: dir)
  let files = try loadConformanceFiles(paths: [dir.path])
  #expect(files.map(\.name) == ["a", "b"])
  // Named explicitly, a non-test JSON file is an error.
  let e = try #require(loadError([dir.appendingPathComponent("threshold.json").path]))
  #expect(e.message.contains("no \"sections\" key"))
}

@Test func missingPathsAndEmptyDirectoriesAreErrors() throws {
  let dir = try makeTempDirectory()
  defer { try? FileManager.default.removeItem(at: dir) }
  let missing = dir.appendingPathComponent("nope.json").path
  #expect(loadError([missing])?.message == "no such file or directory")
  #expect(loadError([dir.path])?.message.contains("no conformance test files") == true)
}

// MARK: - The vendored files

/// Visible tests and visible needs_proto tests per file, from the README's table.
private let readmeCounts: [String: (visible: Int, proto: Int)] = [
  "basic.json": (30, 0), "bindings_ext.json": (6, 0), "block_ext.json": (26, 10),
  "comparisons.json": (284, 50),
  "conversions.json": (76, 0), "dynamic.json": (158, 158), "encoders_ext.json": (3, 0),
  "enums.json": (59, 59),
  "fields.json": (42, 0), "fp_math.json": (21, 0), "integer_math.json": (45, 0), "lists.json": (27, 0),
  "logic.json": (21, 0), "macros.json": (31, 0), "macros2.json": (32, 0), "math_ext.json": (139, 0),
  "namespace.json": (10, 0), "network_ext.json": (48, 0), "optionals.json": (49, 7), "parse.json": (153, 18),
  "plumbing.json": (4, 0), "proto2.json": (83, 83), "proto2_ext.json": (13, 13), "proto3.json": (59, 59),
  "string.json": (36, 0), "string_ext.json": (151, 2), "timestamps.json": (55, 0),
  "type_deduction.json": (33, 15),
  "unknowns.json": (0, 0), "wrappers.json": (25, 25),
]

@Test func vendoredFilesMatchTheReadmeCounts() throws {
  let files = try loadConformanceFiles(paths: [vendoredDirectory])
  #expect(files.map(\.displayName) == readmeCounts.keys.sorted())
  for f in files {
    let counts = readmeCounts[f.displayName]
    #expect(f.tests.count == counts?.visible, "\(f.displayName)")
    #expect(f.tests.filter(\.needsProto).count == counts?.proto, "\(f.displayName)")
    #expect(f.split == "visible")
  }
  let all = files.flatMap(\.tests)
  #expect(all.count == 1719)
  #expect(all.filter(\.needsProto).count == 499)
  #expect(all.filter { !$0.needsProto && $0.ext == nil }.count == 859)
  #expect(Set(all.map(\.id)).count == all.count)
}

@Test func vendoredNonProtoTestsUseOnlySupportedValuesAndTypes() throws {
  let files = try loadConformanceFiles(paths: [vendoredDirectory])
  let offenders = files.flatMap(\.tests).filter { !$0.needsProto && !$0.unsupportedReasons.isEmpty }
  #expect(offenders.map(\.id) == [], "\(offenders.map { "\($0.id): \($0.unsupportedReasons)" })")
}

/// Answers every test with what it expects, so every test the runner does not skip must pass.
struct OracleEngine: ConformanceEngine {
  var supportedExtensions: Set<String> {
    ["bindings", "block", "encoders", "math", "network", "proto2", "string"]
  }

  func run(_ test: ConformanceTest, extensions: Set<String>) -> EngineOutcome {
    switch test.expected {
    case .value(let v, _):
      return v.supported.map { .evaluated(value: $0, type: nil) } ?? .unsupported("value")
    case .evalError, .anyEvalErrors:
      return .evaluated(value: .error(CELError(.other, "expected error")), type: nil)
    case .typedResult(_, let tree, let v):
      guard let t = tree.supported else { return .unsupported("type") }
      if test.checkOnly { return .checked(type: t) }
      return .evaluated(value: v?.supported ?? .null, type: t)
    case .unknown, .anyUnknowns, .unrecognized:
      return .unsupported("unknown")
    }
  }
}

@Test func oracleEnginePassesEveryRunnableVendoredTest() throws {
  let files = try loadConformanceFiles(paths: [vendoredDirectory])
  let report = ConformanceRunner(engine: OracleEngine()).run(files)
  #expect(report.failures.map(\.id) == [], "\(report.failures.prefix(5).map { "\($0.id): \($0.reason)" })")
  #expect(report.all.total == 1719)
  #expect(report.all.skipped == 499)
  #expect(report.core.total == 859 && report.core.passed == 859)
  #expect(report.proto.total == 499 && report.proto.skipped == 499)
  #expect(report.ext.total == 361 && report.ext.passed == 361)
  #expect(report.summaryLine == "1220 passed, 0 failed, 499 skipped")
}
