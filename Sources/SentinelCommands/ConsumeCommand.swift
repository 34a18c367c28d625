// `sentinel consume`: decide events from Redis Streams with exactly-once effects. Compiles (or
// loads) the rule set here, then hands the verified bundle to SentinelStreams.

import ArgumentParser
import Foundation
import Logging
import SentinelRuntime
import SentinelState
import SentinelStreams
import ServiceLifecycle
import Synchronization

/// Consumes a Redis stream through a consumer group.
public struct ConsumeCommand: ParsableCommand {
  /// The command's name, help and examples.
  public static let configuration = CommandConfiguration(
    commandName: "consume",
    abstract: "Decide events from a Redis stream (consumer group), publishing decisions to a stream.",
    discussion: """
      Reads entries from the input stream through a consumer group (field `event`: the event's
      JSON), decides each with the rule set and state in SQLite, and writes each decision to the
      output stream (field `decision`: the line `sentinel replay` writes). Per batch: one SQLite
      transaction holds the states, the decisions and an outbox; then the outbox is written to
      Redis, the entries are acknowledged and the outbox is marked published. Each event id gets
      exactly one decision, even across crashes (docs/operations.md, "Redis Streams").

      Malformed events, entries without `event` and entries delivered more than --max-deliveries
      times go to the dead-letter stream (fields `event`, `error`). An event id already decided is
      acknowledged and not published again. SIGTERM or SIGINT finishes the batch in hand
      (committed, published, acknowledged) and exits 0.

      Pipeline (default): a batch's transaction and its fsync run on a second thread while the
      next batch is read and decided; a batch is published and acknowledged only once its
      commit returned, one commit in flight at a time. --no-pipeline: one batch after the
      other, on one thread (the same decisions and output stream).

      Partitions: with --of N the input is N streams STREAM:0 … STREAM:N-1, split by user id
      (`sentinel produce --of N` writes them); this consumer owns --partitions (default: all).

      Examples:
        sentinel consume --redis redis://127.0.0.1:6379 --stream events --group sentinel --output decisions
        sentinel consume --stream events --of 4 --partitions 0,1 --db p01.db --consumer c1
      """)

  @OptionGroup(title: "Redis Streams")
  var streams: StreamOptions

  @Option(
    help: ArgumentHelp(
      "Rule files or directories, or a compiled bundle (.sbc). Default: rules/ in the working directory.",
      valueName: "path"))
  var rules: [String] = []

  @Option(help: ArgumentHelp("The SQLite state database (created when missing).", valueName: "file.db"))
  var db = "sentinel.db"

  @Option(help: "The tenant: one set of streams per tenant; its state and processed ids are kept apart.")
  var tenant = "default"

  @Option(
    help: ArgumentHelp(
      "Decisions committed between two folds of the event-id index and the states into their "
        + "key-ordered tables (more: fewer pages written, more memory for the tail).",
      valueName: "decisions"))
  var foldEvery = SQLiteStateStore.defaultFoldEvery

  /// A command with every option at its default.
  public init() {}

  /// Checks the options before anything is loaded.
  public func validate() throws {
    try streams.check()
    guard !tenant.isEmpty else { throw ValidationError("--tenant must not be empty") }
    guard foldEvery >= 1 else { throw ValidationError("--fold-every must be at least 1") }
  }

  /// Loads the rule set, then consumes until SIGTERM or SIGINT.
  public func run() throws {
    let paths = try defaultRulePaths(rules)
    var config = try streams.configuration(tenant: tenant, databasePath: db)
    config.databaseFoldEvery = foldEvery
    // Open the database once here so that a bad --db is reported before Redis is touched — on
    // another thread while the rules load (creating a database waits for a few fsyncs). A bad
    // rule set is still reported first.
    let (db, tenant) = (self.db, self.tenant)
    let databaseCheck = BackgroundCheck {
      do {
        try SQLiteStateStore(path: db, tenant: tenant).close()
        return nil
      } catch {
        return "\(error)"
      }
    }
    // The screening indexes are built on another thread while the consumer starts (database,
    // Redis, the first reads): the first event that screens a name waits for its list's index
    // (docs/performance.md, "session 13"). A daemon builds them before it serves.
    let bundle = try loadRuleSet(paths, buildIndexes: false)
    let screening = bundle.screening
    Thread.detachNewThread { screening.prepare() }
    if let message = databaseCheck.failure {
      printError(message)
      throw ExitCode(1)
    }
    let logger = Logger(label: "sentinel")
    let consumerService = StreamConsumer(bundle: bundle, configuration: config, logger: logger)
    let outcome = ServeCommand.runBlocking {
      let group = ServiceGroup(
        configuration: .init(
          services: [.init(service: consumerService)], gracefulShutdownSignals: [.sigterm, .sigint],
          logger: logger))
      try await group.run()
    }
    if let outcome {
      printError("sentinel consume: \(outcome)")
      throw ExitCode(1)
    }
  }
}

/// The rule paths: those given, or `rules/` in the working directory (as `sentinel serve`).
func defaultRulePaths(_ given: [String]) throws -> [String] {
  if !given.isEmpty { return given }
  let cwd = FileManager.default.currentDirectoryPath
  var isDir: ObjCBool = false
  guard FileManager.default.fileExists(atPath: cwd + "/rules", isDirectory: &isDir), isDir.boolValue else {
    printError(
      "no --rules given and no `rules/` directory in `\(cwd)`: run from the repository root, "
        + "or pass --rules PATH (rule files, a directory, or a compiled .sbc bundle)")
    throw ExitCode(1)
  }
  return ["rules"]
}

/// The Redis Streams options of `sentinel consume` (and of `sentinel serve --redis`).
struct StreamOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "The Redis server (consume: default redis://127.0.0.1:6379).", valueName: "redis://host:port[/db]"))
  var redis: String?

  @Option(help: "The input stream (with --of N: the prefix of STREAM:0 … STREAM:N-1).")
  var stream = "events"

  @Option(help: "The consumer group.")
  var group = "sentinel"

  @Option(help: "The output stream for decisions.")
  var output = "decisions"

  @Option(help: "This consumer's name in the group (default: host name and process id).")
  var consumer: String?

  @Option(help: "The dead-letter stream (default: STREAM:dead).")
  var deadLetter: String?

  @Option(help: ArgumentHelp("The number of partitions (streams STREAM:0 … STREAM:N-1).", valueName: "N"))
  var of: Int?

  @Option(help: ArgumentHelp("The partitions this consumer owns (default: all).", valueName: "0,1,…"))
  var partitions: String?

  @Option(help: "Entries per read and per stream (the batch bound).")
  var batch = 512

  @Option(help: "How long a read waits for new entries, in milliseconds (XREADGROUP BLOCK).")
  var blockMs = 500

  @Option(help: "An entry delivered more times than this is dead-lettered.")
  var maxDeliveries = 5

  @Option(help: "Claim entries idle this long with another consumer, in milliseconds (XAUTOCLAIM).")
  var claimIdleMs = 30_000

  @Flag(
    inversion: .prefixedNo,
    help:
      "Commit each batch on a second thread while the next one is read and decided (the decisions and the output stream are the same)."
  )
  var pipeline = true

  /// The owned partitions, checked.
  func ownedPartitions() throws -> [Int] {
    guard let n = of else {
      if partitions != nil { throw ValidationError("--partitions needs --of N (the number of partitions)") }
      return [0]
    }
    guard let text = partitions else { return Array(0..<n) }
    var out: [Int] = []
    for item in text.split(separator: ",", omittingEmptySubsequences: false) {
      guard let p = Int(item.trimmingCharacters(in: .whitespaces)), (0..<n).contains(p) else {
        throw ValidationError("--partitions: `\(item)` is not a partition number from 0 to \(n - 1)")
      }
      if !out.contains(p) { out.append(p) }
    }
    return out
  }

  /// The Redis URL (default `redis://127.0.0.1:6379`).
  var url: String { redis ?? "redis://127.0.0.1:6379" }

  /// Checks the options.
  func check() throws {
    do { _ = try RedisEndpoint(url: url) } catch { throw ValidationError("--redis: \(error)") }
    if let n = of, n < 1 || n > 4096 { throw ValidationError("--of must be from 1 to 4096") }
    _ = try ownedPartitions()
    guard batch >= 1 && batch <= 100_000 else { throw ValidationError("--batch must be from 1 to 100000") }
    guard blockMs >= 1 else { throw ValidationError("--block-ms must be at least 1") }
    guard maxDeliveries >= 1 else { throw ValidationError("--max-deliveries must be at least 1") }
    guard claimIdleMs >= 1 else { throw ValidationError("--claim-idle-ms must be at least 1") }
    for (name, value) in [("--stream", stream), ("--group", group), ("--output", output)] where value.isEmpty
    {
      throw ValidationError("\(name) must not be empty")
    }
  }

  /// The consumer's configuration.
  func configuration(tenant: String, databasePath: String) throws -> StreamConsumerConfiguration {
    let host = ProcessInfo.processInfo.hostName
    return StreamConsumerConfiguration(
      endpoint: try RedisEndpoint(url: url), partitioning: Partitioning(stream: stream, count: of),
      partitions: try ownedPartitions(), group: group,
      consumer: consumer ?? "\(host)-\(ProcessInfo.processInfo.processIdentifier)", output: output,
      deadLetter: deadLetter ?? "\(stream):dead", tenant: tenant, databasePath: databasePath,
      batchSize: batch,
      block: .milliseconds(blockMs), maxDeliveries: maxDeliveries, claimIdle: .milliseconds(claimIdleMs),
      crashPoints: StreamConsumerConfiguration.crashPoints(
        from: ProcessInfo.processInfo.environment["SENTINEL_STREAMS_CRASH"]), pipeline: pipeline)
  }

  /// Options at their defaults.
  init() {}
}

/// A check run on a thread of its own; `failure` waits for it: nil when it passed, else what
/// went wrong.
final class BackgroundCheck: Sendable {
  private let done = DispatchSemaphore(value: 0)
  private let message = Mutex<String?>(nil)

  /// Starts `body` on a new thread: it returns nil when the check passed, else the message.
  init(_ body: @escaping @Sendable () -> String?) {
    Thread.detachNewThread { [self] in
      let m = body()
      message.withLock { $0 = m }
      done.signal()
    }
  }

  /// Waits for the check: nil when it passed, else its message.
  var failure: String? {
    done.wait()
    done.signal()
    return message.withLock { $0 }
  }
}
