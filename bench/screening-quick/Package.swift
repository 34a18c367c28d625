// swift-tools-version: 6.1
// A small package for measuring sanctions screening alone: SentinelModel, SentinelBuiltins and
// SentinelScreening (symlinked from the project) and a driver that runs the same
// `BenchmarkRunner` as `sentinel screen --benchmark`, without building the rest of the project
// (which takes far longer on a shared machine). Run it with bench/screening-quick.sh.
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
  name: "screening-quick",
  platforms: [.macOS(.v15)],
  targets: [
    .target(name: "SentinelModel", swiftSettings: strict),
    .target(name: "SentinelBuiltins", dependencies: ["SentinelModel"], swiftSettings: strict),
    .target(
      name: "SentinelScreening", dependencies: ["SentinelModel", "SentinelBuiltins"], swiftSettings: strict),
    .target(name: "CHeapInUse"),
    .executableTarget(
      name: "screening-bench", dependencies: ["SentinelScreening", "CHeapInUse"], swiftSettings: strict),
  ]
)
