// swift-tools-version: 6.1
// SentinelIQ benchmarks: a separate package so that normal builds and CI skip package-benchmark's
// plugin and host tools. Run: `bash bench/decode.sh` from the repository root.
//
// The decoder under test is compiled from the root package's own files, linked in by symlinks
// (Sources/SentinelModel → ../../Sources/SentinelModel, Sources/SentinelEventDecoder/*.swift →
// ../../../Sources/SentinelRuntime/EventDecoder*.swift): the root package exposes no library
// product, and a package depending on it by path may not declare targets with the same names.
// Once the root declares `.library(name: "SentinelRuntime", targets: ["SentinelRuntime"])`,
// replace both targets by `.package(path: "..")` and `.product(name: "SentinelRuntime",
// package: "main")`, and `import SentinelEventDecoder` by `import SentinelRuntime`.
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
  name: "SentinelBenchmarks",
  platforms: [.macOS(.v15)],
  dependencies: [
    // MallocInterposer: counts mallocs without jemalloc (its default trait wants a package the
    // local mirror lacks); see BUILD_NOTES.md.
    .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
  ],
  targets: [
    .target(name: "SentinelModel", path: "Sources/SentinelModel", swiftSettings: strict),
    .target(
      name: "SentinelEventDecoder", dependencies: ["SentinelModel"], path: "Sources/SentinelEventDecoder",
      swiftSettings: strict),
    // SentinelState and what it imports, linked in the same way (Sources/SentinelState →
    // ../../Sources/SentinelState, and so on).
    .target(name: "SentinelBuiltins", dependencies: ["SentinelModel"], path: "Sources/SentinelBuiltins", swiftSettings: strict),
    .target(
      name: "SentinelBytecode", dependencies: ["SentinelModel", "SentinelBuiltins"], path: "Sources/SentinelBytecode",
      swiftSettings: strict),
    .systemLibrary(name: "CLibCrypto", path: "Sources/CLibCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
    .target(name: "SentinelCrypto", dependencies: ["CLibCrypto"], path: "Sources/SentinelCrypto", swiftSettings: strict),
    .target(
      name: "SentinelState",
      dependencies: [
        "SentinelModel", "SentinelBytecode", "SentinelCrypto", .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "GRDBSQLite", package: "GRDB.swift"),
      ],
      path: "Sources/SentinelState", swiftSettings: strict),
    // SQLite commit throughput: a plain executable (no package-benchmark plugin: each run is a
    // few seconds of fsync-bound commits, timed with a monotonic clock). Run: `bash bench/state.sh`.
    .executableTarget(
      name: "StateCommit", dependencies: ["SentinelModel", "SentinelState"], path: "Benchmarks/StateCommit",
      swiftSettings: strict),
    .executableTarget(
      name: "EventDecoding",
      dependencies: [
        .product(name: "Benchmark", package: "benchmark"), "SentinelModel", "SentinelEventDecoder",
      ],
      path: "Benchmarks/EventDecoding",
      swiftSettings: strict,
      plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    ),
  ]
)
