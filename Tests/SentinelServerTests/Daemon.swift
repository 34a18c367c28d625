// A real `sentinel serve` process on a free loopback port with a temporary database, and a
// minimal HTTP client (URLSession) to talk to it. No HummingbirdTesting: the daemon is tested
// the way it runs.

import Foundation
import SentinelModel
import SentinelTestSupport
import Testing

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif
#if canImport(Glibc)
  import Glibc
#endif

typealias Repo = TestRepository

/// One HTTP answer.
struct HTTPAnswer: Sendable {
  let status: Int
  let body: String
  /// The `WWW-Authenticate` header, when there is one.
  var challenge: String? = nil
  /// Response headers, by lower-cased name.
  var headers: [String: String] = [:]

  /// The header `name` (any case).
  func header(_ name: String) -> String? { headers[name.lowercased()] }

  /// The body as a JSON map (nil when it is not one).
  var map: MapValue? {
    if case .map(let m)? = try? JSONReader.parse(body) { return m }
    return nil
  }
}

/// A running daemon.
final class Daemon: Sendable {
  /// The fixed demo key every test daemon is started with (`--demo-key`): tenant `default`,
  /// every scope. Requests send it unless told otherwise.
  static let demoKey = "sk_test_0123456789abcdef0123456789abcdef"

  let process: Process
  let port: Int
  let db: String
  /// The daemon's standard error (its logs).
  let log: String
  /// What the daemon wrote to standard output up to its `listening on` line.
  let banner: String
  let session: URLSession

  /// The API key the tests present by default: the daemon's `--demo-key`.
  static var apiKey: String? { demoKey }

  /// Headers every request of the tests carries (the one place for credentials).
  static var commonHeaders: [String: String] { ["Authorization": "Bearer \(demoKey)"] }

  /// Starts `sentinel serve` on port 0 and waits for its `listening on` line. `db` reuses a
  /// database (a restart); `rules` replaces the reference rules; `demoKey` nil starts it
  /// without `--demo-key` (it then prints one).
  init(
    extraArguments: [String] = [], db reuse: String? = nil, rules: String? = nil,
    demoKey: String? = Daemon.demoKey
  ) throws {
    let dir = try Repo.temporaryFolder()
    db = reuse ?? dir + "/state.db"
    log = dir + "/stderr.log"
    _ = FileManager.default.createFile(atPath: log, contents: nil)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: try Repo.requireSentinel())
    p.arguments =
      ["serve", "--rules", rules ?? Repo.rules, "--db", db, "--listen", "127.0.0.1:0"]
      + (demoKey.map { ["--demo-key", $0] } ?? []) + extraArguments
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
    banner = text
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

  /// One request; `key` goes in `Authorization: Bearer` (nil: no header); `headers` are added.
  func request(
    _ method: String, _ path: String, body: String? = nil, bytes: [UInt8]? = nil, timeout: TimeInterval = 60,
    contentType: String = "application/json", headers: [String: String] = [:], key: String? = Daemon.demoKey
  ) async throws -> HTTPAnswer {
    var r = URLRequest(url: try #require(URL(string: "http://127.0.0.1:\(port)\(path)")))
    r.httpMethod = method
    r.timeoutInterval = timeout
    if let body {
      r.httpBody = Data(body.utf8)
      r.setValue(contentType, forHTTPHeaderField: "Content-Type")
    }

    if let bytes {
      r.httpBody = Data(bytes)
      r.setValue("application/octet-stream", forHTTPHeaderField: "Content-Type")
    }
    if let key { r.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
    // After the key: a test may replace `Authorization` itself.
    for (name, value) in headers { r.setValue(value, forHTTPHeaderField: name) }
    let (data, response) = try await session.data(for: r)
    let http = response as? HTTPURLResponse
    var fields: [String: String] = [:]
    for (k, v) in http?.allHeaderFields ?? [:] {
      if let k = k as? String, let v = v as? String { fields[k.lowercased()] = v }
    }
    return HTTPAnswer(
      status: http?.statusCode ?? -1, body: String(decoding: data, as: UTF8.self),
      challenge: http?.value(forHTTPHeaderField: "WWW-Authenticate"), headers: fields)
  }

  func post(
    _ path: String, _ body: String, timeout: TimeInterval = 60, contentType: String = "application/json",
    headers: [String: String] = [:], key: String? = Daemon.demoKey
  ) async throws -> HTTPAnswer {
    try await request(
      "POST", path, body: body, timeout: timeout, contentType: contentType, headers: headers, key: key)
  }

  /// Sends `head` (request line and headers, without the final blank line: the credentials of
  /// `commonHeaders` and the blank line are added) and then `body`, on a new raw TCP connection,
  /// and returns everything the daemon wrote until it closed the connection or `timeout` passed,
  /// with the time that took. For what URLSession cannot send: another Host, a stalled request.
  func raw(
    _ head: String, body: [UInt8] = [], pauseBeforeBody: Swift.Duration = .zero, finishHead: Bool = true,
    timeout: Swift.Duration = .seconds(10)
  ) throws -> (text: String, closed: Bool, elapsed: Swift.Duration) {
    let connection = try RawConnection(port: port)
    var text = head
    if finishHead {
      for (name, value) in Self.commonHeaders { text += "\r\n\(name): \(value)" }
      text += "\r\n\r\n"
    }
    let start = ContinuousClock.now
    try connection.send(Array(text.utf8))
    if pauseBeforeBody > .zero { Thread.sleep(forTimeInterval: Self.seconds(pauseBeforeBody)) }
    if !body.isEmpty { try connection.send(body) }
    let (data, closed) = connection.readUntilClosed(timeout: timeout)
    return (String(decoding: data, as: UTF8.self), closed, ContinuousClock.now - start)
  }

  static func seconds(_ d: Swift.Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
  }

  func get(_ path: String, key: String? = Daemon.demoKey) async throws -> HTTPAnswer {
    try await request("GET", path, key: key)
  }

  /// `PUT /v1/bundle` with `bytes`.
  func putBundle(_ bytes: [UInt8], key: String? = Daemon.demoKey) async throws -> HTTPAnswer {
    try await request("PUT", "/v1/bundle", bytes: bytes, key: key)
  }

  /// The daemon's log so far.
  func logText() throws -> String { try Repo.read(log) }

  /// The commit and decision counts of the shutdown log line, once the daemon has stopped
  /// (JSON logs: `"commits":"N"`; text logs: `commits=N`).
  func commitCounts() throws -> (commits: Int, decisions: Int)? {
    let text = try Repo.read(log)
    guard let line = text.split(separator: "\n").last(where: { $0.contains("decision service stopped") })
    else {
      return nil
    }
    func number(_ key: String) -> Int? {
      guard let r = line.range(of: "\"" + key + "\":\"") ?? line.range(of: key + "=") else { return nil }
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

/// Runs `sentinel ARGUMENTS` to completion: exit status, standard output, standard error.
func runSentinel(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
  let p = Process()
  p.executableURL = URL(fileURLWithPath: try Repo.requireSentinel())
  p.arguments = arguments
  let dir = try Repo.temporaryFolder()
  let outPath = dir + "/out"
  let errPath = dir + "/err"
  _ = FileManager.default.createFile(atPath: outPath, contents: nil)
  _ = FileManager.default.createFile(atPath: errPath, contents: nil)
  p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
  p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
  try p.run()
  p.waitUntilExit()
  return (p.terminationStatus, try Repo.read(outPath), try Repo.read(errPath))
}

/// Makes an API key with `sentinel keys create` and returns it (the last line of its output).
func createKey(db: String, tenant: String, scopes: String) throws -> String {
  let r = try runSentinel(["keys", "create", "--db", db, "--tenant", tenant, "--scopes", scopes])
  #expect(r.status == 0, "keys create: \(r.err)")
  return try #require(r.out.split(separator: "\n").last.map(String.init), "no key printed: \(r.out)")
}

/// Compiles `rules` (a file or folder) with `sentinel compile` into a bundle file; `sign` is a
/// private key file. Returns the bundle's bytes.
func compileBundle(_ rules: String, to output: String, sign: String? = nil) throws -> [UInt8] {
  let r = try runSentinel(["compile", rules, "-o", output] + (sign.map { ["--sign", $0] } ?? []))
  #expect(r.status == 0, "compile: \(r.err)")
  return [UInt8](try Data(contentsOf: URL(fileURLWithPath: output)))
}

/// A blocking TCP connection to the daemon on loopback (POSIX sockets).
final class RawConnection {
  let fd: Int32

  init(port: Int) throws {
    #if canImport(Glibc)
      fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
      fd = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    guard fd >= 0 else { throw RawConnectionError(message: "socket() failed") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let result = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard result == 0 else {
      close(fd)
      throw RawConnectionError(message: "connect() failed")
    }
  }

  deinit { close(fd) }

  func send(_ bytes: [UInt8]) throws {
    var offset = 0
    while offset < bytes.count {
      let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
      guard n > 0 else { throw RawConnectionError(message: "write() failed") }
      offset += n
    }
  }

  /// Everything read until the peer closes (closed: true) or `timeout` passes (closed: false).
  func readUntilClosed(timeout: Swift.Duration) -> (data: [UInt8], closed: Bool) {
    let deadline = ContinuousClock.now + timeout
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
      let left = deadline - ContinuousClock.now
      guard left > .zero else { return (out, false) }
      var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      let millis: Int64 = left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000
      let ms = Int32(clamping: max(1, millis))
      let ready = poll(&pfd, 1, ms)
      if ready <= 0 { continue }
      let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if n <= 0 { return (out, true) }
      out += buffer[0..<n]
    }
  }
}

struct RawConnectionError: Error {
  let message: String
}
