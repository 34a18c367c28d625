// A real redis-server on a free loopback port (started and stopped by the tests), the real
// `sentinel consume` process, and helpers to produce and read streams.

import Foundation
import SentinelModel
import SentinelState
import SentinelStreams
import SentinelTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

typealias Repo = TestRepository

extension TestRepository {
  /// Whether `redis-server` is installed (`.ci/run` installs it).
  static var redisServer: String? {
    for p in ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]
    where FileManager.default.isExecutableFile(atPath: p) {
      return p
    }
    return nil
  }
}

/// A redis-server process on a free loopback port, with its data in a temporary folder.
final class RedisServer {
  let port: Int
  let dir: String
  let appendOnly: Bool
  var process: Process?

  init(appendOnly: Bool = false) throws {
    port = try freePort()
    dir = try Repo.temporaryFolder()
    self.appendOnly = appendOnly
    try start()
  }

  var url: String { "redis://127.0.0.1:\(port)" }
  var endpoint: RedisEndpoint { RedisEndpoint(host: "127.0.0.1", port: port) }

  /// Starts (or restarts) the server and waits until it answers PING.
  func start() throws {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: try #require(Repo.redisServer, "redis-server is not installed"))
    p.arguments = [
      "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", appendOnly ? "yes" : "no",
      "--appendfsync", "always", "--dir", dir, "--protected-mode", "no",
    ]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    process = p
    let c = RedisConnection(endpoint: endpoint, connectTimeout: .milliseconds(200))
    // A generous deadline: a loaded CI machine (the whole suite runs in parallel) can take
    // seconds to start a process, and an append-only restart reloads its file first.
    let answered = try waitUntil(60) { (try? c.command(["PING"])) == .status("PONG") }
    if !answered { throw TestFailure("redis-server on port \(port) did not answer within 60 s") }
  }

  /// SIGKILL, no shutdown save.
  func kill9() {
    guard let p = process else { return }
    kill(p.processIdentifier, SIGKILL)
    p.waitUntilExit()
    process = nil
  }

  deinit { kill9() }

  func connection() -> RedisConnection { RedisConnection(endpoint: endpoint) }
}

/// A running `sentinel consume`.
final class ConsumerProcess {
  let process: Process
  let log: String

  init(
    redis: RedisServer, db: String, rules: String = Repo.rules, arguments: [String] = [],
    environment: [String: String] = [:], log: String
  ) throws {
    self.log = log
    if !FileManager.default.fileExists(atPath: log),
      !FileManager.default.createFile(atPath: log, contents: nil)
    {
      throw TestFailure("cannot create the log file \(log)")
    }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: try Repo.requireSentinel())
    p.arguments =
      [
        "consume", "--redis", redis.url, "--rules", rules, "--db", db, "--stream", "events", "--group",
        "sentinel", "--output", "decisions", "--dead-letter", "dead", "--block-ms", "100",
      ] + arguments
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    p.environment = env
    p.standardOutput = FileHandle.nullDevice
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
    handle.seekToEndOfFile()
    p.standardError = handle
    try p.run()
    process = p
  }

  var isRunning: Bool { process.isRunning }

  /// Whether the process is stopped (SIGSTOP): state `T` in `/proc/PID/stat`.
  var isStopped: Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
      let close = stat.lastIndex(of: ")")
    else { return false }
    return stat[stat.index(after: close)...].split(separator: " ").first == "T"
  }

  /// Whether the process holds a POSIX write lock on any file (`/proc/locks`). In WAL mode SQLite
  /// holds one only inside a write transaction (the WAL write lock), or briefly while it opens or
  /// checkpoints; a consumer frozen between transactions holds none.
  var holdsFileWriteLock: Bool {
    let pid = String(process.processIdentifier)
    let locks = (try? String(contentsOfFile: "/proc/locks", encoding: .utf8)) ?? ""
    // `1: POSIX  ADVISORY  WRITE 4774 fe:00:16426425 120 120` (a waiter's line has `->` second).
    return locks.split(separator: "\n").contains { line in
      let f = line.split(separator: " ")
      return f.count >= 5 && f[1] == "POSIX" && f[3] == "WRITE" && f[4] == pid
    }
  }

  /// The log so far.
  var logText: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

  /// The end of the log, for failure messages.
  var logTail: String { String(logText.suffix(3000)) }

  /// Waits until the consumer logs that it is consuming (start-up, rule compilation and the
  /// first connection done); false after `seconds`.
  func waitUntilConsuming(_ seconds: Double = 120) throws -> Bool {
    try waitUntil(seconds) {
      (try? String(contentsOfFile: log, encoding: .utf8))?.contains("consuming") ?? false
    }
  }

  func signal(_ s: Int32) { kill(process.processIdentifier, s) }

  func kill9() {
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
  }

  /// SIGTERM, then waits; returns the exit status.
  func terminate() -> Int32 {
    signal(SIGTERM)
    process.waitUntilExit()
    return process.terminationStatus
  }

  deinit { kill9() }
}

/// Producing and reading streams.
extension RedisConnection {
  /// XADDs each line to `stream` (field `event`), pipelined.
  func produce(_ lines: [String], stream: String, partitioning: Partitioning? = nil) throws {
    var commands: [[[UInt8]]] = []
    for l in lines {
      let target = partitioning.map { $0.streamName($0.partition(ofEvent: Array(l.utf8))) } ?? stream
      commands.append(["XADD", target, "*", "event", l].map { Array($0.utf8) })
      if commands.count == 500 {
        try check(pipeline(commands))
        commands = []
      }
    }
    try check(pipeline(commands))
  }

  private func check(_ replies: [RedisReply]) throws {
    for r in replies { if case .error(let m) = r { throw TestFailure("XADD: \(m)") } }
  }

  /// Every entry's fields of `stream`, in order (XRANGE).
  func entries(_ stream: String) throws -> [[String: String]] {
    var out: [[String: String]] = []
    var start = "-"
    while true {
      let reply = try command(["XRANGE", stream, start, "+", "COUNT", "1000"])
      guard let items = reply.array, !items.isEmpty else { break }
      for item in items {
        guard let pair = item.array, pair.count == 2, let id = pair[0].string, let f = pair[1].array else {
          continue
        }
        var fields: [String: String] = [:]
        var i = 0
        while i + 1 < f.count {
          fields[f[i].string ?? ""] = f[i + 1].string ?? ""
          i += 2
        }
        out.append(fields)
        start = "(" + id
      }
    }
    return out
  }

  /// The decision lines of the output stream.
  func decisions(_ stream: String = "decisions") throws -> [String] {
    try entries(stream).compactMap { $0["decision"] }
  }

  /// The group's pending count on `stream`.
  func pendingCount(_ stream: String, group: String = "sentinel") throws -> Int {
    let reply = try command(["XPENDING", stream, group])
    return Int(reply.array?.first?.integer ?? -1)
  }

  /// How many of `stream`'s entries are pending with `consumer` (up to 10,000).
  func pendingCount(_ stream: String, consumer: String, group: String = "sentinel") throws -> Int {
    try command(["XPENDING", stream, group, "-", "+", "10000", consumer]).array?.count ?? -1
  }

  /// The group's lag on `stream`: entries not yet delivered to any consumer (XINFO GROUPS,
  /// Redis 7), or nil when Redis does not know it.
  func lag(_ stream: String, group: String = "sentinel") throws -> Int? {
    for g in try command(["XINFO", "GROUPS", stream]).array ?? [] {
      guard let info = g.fields else { continue }
      if info["name"]?.string == group { return info["lag"]?.integer.map(Int.init) }
    }
    return nil
  }
}

/// The event id of a JSON line, if it has a string one.
func eventID(_ line: String) -> String? {
  guard case .map(let m)? = try? JSONReader.parse(line), case .string(let id)? = m[string: "event_id"] else {
    return nil
  }
  return id
}
