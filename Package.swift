// swift-tools-version: 6.1
// SentinelIQ — a rule compiler and a verified decision runtime for fraud and risk decisions.
//
// Pipeline: Syntax (CEL source → AST) → Compiler (check → IR → codegen) → Bytecode (program format)
//           → Verifier (Program → VerifiedProgram) → VM (runs a VerifiedProgram).
// State (aggregates, decision log) sits on the runtime side, on SQLite through GRDB.
// The runtime side (Bytecode, Verifier, VM, State, Runtime, Server, Streams) never imports the compiler
// side (Syntax, Compiler, Reference); `ArchitectureTests` reads `swift package describe` to hold that line.
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
  name: "SentinelIQ",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "sentinel", targets: ["sentinel"])
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    // SQLite through the system libsqlite3 (Debian: libsqlite3-dev), for SentinelState.
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
    // The daemon (SentinelServer): HTTP on SwiftNIO; start-up and graceful shutdown.
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    // The daemon's `GET /metrics`: swift-metrics handles backed by a Prometheus registry.
    .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
    .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
  ],
  targets: [
    // MARK: - Shared model
    .target(name: "SentinelModel", swiftSettings: strict),
    .target(name: "SentinelBuiltins", dependencies: ["SentinelModel"], swiftSettings: strict),
    // OpenSSL's libcrypto (Debian: libssl-dev) for SHA-256 digests and Ed25519 signatures.
    .systemLibrary(name: "CLibCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
    .target(name: "SentinelCrypto", dependencies: ["CLibCrypto"], swiftSettings: strict),
    // Counts heap allocations per thread by interposing malloc (for `sentinel bench` and the
    // zero-allocation tests of the evaluation loop); also glibc's malloc settings and the
    // processor's spin-wait hint for replay; see Sources/CMallocCounter/counter.c.
    .target(name: "CMallocCounter"),

    // MARK: - Runtime side
    .target(
      name: "SentinelBytecode", dependencies: ["SentinelModel", "SentinelBuiltins"],
      swiftSettings: strict),
    .target(
      name: "SentinelVerifier",
      dependencies: ["SentinelModel", "SentinelBuiltins", "SentinelBytecode"],
      swiftSettings: strict),
    .target(
      name: "SentinelVM",
      dependencies: ["SentinelModel", "SentinelBuiltins", "SentinelBytecode", "SentinelVerifier"],
      swiftSettings: strict),
    .target(
      name: "SentinelState",
      dependencies: [
        "SentinelModel", "SentinelBytecode", "SentinelCrypto", .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "GRDBSQLite", package: "GRDB.swift"),
      ],
      swiftSettings: strict),
    .target(
      name: "SentinelRuntime",
      dependencies: [
        "SentinelModel", "SentinelBuiltins", "SentinelBytecode", "SentinelVerifier", "SentinelVM",
        "SentinelCrypto", "SentinelState", "CMallocCounter", "SentinelScreening",
      ],
      swiftSettings: strict),

    // The scoring daemon: HTTP routes over a `DecisionService` (group commit) (issue 6).
    .target(
      name: "SentinelServer",
      dependencies: [
        "SentinelModel", "SentinelBytecode", "SentinelRuntime", "SentinelState", "SentinelCrypto",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Metrics", package: "swift-metrics"),
        .product(name: "Prometheus", package: "swift-prometheus"),
      ],
      swiftSettings: strict),

    // Redis Streams ingestion: consumer groups over hiredis, exactly-once effects (issue 8).
    // hiredis (Debian: libhiredis-dev, 0.14.1, RESP2) through a system-library target.
    .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
    .target(
      name: "SentinelStreams",
      dependencies: [
        "CHiredis", "SentinelModel", "SentinelRuntime", "SentinelState",
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: strict),

    // Sanctions screening: list loader, name normalization, matcher, index (issue 7).
    .target(
      name: "SentinelScreening", dependencies: ["SentinelModel", "SentinelBuiltins"], swiftSettings: strict),

    // MARK: - Compiler side
    .target(name: "SentinelSyntax", dependencies: ["SentinelModel"], swiftSettings: strict),
    .target(
      name: "SentinelYAML",
      dependencies: ["SentinelModel", "SentinelSyntax", .product(name: "Yams", package: "Yams")],
      swiftSettings: strict),
    .target(
      name: "SentinelCompiler",
      dependencies: [
        "SentinelModel", "SentinelBuiltins", "SentinelSyntax", "SentinelYAML", "SentinelBytecode",
        "SentinelCrypto", "SentinelScreening",
      ],
      swiftSettings: strict),
    .target(
      name: "SentinelReference",
      dependencies: ["SentinelModel", "SentinelBuiltins", "SentinelSyntax", "SentinelCompiler"],
      swiftSettings: strict),

    // MARK: - Tools
    .target(
      name: "SentinelConformance",
      dependencies: [
        "SentinelModel", "SentinelBuiltins", "SentinelSyntax", "SentinelCompiler",
        "SentinelReference", "SentinelVerifier", "SentinelVM", "SentinelBytecode",
      ],
      swiftSettings: strict),
    // Golden fixtures and rule-set diffs: replays corpora through the runtime and explains
    // mismatches with the reference evaluator (tooling side; the runtime never imports it).
    .target(
      name: "SentinelFixtures",
      dependencies: [
        "SentinelModel", "SentinelBytecode", "SentinelSyntax", "SentinelYAML", "SentinelCompiler",
        "SentinelReference", "SentinelRuntime", "SentinelState", "SentinelVerifier", "SentinelVM",
      ],
      swiftSettings: strict),
    .target(
      name: "SentinelCommands",
      dependencies: [
        "SentinelModel", "SentinelBuiltins", "SentinelSyntax", "SentinelCompiler",
        "SentinelReference", "SentinelVerifier", "SentinelVM", "SentinelBytecode",
        "SentinelConformance", "SentinelRuntime", "SentinelYAML", "SentinelCrypto", "SentinelState",
        "SentinelFixtures",
        "SentinelScreening", "SentinelServer", "SentinelStreams", "CMallocCounter",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
      ],
      swiftSettings: strict),
    .executableTarget(name: "sentinel", dependencies: ["SentinelCommands"], swiftSettings: strict),

    // MARK: - Tests (one target per stage)
    .testTarget(
      name: "SentinelSyntaxTests", dependencies: ["SentinelModel", "SentinelSyntax"],
      swiftSettings: strict),
    .testTarget(
      name: "SentinelBuiltinsTests", dependencies: ["SentinelModel", "SentinelBuiltins"],
      swiftSettings: strict),
    .testTarget(
      name: "SentinelCompilerTests",
      dependencies: [
        "SentinelModel", "SentinelBuiltins", "SentinelSyntax", "SentinelCompiler",
        "SentinelReference", "SentinelBytecode",
      ],
      swiftSettings: strict),
    .testTarget(
      name: "SentinelRuntimeTests",
      dependencies: [
        "SentinelModel", "SentinelBuiltins", "SentinelBytecode", "SentinelVerifier", "SentinelVM",
        "SentinelSyntax", "SentinelCompiler", "SentinelCrypto", "SentinelRuntime",
      ],
      swiftSettings: strict),
    .testTarget(
      name: "SentinelStateTests",
      dependencies: ["SentinelModel", "SentinelState", .product(name: "GRDB", package: "GRDB.swift")],
      swiftSettings: strict),
    .testTarget(
      name: "SentinelRulesTests",
      dependencies: [
        "SentinelModel", "SentinelBuiltins", "SentinelSyntax", "SentinelYAML", "SentinelCompiler",
        "SentinelReference", "SentinelBytecode", "SentinelVerifier", "SentinelVM", "SentinelRuntime",
        "SentinelCrypto", "SentinelState", "SentinelFixtures", "SentinelScreening",
      ],
      swiftSettings: strict),
    .testTarget(
      name: "SentinelScreeningTests",
      dependencies: ["SentinelModel", "SentinelScreening", "SentinelCommands"],
      swiftSettings: strict),
    .testTarget(
      name: "SentinelConformanceTests",
      dependencies: [
        "SentinelModel", "SentinelBuiltins", "SentinelSyntax", "SentinelCompiler",
        "SentinelReference", "SentinelVerifier", "SentinelVM", "SentinelBytecode",
        "SentinelConformance",
      ],
      swiftSettings: strict),
    .testTarget(
      name: "SentinelFixturesTests",
      dependencies: [
        "SentinelModel", "SentinelCompiler", "SentinelReference", "SentinelRuntime", "SentinelFixtures",
        "SentinelState", "SentinelBytecode", "SentinelTestSupport",
      ],
      swiftSettings: strict),
    // Runs the real `sentinel serve` process over loopback (no HummingbirdTesting: it pulls in
    // AsyncHTTPClient and a second BoringSSL).
    .testTarget(
      name: "SentinelServerTests",
      dependencies: [
        "SentinelModel", "SentinelState", "SentinelServer", "SentinelCrypto", "SentinelTestSupport",
        "SentinelRuntime", .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "Logging", package: "swift-log"),
        // Reads docs/openapi.yaml to check that `GET /openapi.json` serves the same document.
        .product(name: "Yams", package: "Yams"),
      ],
      swiftSettings: strict),
    // The consumer's state machine alone, and the real `sentinel consume` process against a real
    // redis-server started by the tests on a free loopback port.
    .testTarget(
      name: "SentinelStreamsTests",
      dependencies: [
        "SentinelModel", "SentinelState", "SentinelRuntime", "SentinelStreams", "SentinelTestSupport",
      ],
      swiftSettings: strict),
    // What the tests that run the real `sentinel` executable share (paths, temporary folders,
    // the executable, a free port, polling): one copy instead of one per test target.
    .target(name: "SentinelTestSupport", path: "Tests/SentinelTestSupport", swiftSettings: strict),
  ]
)
