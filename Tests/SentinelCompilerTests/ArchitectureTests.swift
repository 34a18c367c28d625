// Holds the architectural line: the runtime side never depends on the compiler side.

import Foundation
import Testing

/// Reads the package description and checks target dependencies.
@Suite struct ArchitectureTests {
  static let runtimeSide: Set<String> = [
    "SentinelBytecode", "SentinelVerifier", "SentinelVM", "SentinelRuntime", "SentinelCrypto",
    "SentinelState", "SentinelScreening", "SentinelServer", "SentinelStreams",
  ]
  static let compilerSide: Set<String> = [
    "SentinelSyntax", "SentinelYAML", "SentinelCompiler", "SentinelReference",
  ]

  static func packageRoot() -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
  }

  /// Target name → direct target dependencies, from the manifest's JSON description.
  static func targetDependencies() throws -> [String: [String]] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    // NOTE: `swift test` holds the build-folder lock; without --ignore-lock this would wait forever.
    process.arguments = ["swift", "package", "--ignore-lock", "describe", "--type", "json"]
    process.currentDirectoryURL = packageRoot()
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    // A watchdog: never let a stuck subprocess hang the test run.
    DispatchQueue.global().asyncAfter(deadline: .now() + 180) { if process.isRunning { process.terminate() } }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    // `describe` may print build-progress lines before the JSON; start at the first brace.
    guard let start = data.firstIndex(of: UInt8(ascii: "{")) else { return [:] }
    let json = try JSONSerialization.jsonObject(with: data[start...]) as? [String: Any] ?? [:]
    var out: [String: [String]] = [:]
    for t in json["targets"] as? [[String: Any]] ?? [] {
      guard let name = t["name"] as? String else { continue }
      out[name] = t["target_dependencies"] as? [String] ?? []
    }
    return out
  }

  /// All targets reachable from `name`.
  static func closure(_ name: String, _ deps: [String: [String]]) -> Set<String> {
    var seen: Set<String> = []
    var stack = [name]
    while let n = stack.popLast() {
      for d in deps[n] ?? [] where seen.insert(d).inserted { stack.append(d) }
    }
    return seen
  }

  @Test func runtimeSideNeverImportsCompilerSide() throws {
    let deps = try Self.targetDependencies()
    #expect(deps["SentinelVM"] != nil, "package description lists the VM target")
    for t in Self.runtimeSide {
      let reach = Self.closure(t, deps)
      #expect(
        reach.isDisjoint(with: Self.compilerSide), "\(t) reaches \(reach.intersection(Self.compilerSide))")
    }
  }

  @Test func runtimeSourcesDoNotImportCompilerModules() throws {
    let fm = FileManager.default
    for t in Self.runtimeSide {
      let dir = Self.packageRoot().appendingPathComponent("Sources/\(t)")
      for file in try fm.contentsOfDirectory(atPath: dir.path) where file.hasSuffix(".swift") {
        let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
        for m in Self.compilerSide {
          #expect(!text.contains("import \(m)"), "\(t)/\(file) imports \(m)")
        }
      }
    }
  }
}
