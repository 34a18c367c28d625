// The conformance runner: hands each test to a `ConformanceEngine`, judges the outcome against the
// test's expectation (fixtures/cel-conformance/README.md, "How a runner should treat a test"), and
// sums results per file, split into core, proto and extension tests.

import SentinelModel

/// What an engine did with one test.
public enum EngineOutcome: Sendable {
  /// The expression did not parse.
  case parseError(String)
  /// The expression did not type-check against the test's declarations.
  case checkError(String)
  /// The expression checked with this deduced type and was not evaluated (for `check_only` tests).
  case checked(type: CELType)
  /// The expression evaluated to `value` (an evaluation error is `.error(...)`); `type` is the
  /// checker's deduced type when the test was checked, nil when it was not (`disable_check`).
  case evaluated(value: Value, type: CELType?)
  /// The engine cannot run this test (a feature it lacks). Counted as a failure: the runner's own
  /// skip rules decide what is out of scope.
  case unsupported(String)
}

/// A CEL implementation under test: parses, checks and evaluates one conformance test.
///
/// The engine must honour the test's `disableMacros`, `disableCheck`, `checkOnly`, `container`,
/// `typeEnv` and `bindingValues`. The runner only calls it for tests it does not skip: no
/// `needsProto` tests, no tests of extension libraries outside `supportedExtensions`, and no tests
/// whose values or types are unsupported (so every binding has decoded).
public protocol ConformanceEngine: Sendable {
  /// The extension libraries (`bindings`, `block`, `encoders`, `math`, `network`, `proto2`,
  /// `string`) the engine implements; tests of other libraries are skipped.
  var supportedExtensions: Set<String> { get }

  /// Runs one test.
  /// - Parameter extensions: the extension libraries to enable for this test (the test's `ext`, or
  ///   empty for core tests). The core libraries, including optionals and two-variable
  ///   comprehensions, are always expected to be on.
  func run(_ test: ConformanceTest, extensions: Set<String>) -> EngineOutcome
}

/// A test's result.
public enum ConformanceStatus: String, Sendable, Codable, Hashable {
  case passed
  case failed
  case skipped
}

/// Which part of the suite a test belongs to. The categories are exclusive: a test that needs
/// protobuf is `proto` even when it is in an extension file (`proto2_ext.json`).
public enum ConformanceCategory: String, Sendable, Codable, Hashable {
  /// Neither `needs_proto` nor an extension library.
  case core
  /// `needs_proto` is true.
  case proto
  /// An extension library's test (`ext` is set) that does not need protobuf.
  case ext

  /// The category of a test.
  public init(_ test: ConformanceTest, fileExt: String? = nil) {
    if test.needsProto {
      self = .proto
    } else if (test.ext ?? fileExt) != nil {
      self = .ext
    } else {
      self = .core
    }
  }
}

/// The result of one test.
public struct ConformanceResult: Sendable, Codable, Hashable {
  /// The test id, `<file>/<section>/<name>`.
  public var id: String
  /// The file's display name, e.g. `basic.json`.
  public var file: String
  /// The CEL expression.
  public var expr: String
  /// Passed, failed or skipped.
  public var status: ConformanceStatus
  /// Core, proto or ext.
  public var category: ConformanceCategory
  /// What the test expects, readably (CEL literal syntax for values, CEL notation for types).
  public var expected: String
  /// What the engine produced ("" for skipped tests).
  public var actual: String
  /// Why the test failed or was skipped ("" when it passed).
  public var reason: String

  /// Creates a result.
  public init(
    id: String, file: String, expr: String, status: ConformanceStatus, category: ConformanceCategory,
    expected: String, actual: String, reason: String
  ) {
    self.id = id
    self.file = file
    self.expr = expr
    self.status = status
    self.category = category
    self.expected = expected
    self.actual = actual
    self.reason = reason
  }
}

/// Counts of tests by status.
public struct ConformanceTally: Sendable, Codable, Hashable {
  /// Every counted test.
  public var total = 0
  /// Tests that passed.
  public var passed = 0
  /// Tests that failed.
  public var failed = 0
  /// Tests that were skipped.
  public var skipped = 0

  /// An empty tally.
  public init() {}

  /// Counts one result.
  public mutating func add(_ status: ConformanceStatus) {
    total += 1
    switch status {
    case .passed: passed += 1
    case .failed: failed += 1
    case .skipped: skipped += 1
    }
  }

  /// Adds another tally.
  public mutating func add(_ other: ConformanceTally) {
    total += other.total
    passed += other.passed
    failed += other.failed
    skipped += other.skipped
  }

  /// `passed / total`, or 0 when there are no tests.
  public var passRate: Double { total == 0 ? 0 : Double(passed) / Double(total) }
}

/// The counts for one file, overall and by category.
public struct ConformanceFileSummary: Sendable, Codable, Hashable {
  /// The file's display name, e.g. `basic.json`.
  public var file: String
  /// The path the file was read from.
  public var path: String
  /// The extension library of the file, if any.
  public var extensionLibrary: String?
  /// All tests of the file (after the id filter).
  public var all = ConformanceTally()
  /// Core tests: neither needs_proto nor an extension library.
  public var core = ConformanceTally()
  /// Tests that need protobuf.
  public var proto = ConformanceTally()
  /// Extension-library tests that do not need protobuf.
  public var ext = ConformanceTally()

  /// An empty summary for a file.
  public init(file: String, path: String, extensionLibrary: String?) {
    self.file = file
    self.path = path
    self.extensionLibrary = extensionLibrary
  }

  /// Counts one result.
  public mutating func add(_ r: ConformanceResult) {
    all.add(r.status)
    switch r.category {
    case .core: core.add(r.status)
    case .proto: proto.add(r.status)
    case .ext: ext.add(r.status)
    }
  }
}

/// The outcome of a whole run: per-file summaries, every result, and the totals.
public struct ConformanceReport: Sendable, Codable, Hashable {
  /// One summary per file, in the order the files were run.
  public var files: [ConformanceFileSummary]
  /// Every test result, in file order.
  public var results: [ConformanceResult]
  /// All tests.
  public var all = ConformanceTally()
  /// Core tests.
  public var core = ConformanceTally()
  /// Tests that need protobuf.
  public var proto = ConformanceTally()
  /// Extension-library tests.
  public var ext = ConformanceTally()

  /// Builds a report from file summaries and results, computing the totals.
  public init(files: [ConformanceFileSummary], results: [ConformanceResult]) {
    self.files = files
    self.results = results
    for f in files {
      all.add(f.all)
      core.add(f.core)
      proto.add(f.proto)
      ext.add(f.ext)
    }
  }

  /// Core passed / core total (0 without core tests).
  public var corePassRate: Double { core.passRate }

  /// The failed results.
  public var failures: [ConformanceResult] { results.filter { $0.status == .failed } }
}

/// Runs conformance tests through an engine and judges the outcomes.
public struct ConformanceRunner: Sendable {
  /// The engine under test.
  public var engine: any ConformanceEngine
  /// When set, only tests whose id contains this substring run (others are not counted).
  public var filter: String?

  /// Creates a runner.
  public init(engine: any ConformanceEngine, filter: String? = nil) {
    self.engine = engine
    self.filter = filter.flatMap { $0.isEmpty ? nil : $0 }
  }

  /// Runs every test of the files (after the id filter; with a filter, files without a matching
  /// test are left out of the report).
  public func run(_ files: [ConformanceFile]) -> ConformanceReport {
    var summaries: [ConformanceFileSummary] = []
    var results: [ConformanceResult] = []
    for file in files {
      var summary = ConformanceFileSummary(
        file: file.displayName, path: file.path, extensionLibrary: file.ext)
      for test in file.tests where filter.map({ test.id.contains($0) }) ?? true {
        let r = run(test, in: file)
        summary.add(r)
        results.append(r)
      }
      // With a filter, files without a matching test are left out of the report.
      if filter == nil || summary.all.total > 0 { summaries.append(summary) }
    }
    return ConformanceReport(files: summaries, results: results)
  }

  /// Runs one test of a file: skips it, or asks the engine and judges the outcome.
  public func run(_ test: ConformanceTest, in file: ConformanceFile) -> ConformanceResult {
    let ext = test.ext ?? file.ext
    var result = ConformanceResult(
      id: test.id, file: file.displayName, expr: test.expr, status: .skipped,
      category: ConformanceCategory(test, fileExt: file.ext), expected: test.expected.displayText,
      actual: "", reason: "")
    if let reason = skipReason(test, ext: ext) {
      result.reason = reason
      return result
    }
    let outcome = engine.run(test, extensions: ext.map { [$0] } ?? [])
    result.actual = outcome.displayText
    if let failure = judge(outcome, test) {
      result.status = .failed
      result.reason = failure
    } else {
      result.status = .passed
    }
    return result
  }

  /// Why the runner does not run a test, or nil to run it.
  public func skipReason(_ test: ConformanceTest, ext: String?) -> String? {
    if test.needsProto {
      let why = test.needsProtoReasons.isEmpty ? "" : " (\(test.needsProtoReasons.joined(separator: ", ")))"
      return "needs protobuf\(why)"
    }
    if let ext, !engine.supportedExtensions.contains(ext) {
      return "extension library '\(ext)' not supported by the engine"
    }
    let unsupported = test.unsupportedReasons
    if !unsupported.isEmpty {
      return "unsupported: " + unsupported.joined(separator: "; ")
    }
    return nil
  }

  /// Nil when the outcome satisfies the test, else why not.
  func judge(_ outcome: EngineOutcome, _ test: ConformanceTest) -> String? {
    let deducedType: CELType?
    let value: Value?
    switch outcome {
    case .parseError(let m):
      return "parse error: \(m)"
    case .checkError(let m):
      return "check error: \(m)"
    case .unsupported(let m):
      return "engine cannot run the test: \(m)"
    case .checked(let t):
      deducedType = t
      value = nil
    case .evaluated(let v, let t):
      deducedType = t
      value = v
    }

    // The type, for typed_result.
    if case .typedResult(let notation, let tree, _) = test.expected {
      guard let deducedType else { return "no deduced type reported (expected \(notation))" }
      let treeMatches = tree.supported.map {
        ConformanceMatching.typesMatch(expected: $0, actual: deducedType)
      }
      if !(treeMatches ?? false) && deducedType.description != notation {
        return "deduced type \(deducedType) does not match expected \(notation)"
      }
    }
    if test.checkOnly { return nil }
    guard let value else { return "not evaluated (the test is not check_only)" }

    switch test.expected {
    case .value(let expected, _):
      return matchValue(expected, value)
    case .typedResult(_, _, let expected):
      return expected.flatMap { matchValue($0, value) }
    case .evalError, .anyEvalErrors:
      if case .error = value { return nil }
      return "expected an evaluation error, got \(value)"
    case .unknown, .anyUnknowns, .unrecognized:
      return "expectation \(test.expected.kind) cannot be judged"
    }
  }

  private func matchValue(_ expected: ConformanceDecoded<Value>, _ actual: Value) -> String? {
    guard let e = expected.supported else { return "expected value is unsupported" }
    if ConformanceMatching.valuesMatch(expected: e, actual: actual) { return nil }
    if case .error(let err) = actual { return "evaluation error: \(err.message)" }
    if e.typeName != actual.typeName {
      return "kind mismatch: expected \(e.typeName), got \(actual.typeName)"
    }
    return "value mismatch"
  }
}

// MARK: - Display

extension ConformanceExpectation {
  /// The expectation in readable form: CEL literal syntax for values, CEL notation for types.
  public var displayText: String {
    func value(_ d: ConformanceDecoded<Value>) -> String {
      switch d {
      case .supported(let v): return Value.render(v)
      case .unsupported(_, let json): return json.description
      }
    }
    switch self {
    case .value(let v, _):
      return value(v)
    case .evalError(let message, _):
      return message.isEmpty ? "error" : "error(\(message))"
    case .typedResult(let t, _, let v):
      return v.map { "\(value($0)) : \(t)" } ?? "type \(t)"
    case .anyEvalErrors:
      return "error"
    case .unknown(let ids):
      return "unknown\(ids)"
    case .anyUnknowns(let sets):
      return "any of unknown\(sets)"
    case .unrecognized(let kind, let json):
      return "\(kind): \(json)"
    }
  }
}

extension EngineOutcome {
  /// The outcome in readable form (`value : type` when a type was deduced).
  public var displayText: String {
    switch self {
    case .parseError(let m): return "parse error: \(m)"
    case .checkError(let m): return "check error: \(m)"
    case .checked(let t): return "type \(t)"
    case .evaluated(let v, let t): return t.map { "\(Value.render(v)) : \($0)" } ?? Value.render(v)
    case .unsupported(let m): return "unsupported: \(m)"
    }
  }
}
