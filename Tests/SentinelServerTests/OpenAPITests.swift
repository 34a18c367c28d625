// The API document: `GET /openapi.json` serves exactly docs/openapi.yaml, and schemathesis
// (from PyPI; CI installs it in .ci/run) finds no failure of any check against the real daemon.

import Foundation
import SentinelTestSupport
import Testing
import Yams

@Suite(.serialized) struct OpenAPITests {
  /// A canonical text of a YAML/JSON value: keys sorted, scalars as Yams resolved them.
  static func canonical(_ value: Any?) -> String {
    switch value {
    case nil: return "null"
    case let d as [String: Any]:
      return "{" + d.keys.sorted().map { "\($0.debugDescription):\(canonical(d[$0]))" }.joined(separator: ",")
        + "}"
    case let d as [AnyHashable: Any]:
      let keys = d.keys.map { "\($0.base)" }
      var byKey: [String: Any] = [:]
      for (k, v) in d { byKey["\(k.base)"] = v }
      return "{"
        + keys.sorted().map { "\($0.debugDescription):\(canonical(byKey[$0]))" }.joined(separator: ",")
        + "}"
    case let a as [Any]: return "[" + a.map(canonical).joined(separator: ",") + "]"
    case let s as String: return s.debugDescription
    case let b as Bool: return b ? "true" : "false"
    case let i as Int: return String(i)
    case let x as Double: return String(x)
    default: return "\(type(of: value!)):\(value!)"
    }
  }

  @Test func servedDocumentIsTheYAMLDocument() async throws {
    let daemon = try Daemon()
    let served = try await daemon.get("/openapi.json")
    #expect(served.status == 200)
    #expect(served.header("Content-Type") == "application/json")
    let yaml = try Repo.read(Repo.root + "/docs/openapi.yaml")
    // JSON is YAML: one loader for both sides, so scalars resolve the same way.
    let fromYAML = Self.canonical(try Yams.load(yaml: yaml))
    let fromJSON = Self.canonical(try Yams.load(yaml: served.body))
    #expect(fromYAML.count > 1000)
    #expect(
      fromYAML == fromJSON,
      "GET /openapi.json differs from docs/openapi.yaml: run `python3 scripts/openapi.py` and rebuild")
    #expect(daemon.terminate() == 0)
  }

  /// The schemathesis executable, when installed.
  static var schemathesis: String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for dir in path.split(separator: ":") {
      let candidate = "\(dir)/schemathesis"
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
  }

  /// Paths documented but not served yet: schemathesis skips them until they exist.
  static let pathsNotServedYet: [String] = []

  /// Arguments for authentication: the key goes in through `Daemon.commonHeaders`, and every
  /// check runs (`ignored_auth`: a request without valid credentials must be refused).
  static let authArguments: [String] = []

  @Test(
    .enabled(if: schemathesis != nil, "schemathesis is not installed (pip install schemathesis; CI has it)"),
    .timeLimit(.minutes(10)))
  func schemathesisFindsNoFailureWithEveryCheck() async throws {
    // The rule set with run-time lists, so that `/v1/lists/{name}` (its example `blocked_ips`)
    // answers 200 as well as 404.
    let daemon = try Daemon(rules: Repo.root + "/fixtures/runtime-lists")
    let dir = try Repo.temporaryFolder()
    let p = Process()
    p.executableURL = URL(fileURLWithPath: try #require(Self.schemathesis))
    p.currentDirectoryURL = URL(fileURLWithPath: dir)
    // Any bytes are a schema-valid `application/octet-stream` body, but only a compiled, verified
    // bundle is accepted: for `PUT /v1/bundle` the documented 422 (bundle refused, with the
    // reason) and the 400 for an empty body are expected answers to schema-valid data too.
    let config = dir + "/schemathesis.toml"
    try """
    [[operations]]
    include-operation-id = "putBundle"
    checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "409", "413", "422", "429"]

    """.write(toFile: config, atomically: true, encoding: .utf8)
    var arguments = [
      "--config-file", config,
      "run", "http://127.0.0.1:\(daemon.port)/openapi.json", "--checks", "all", "--max-examples", "25",
      "--workers", "2", "--seed", "20261205", "--no-color", "--report", "junit", "--report-dir", dir,
    ]
    arguments += Self.authArguments
    for path in Self.pathsNotServedYet { arguments += ["--exclude-path", path] }
    for (name, value) in Daemon.commonHeaders { arguments += ["-H", "\(name): \(value)"] }
    p.arguments = arguments
    let output = dir + "/schemathesis.log"
    _ = FileManager.default.createFile(atPath: output, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
    p.standardOutput = handle
    p.standardError = handle
    p.environment = ProcessInfo.processInfo.environment.merging(["NO_COLOR": "1"]) { $1 }
    try p.run()
    p.waitUntilExit()
    try handle.close()
    let text = try Repo.read(output)
    #expect(p.terminationStatus == 0, "schemathesis failed:\n\(text.suffix(6000))")
    // No 5xx ever reached the log either.
    #expect(daemon.terminate() == 0)
    let log = try Repo.read(daemon.log)
    #expect(!log.contains("\"status\":\"5"), "a 5xx answer was logged")
    print(text.split(separator: "\n").suffix(12).joined(separator: "\n"))
  }
}
