// A real `sentinel serve` process on a free loopback port with a temporary database, and a
// minimal HTTP client (URLSession) to talk to it. No HummingbirdTesting: the daemon is tested
// the way it runs.

import Foundation
import SentinelModel
import Testing

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif
#if canImport(Glibc)
  import Glibc
#endif

enum Repo {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path
  static var rules: String { root + "/rules" }
  static var corpus: String { root + "/fixtures/reference-corpus" }

  static func temporaryFolder() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sentinel-server-\(UUID())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
  }

  static func read(_ path: String) throws -> String {
    String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
  }

  /// The `sentinel` executable beside the test binary.
  static var sentinel: String? {
    let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for candidate in [dir, dir.deletingLastPathComponent()] {
      let path = candidate.appendingPathComponent("sentinel").path
      if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
  }
}

/// One HTTP answer.
struct HTTPAnswer: Sendable {
  let status: Int
  let body: String

  /// The body as a JSON map (nil when it is not one).
  var map: MapValue? {
    if case .map(let m)? = try? JSONReader.parse(body) { return m }
    return nil
  }
}

/// A running daemon.
final class Daemon: Sendable {
  let process: Process
  let port: Int
  let db: String
  /// The daemon's standard error (its logs).
  let log: String
  let session: URLSession

  /// Starts `sentinel serve` on port 0 and waits for its `listening on` line.
  init(extraArguments: [String] = []) throws {
    let dir = try Repo.temporaryFolder()
    db = dir + "/state.db"
    log = dir + "/stderr.log"
    FileManager.default.createFile(atPath: log, contents: nil)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: try #require(Repo.sentinel, "build the `sentinel` product first"))
    p.arguments = ["serve", "--rules", Repo.rules, "--db", db, "--listen", "127.0.0.1:0"] + extraArguments
    let out = Pipe()
    p.standardOutput = out
    p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
    try p.run()
    var text = ""
    var found: Int?
    while found == nil {
      let chunk = out.fileHandleForReading.availableData
      if chunk.isEmpty { break }  // the process exited
      text += String(decoding: chunk, as: UTF8.self)
      if let r = text.range(of: "listening on http://127.0.0.1:") {
        let digits = text[r.upperBound...].prefix { $0.isNumber }
        if text[r.upperBound...].dropFirst(digits.count).first != nil { found = Int(digits) }
      }
    }
    process = p
    port = try #require(found, "the daemon printed no `listening on` line: \(text)")
    let config = URLSessionConfiguration.ephemeral
    config.timeoutIntervalForRequest = 60
    session = URLSession(configuration: config)
  }

  deinit {
    if process.isRunning {
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
    }
  }

  func request(
    _ method: String, _ path: String, body: String? = nil, timeout: TimeInterval = 60
  ) async throws -> HTTPAnswer {
    var r = URLRequest(url: try #require(URL(string: "http://127.0.0.1:\(port)\(path)")))
    r.httpMethod = method
    r.timeoutInterval = timeout
    if let body {
      r.httpBody = Data(body.utf8)
      r.setValue("application/json", forHTTPHeaderField: "Content-Type")
    }
    let (data, response) = try await session.data(for: r)
    let status = (response as? HTTPURLResponse)?.statusCode ?? -1
    return HTTPAnswer(status: status, body: String(decoding: data, as: UTF8.self))
  }

  func post(_ path: String, _ body: String, timeout: TimeInterval = 60) async throws -> HTTPAnswer {
    try await request("POST", path, body: body, timeout: timeout)
  }

  func get(_ path: String) async throws -> HTTPAnswer { try await request("GET", path) }

  /// The `commits=N decisions=M` counts of the shutdown log line, once the daemon has stopped.
  func commitCounts() throws -> (commits: Int, decisions: Int)? {
    let text = try Repo.read(log)
    guard let line = text.split(separator: "\n").last(where: { $0.contains("decision service stopped") })
    else {
      return nil
    }
    func number(_ key: String) -> Int? {
      guard let r = line.range(of: key + "=") else { return nil }
      return Int(line[r.upperBound...].prefix { $0.isNumber })
    }
    guard let c = number("commits"), let d = number("decisions") else { return nil }
    return (c, d)
  }

  /// Sends SIGTERM and waits for the exit status.
  func terminate() -> Int32 {
    kill(process.processIdentifier, SIGTERM)
    process.waitUntilExit()
    return process.terminationStatus
  }
}
