// `sentinel serve`: the scoring daemon. Compiles (or loads) the rule set here, then hands the
// verified bundle to SentinelServer, which never sees the compiler.

import ArgumentParser
import Foundation
import Logging
import SentinelRuntime
import SentinelServer
import SentinelState
import Synchronization

/// Runs the scoring daemon.
public struct ServeCommand: ParsableCommand {
  /// The command's name, help and examples.
  public static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "Run the scoring daemon: decide events over HTTP, with state in SQLite.",
    discussion: """
      Decides events posted over HTTP with the rule set, keeping aggregates, decisions and
      processed event ids in a SQLite database (WAL, synchronous=FULL). A decision is answered
      only after the transaction holding it is durable; concurrent requests share a transaction
      (group commit). SIGTERM or SIGINT stops accepting connections, finishes the requests in
      flight, commits and exits 0.

      Routes: POST /v1/decisions, POST /v1/decisions/batch, GET /v1/decisions/{event_id},
      GET /healthz, GET /readyz, GET /metrics (Prometheus), GET /openapi.json
      (docs/operations.md, docs/openapi.yaml).

      Hardening: bodies over --max-body get 413, bodies slower than --body-timeout 408,
      connections idle for --idle-timeout are closed, a Host outside --allowed-hosts gets 421,
      and each key (bearer token, else client address) over --rate-limit gets 429 with
      Retry-After. Logs are JSON lines on standard error, one per request with its
      X-Request-Id; they never hold request bodies or API keys.

      Once listening, writes `listening on http://HOST:PORT` to standard output (with
      --listen HOST:0, PORT is the port picked).

      Examples:
        sentinel serve
        sentinel serve --rules rules.sbc --db /var/lib/sentinel/state.db --listen 0.0.0.0:8080
        curl -s localhost:8080/v1/decisions -d '{"event_id":"e-1","type":"login",…}'
      """)

  @Option(
    help: ArgumentHelp(
      "Rule files or directories, or a compiled bundle (.sbc). Default: rules/ in the working directory.",
      valueName: "path"))
  var rules: [String] = []

  @Option(help: ArgumentHelp("The SQLite state database (created when missing).", valueName: "file.db"))
  var db = "sentinel.db"

  @Option(help: ArgumentHelp("The address to listen on (port 0: any free port).", valueName: "host:port"))
  var listen = "127.0.0.1:8080"

  @Option(help: "Commit as soon as this many decisions are pending (group commit).")
  var commitBatch = 256

  @Option(help: "Commit at most this many milliseconds after the first pending decision.")
  var commitDelayMs = 2

  @Option(help: "The largest request body accepted, in bytes.")
  var maxBody = 64 * 1024

  @Option(
    help: ArgumentHelp(
      "Host names the daemon answers to, comma-separated (`*`: any). "
        + "Default: localhost, 127.0.0.1, ::1 and the --listen host unless it is a wildcard.",
      valueName: "names"))
  var allowedHosts: String?

  @Option(help: "Requests per second per key on /v1/ routes (0: no limit).")
  var rateLimit: Double = 1000

  @Option(help: "Requests a key may send at once (the token bucket's size).")
  var rateBurst: Double = 2000

  @Option(help: "Close a connection with no complete request part for this many seconds.")
  var idleTimeout: Double = 30

  @Option(help: "Answer 408 (and close) when a request body takes longer than this many seconds.")
  var bodyTimeout: Double = 10

  @Option(help: ArgumentHelp("Log lines: `json` (one object per line) or `text`.", valueName: "json|text"))
  var logFormat = "json"

  @Option(help: ArgumentHelp("The lowest level logged (trace … critical).", valueName: "level"))
  var logLevel = "info"

  @Flag(help: .hidden)
  var benchConstantRoute = false

  /// A command with every option at its default.
  public init() {}

  /// `HOST:PORT` split (the host may be a bracketed IPv6 address).
  static func parseListen(_ text: String) -> (host: String, port: Int)? {
    guard let colon = text.lastIndex(of: ":") else { return nil }
    var host = String(text[..<colon])
    if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
      return nil
    }
    return (host, port)
  }

  /// Checks `--listen` and the numeric options before anything is loaded.
  public func validate() throws {
    guard Self.parseListen(listen) != nil else {
      throw ValidationError("--listen `\(listen)` is not HOST:PORT (for example 127.0.0.1:8080)")
    }
    guard commitBatch >= 1 else { throw ValidationError("--commit-batch must be at least 1") }
    guard commitDelayMs >= 0 else { throw ValidationError("--commit-delay-ms must not be negative") }
    guard maxBody >= 1 else { throw ValidationError("--max-body must be at least 1") }
    guard rateLimit >= 0, rateLimit.isFinite else { throw ValidationError("--rate-limit must be 0 or more") }
    guard rateBurst >= 1, rateBurst.isFinite else { throw ValidationError("--rate-burst must be at least 1") }
    guard idleTimeout > 0, idleTimeout <= 86_400 else {
      throw ValidationError("--idle-timeout must be more than 0 and at most 86400 seconds")
    }
    guard bodyTimeout > 0, bodyTimeout <= 86_400 else {
      throw ValidationError("--body-timeout must be more than 0 and at most 86400 seconds")
    }
    guard ["json", "text"].contains(logFormat) else {
      throw ValidationError("--log-format must be `json` or `text`, not `\(logFormat)`")
    }
    guard Logger.Level(rawValue: logLevel) != nil else {
      throw ValidationError(
        "--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    if let allowedHosts, Self.hostList(allowedHosts).isEmpty {
      throw ValidationError("--allowed-hosts `\(allowedHosts)` names no host")
    }
  }

  /// The names of `--allowed-hosts` (comma-separated, blanks dropped).
  static func hostList(_ text: String) -> [String] {
    text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
  }

  /// Sends every log line through `--log-format` at `--log-level` (once per process).
  func bootstrapLogging() {
    let level = Logger.Level(rawValue: logLevel) ?? .info
    if logFormat == "json" {
      LoggingSystem.bootstrap { JSONLogHandler(label: $0, level: level) }
    } else {
      LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
      }
    }
  }

  /// Loads the rule set and the database, then serves until SIGTERM or SIGINT.
  public func run() throws {
    var paths = rules
    if paths.isEmpty {
      let cwd = FileManager.default.currentDirectoryPath
      var isDir: ObjCBool = false
      guard FileManager.default.fileExists(atPath: cwd + "/rules", isDirectory: &isDir), isDir.boolValue
      else {
        printError(
          "no --rules given and no `rules/` directory in `\(cwd)`: run from the repository root, "
            + "or pass --rules PATH (rule files, a directory, or a compiled .sbc bundle)")
        throw ExitCode(1)
      }
      paths = ["rules"]
    }
    let bundle = try loadRuleSet(paths)
    let store: SQLiteStateStore
    do {
      store = try SQLiteStateStore(path: db)
    } catch {
      printError("\(error)")
      throw ExitCode(1)
    }
    guard let (host, port) = Self.parseListen(listen) else { throw ExitCode(2) }
    bootstrapLogging()
    let config = ServerConfiguration(
      host: host, port: port, maxBodyBytes: maxBody,
      decisions: DecisionServiceOptions(maxPending: commitBatch, commitDelay: .milliseconds(commitDelayMs)),
      allowedHosts: allowedHosts.map { HostAllowList(Self.hostList($0)) }, rateLimit: rateLimit,
      rateBurst: rateBurst, idleTimeout: .milliseconds(Int64(idleTimeout * 1000)),
      bodyTimeout: .milliseconds(Int64(bodyTimeout * 1000)), benchConstantRoute: benchConstantRoute)
    let rulesText = paths.joined(separator: " ")
    let dbPath = db
    let outcome = Self.runBlocking {
      try await DecisionServer.run(
        bundle: bundle, store: store, configuration: config, logger: Logger(label: "sentinel")
      ) { bound in
        let shown = host.contains(":") ? "[\(host)]" : host
        let line =
          "listening on http://\(shown):\(bound) (rules: \(rulesText), bundle \(bundle.digest), db: \(dbPath))\n"
        FileHandle.standardOutput.write(Data(line.utf8))
      }
    }
    if let outcome {
      printError("sentinel serve: \(outcome)")
      throw ExitCode(1)
    }
  }

  /// Runs `body` to completion from this synchronous command, returning its error, if any.
  // NOTE: the root command is synchronous (`Sentinel.main()`), so the daemon's async world runs
  // on the concurrency pool while this thread waits; the main thread is not part of that pool.
  static func runBlocking(_ body: @escaping @Sendable () async throws -> Void) -> String? {
    let failure = Mutex<String?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task {
      do { try await body() } catch { failure.withLock { $0 = "\(error)" } }
      done.signal()
    }
    done.wait()
    return failure.withLock { $0 }
  }
}
