// `sentinel serve`: the scoring daemon. Compiles (or loads) the rule set here, then hands the
// verified bundle to SentinelServer, which never sees the compiler.

import ArgumentParser
import CMallocCounter
import Foundation
import Logging
import SentinelCompiler
import SentinelCrypto
import SentinelRuntime
import SentinelServer
import SentinelState
import SentinelStreams
import ServiceLifecycle
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
      GET/PUT /v1/bundle, GET /healthz, GET /readyz (docs/operations.md). Every /v1 route needs
      `Authorization: Bearer KEY`: keys come from `sentinel keys create` (stored in --db), and
      a demo key (tenant `default`, every scope) is printed at start unless --demo-key or
      --no-demo-key is given. The key's tenant selects the bundle and the state: --rules is the
      bundle of the tenant `default`; other tenants upload theirs with PUT /v1/bundle (stored in
      --db, restored at start). SIGHUP reloads --rules with the same checks.

      GET /metrics (Prometheus) and GET /openapi.json (docs/openapi.yaml) are open.

      Retention: with --retention-days N, decision records committed more than N days ago are
      pruned at start and every --retention-interval seconds, as `sentinel audit prune` does (a
      chain that does not verify is not pruned; each tenant keeps an anchor to verify from).

      Hardening: bodies over --max-body get 413, bodies slower than --body-timeout 408,
      connections idle for --idle-timeout are closed, a Host outside --allowed-hosts gets 421,
      and each key (bearer token, else client address) over --rate-limit gets 429 with
      Retry-After. Logs are JSON lines on standard error, one per request with its
      X-Request-Id; they never hold request bodies or API keys.

      Once listening, writes `listening on http://HOST:PORT` to standard output (with
      --listen HOST:0, PORT is the port picked).

      Examples:
        sentinel serve
        sentinel serve --rules rules.sbc --trusted-key release.pub --db /var/lib/sentinel/state.db \\
          --listen 0.0.0.0:8080 --no-demo-key
        curl -s localhost:8080/v1/decisions -H "Authorization: Bearer $KEY" -d '{"event_id":"e-1",…}'
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

  @Option(
    help: """
      Wait at most this many milliseconds after the first pending decision for more to join its \
      commit (0: commit at once; decisions made while a commit runs form the next one).
      """)
  var commitDelayMs = 0

  @Option(help: "The largest request body accepted, in bytes.")
  var maxBody = 64 * 1024

  @Option(help: "The largest bundle PUT /v1/bundle accepts, in bytes.")
  var maxBundleBytes = 16 * 1024 * 1024

  @Option(
    name: .customLong("trusted-key"),
    help: ArgumentHelp(
      "A public key (`sentinel keygen`'s .pub) whose signature bundles must carry: uploaded bundles, stored ones and a --rules .sbc (repeatable).",
      valueName: "file.pub"))
  var trustedKeys: [String] = []

  @Option(
    help: ArgumentHelp(
      "Accept this fixed key as the demo key (tenant `default`, every scope) instead of printing a new one.",
      valueName: "key"))
  var demoKey: String?

  @Flag(help: "No demo key: only keys made with `sentinel keys create` are accepted.")
  var noDemoKey = false

  // With --redis, the daemon also consumes a Redis stream (tenant `stream`; docs/operations.md).
  @OptionGroup(title: "Redis Streams (with --redis: also consume a stream, as `sentinel consume`)")
  var streams: StreamOptions

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

  @Option(
    help: ArgumentHelp(
      "Return the allocator's free memory to the system every this many seconds (0: never).",
      valueName: "seconds"))
  var trimInterval: Double = 5

  @Option(
    help: ArgumentHelp(
      "SQLite's page cache for the state database, in MiB (it fills up to this size and stays; "
        + "replay uses 32). The stream consumer of --redis uses it too.",
      valueName: "MiB"))
  // NOTE: 1 MiB, not SQLite's 2: the daemon's groups write a few pages per decision and read
  // back none of the decision log; after ~60,000 decisions SQLite holds 1.27 MB instead of
  // 2.39 MB, the daemon's CPU per decision unchanged (docs/performance.md, "The commit thread's
  // Swift work").
  var dbCacheMib: Int = 1

  @Option(
    help: ArgumentHelp(
      "The page size of a state database this creates, in bytes (512 … 65536, a power of two; an "
        + "existing database keeps its own; replay and consume create 4096).",
      valueName: "bytes"))
  var dbPageSize: Int = 2048

  @Option(
    help: ArgumentHelp(
      "How many decisions are committed between two folds of the event-id index into its table "
        + "(the states fold every 4 times as many keys). A fold pauses the commits behind it: "
        + "larger values write fewer pages but raise tail latency (docs/performance.md); replay "
        + "and consume use 16384.",
      valueName: "decisions"))
  // NOTE: 256, not 64: a fold dirties about one `event_index` page per new id once the index
  // has more leaves than the fold has ids, so 64 wrote ~0.9 index pages per decision on the
  // benchmark's fresh database; 256 wrote ~22 % fewer bytes and took 3–6 % less daemon CPU
  // per decision, p99 within the spread (docs/performance.md, "Daemon CPU per durable decision").
  var dbFoldEvery: Int = 256

  @Option(
    help: ArgumentHelp(
      "The number of event loops (threads) reading and writing the connections (default: one per "
        + "core, NIO's shared group).",
      valueName: "n"))
  // NOTE: the default stays NIO's one loop per core. On the 2-core machine, with wrk and other
  // processes busy (load 3–7), one loop answered more decisions per second in 8 of 10 rounds.
  // At low load (~1–3), two loops did as well or better (docs/performance.md,
  // "The daemon's event loops"). Fewer loops help only a machine whose cores are contended.
  var eventLoops: Int?

  @Option(
    help: ArgumentHelp(
      "Keep this many days of decisions in the decision log: older records are pruned (as `sentinel "
        + "audit prune --keep-days`) at start and every --retention-interval, leaving each tenant's "
        + "chain verifiable from its anchor (default: keep everything).",
      valueName: "days"))
  var retentionDays: Double?

  @Option(help: ArgumentHelp("Seconds between two prunes of --retention-days.", valueName: "seconds"))
  var retentionInterval: Double = 3600

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
    guard dbCacheMib >= 1 else { throw ValidationError("--db-cache-mib must be at least 1") }
    guard dbFoldEvery >= 1 else { throw ValidationError("--db-fold-every must be at least 1") }
    if let eventLoops, !(1...256).contains(eventLoops) {
      throw ValidationError("--event-loops must be from 1 to 256")
    }
    guard (512...65536).contains(dbPageSize), dbPageSize & (dbPageSize - 1) == 0 else {
      throw ValidationError("--db-page-size must be a power of two from 512 to 65536")
    }
    guard commitDelayMs >= 0 else { throw ValidationError("--commit-delay-ms must not be negative") }
    guard maxBody >= 1 else { throw ValidationError("--max-body must be at least 1") }
    if streams.redis != nil { try streams.check() }
    guard maxBundleBytes >= 1 else { throw ValidationError("--max-bundle-bytes must be at least 1") }
    if let demoKey {
      guard !noDemoKey else { throw ValidationError("--demo-key and --no-demo-key exclude each other") }
      guard demoKey.count >= 16, demoKey.allSatisfy({ $0.isASCII && !$0.isWhitespace && !$0.isNewline })
      else {
        throw ValidationError("--demo-key must be at least 16 printable ASCII characters without spaces")
      }
    }
    guard rateLimit >= 0, rateLimit.isFinite else { throw ValidationError("--rate-limit must be 0 or more") }
    guard rateBurst >= 1, rateBurst.isFinite else { throw ValidationError("--rate-burst must be at least 1") }
    guard idleTimeout > 0, idleTimeout <= 86_400 else {
      throw ValidationError("--idle-timeout must be more than 0 and at most 86400 seconds")
    }
    guard bodyTimeout > 0, bodyTimeout <= 86_400 else {
      throw ValidationError("--body-timeout must be more than 0 and at most 86400 seconds")
    }
    guard trimInterval >= 0, trimInterval <= 86_400 else {
      throw ValidationError("--trim-interval must be 0 (never) or at most 86400 seconds")
    }
    guard ["json", "text"].contains(logFormat) else {
      throw ValidationError("--log-format must be `json` or `text`, not `\(logFormat)`")
    }
    guard Logger.Level(rawValue: logLevel) != nil else {
      throw ValidationError(
        "--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    if let retentionDays {
      guard retentionDays >= 0, retentionDays <= 100_000 else {
        throw ValidationError("--retention-days must be from 0 to 100000")
      }
    }
    guard retentionInterval >= 1, retentionInterval <= 31_536_000 else {
      throw ValidationError("--retention-interval must be from 1 to 31536000 seconds")
    }
    if let allowedHosts, Self.hostList(allowedHosts).isEmpty {
      throw ValidationError("--allowed-hosts `\(allowedHosts)` names no host")
    }
  }

  /// The trusted public keys of `--trusted-key`.
  func loadTrustedKeys() throws -> [Ed25519PublicKey] {
    try trustedKeys.map { path in
      let text: String
      do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
        throw ValidationError("--trusted-key: cannot read `\(path)`")
      }
      do throws(CryptoError) { return try Ed25519PublicKey(pemRepresentation: text) } catch {
        throw ValidationError("--trusted-key `\(path)`: \(error.message)")
      }
    }
  }

  /// The bundle of `paths`: a compiled `.sbc` checked by `loader` (trusted keys apply), or rule
  /// sources compiled here (the operator's own files: no signature to check). Throws
  /// `RulesLoadError` with the reason; prints nothing.
  static func loadBundle(_ paths: [String], loader: BundleLoader) throws -> LoadedBundle {
    if paths.count == 1, paths[0].hasSuffix(".sbc") {
      guard let data = FileManager.default.contents(atPath: paths[0]) else {
        throw RulesLoadError(description: "\(paths[0]): cannot read the file")
      }
      do throws(BundleLoadError) { return try loader.load([UInt8](data)) } catch {
        throw RulesLoadError(description: "\(paths[0]): \(error.message)")
      }
    }
    let (result, diagnostics) = RuleCompiler.compile(paths: paths, options: RuleCompileOptions())
    let errors = diagnostics.filter(\.isError)
    guard let result, errors.isEmpty else {
      let first = errors.first.map { ": " + $0.rendered } ?? ""
      throw RulesLoadError(
        description: "\(errors.count) error(s) compiling \(paths.joined(separator: " "))\(first)")
    }
    do {
      let bytes = try result.bundle.encoded(signedWith: nil)
      return try BundleLoader(catalog: result.environment.catalog).load(bytes)
    } catch {
      throw RulesLoadError(description: "\(paths.joined(separator: " ")): \(error)")
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
    // NOTE: before anything is loaded. Building the screening index (and compiling --rules)
    // allocates and frees blocks of several MB; with glibc's dynamic threshold the first free
    // raises it and the later blocks land in the heap, where they leave ~5 MB resident after
    // `malloc_trim`. During start-up a fixed 128 KiB threshold (glibc's initial one) hands each
    // back when freed; once serving, `servingMmapThreshold` keeps requests' larger blocks in the
    // heap as the dynamic threshold would (a fixed 128 KiB cost 10–55 % more daemon CPU per
    // request in `bench/http.sh`: docs/performance.md, "Resident memory: a start-up mmap
    // threshold and compact lists").
    _ = sentinel_fix_mmap_threshold(Self.startupMmapThreshold)
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
    let keys = try loadTrustedKeys()
    let loader = BundleLoader(trustedKeys: keys, requireSignature: !keys.isEmpty)
    let bundle: LoadedBundle
    if paths.count == 1, paths[0].hasSuffix(".sbc") {
      do {
        bundle = try Self.loadBundle(paths, loader: loader)
      } catch {
        printError("\(error)")
        throw ExitCode(1)
      }
    } else {
      // Diagnostics with carets on standard error, as `sentinel check` prints them.
      bundle = try loadRuleSet(paths)
    }
    let store: SQLiteStateStore
    let keyStore: APIKeyStore
    do {
      // NOTE: a daemon commits small groups, each dirtying about one state page and one
      // event-id index page per decision: 2 KiB pages write a third fewer bytes per decision
      // than 4 KiB for the same CPU (docs/performance.md, "Fewer bytes per committed decision").
      store = try SQLiteStateStore(
        path: db, cacheMiB: dbCacheMib, pageSize: dbPageSize, foldEvery: dbFoldEvery)
      keyStore = try APIKeyStore(path: db)
    } catch {
      printError("\(error)")
      throw ExitCode(1)
    }
    guard let (host, port) = Self.parseListen(listen) else { throw ExitCode(2) }
    bootstrapLogging()
    var demo = demoKey
    var demoLine = ""
    if demo == nil && !noDemoKey {
      let random = try SecureRandom.bytes(24)
      let text = "sk_demo_" + Hex.encode(random)
      demo = text
      demoLine = "demo API key (tenant default, scopes decide,read,admin; valid until exit): \(text)\n"
    }
    let config = ServerConfiguration(
      host: host, port: port, maxBodyBytes: maxBody,
      decisions: DecisionServiceOptions(maxPending: commitBatch, commitDelay: .milliseconds(commitDelayMs)),
      maxBundleBytes: maxBundleBytes, bundleLoader: loader, demoKey: demo,
      allowedHosts: allowedHosts.map { HostAllowList(Self.hostList($0)) }, rateLimit: rateLimit,
      rateBurst: rateBurst, idleTimeout: .milliseconds(Int64(idleTimeout * 1000)),
      bodyTimeout: .milliseconds(Int64(bodyTimeout * 1000)), benchConstantRoute: benchConstantRoute,
      eventLoops: eventLoops)
    let rulesText = paths.joined(separator: " ")
    let dbPath = db
    let reloadPaths = paths
    let banner = demoLine
    let logger = Logger(label: "sentinel")
    let consumer = try streams.redis.map { _ in
      var configuration = try streams.configuration(tenant: "stream", databasePath: db)
      configuration.databaseCacheMiB = dbCacheMib
      configuration.databaseFoldEvery = dbFoldEvery
      return StreamConsumer(bundle: bundle, configuration: configuration, logger: logger)
    }
    let trimmer = trimInterval > 0 ? MemoryTrimmer(interval: trimInterval) : nil
    let retention = retentionDays.map {
      AuditRetention(
        store: store, keepDays: $0, interval: retentionInterval, logger: Logger(label: "sentinel.retention"))
    }
    let extraServices: [any Service] = (consumer.map { [$0] } ?? []) + (retention.map { [$0] } ?? [])
    let outcome = Self.runBlocking {
      try await DecisionServer.run(
        bundle: bundle, store: store, keys: keyStore, configuration: config,
        logger: logger,
        reload: { try Self.loadBundle(reloadPaths, loader: loader) },
        extraServices: extraServices,
        scrapeHooks: (consumer.map { c in [{ StreamMetrics.export(c.metrics, to: $0) }] } ?? [])
          + (retention.map { r in [{ r.export(to: $0) }] } ?? []) + [{ Self.exportMemory(trimmer, to: $0) }]
      ) { bound in
        // Start-up (compiling or loading the bundle, building the screening index) leaves freed
        // heap pages behind: give them back before serving (a few MB of RSS; docs/performance.md).
        Self.releaseFreedMemory()
        _ = sentinel_fix_mmap_threshold(Self.servingMmapThreshold)
        if let trimmer { trimmer.start() }
        let shown = host.contains(":") ? "[\(host)]" : host
        let line =
          banner
          + "listening on http://\(shown):\(bound) (rules: \(rulesText), bundle \(bundle.digest), db: \(dbPath))\n"
        FileHandle.standardOutput.write(Data(line.utf8))
      }
    }
    if let outcome {
      printError("sentinel serve: \(outcome)")
      throw ExitCode(1)
    }
  }

  /// The allocation size from which glibc maps memory of its own for a block (`mallopt`'s
  /// `M_MMAP_THRESHOLD`) during start-up: glibc's initial threshold, kept fixed.
  static let startupMmapThreshold: Int32 = 128 * 1024
  /// The same once serving: the highest value glibc's dynamic threshold can reach
  /// (`DEFAULT_MMAP_THRESHOLD_MAX` on 64-bit).
  static let servingMmapThreshold: Int32 = 32 * 1024 * 1024

  /// Returns the allocator's free pages to the system (glibc's `malloc_trim`).
  static func releaseFreedMemory() {
    _ = sentinel_release_free_memory()
  }

  /// The resident set (`process_resident_memory_bytes`, the name Prometheus' process collectors
  /// use) and the periodic trims' counts, read at each scrape of `/metrics`.
  static func exportMemory(_ trimmer: MemoryTrimmer?, to metrics: ServerMetrics) {
    if let resident = MemoryTrimmer.residentBytes() {
      metrics.observeGauge("process_resident_memory_bytes", value: resident)
    }
    guard let counts = trimmer?.snapshot else { return }
    metrics.observeTotal("sentinel_memory_trims_total", total: counts.trims)
    metrics.observeTotal("sentinel_memory_trim_released_bytes_total", total: counts.releasedBytes)
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

/// Why `--rules` could not be loaded (at start or on SIGHUP).
struct RulesLoadError: Error, CustomStringConvertible {
  let description: String
}
