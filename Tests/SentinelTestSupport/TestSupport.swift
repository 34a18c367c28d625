// What the test targets that run the real `sentinel` executable share: the repository's paths,
// temporary folders, the executable beside the test binary, a free loopback port, and polling
// for a condition. One copy, imported by SentinelServerTests, SentinelStreamsTests and
// SentinelFixturesTests (each adds what only it needs in an extension).
//
// Not a test target and never linked into `sentinel`: it imports no `Testing`, so it throws
// `TestFailure` where a test would `#require`.

import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Paths in the repository, and files the tests read and write.
public enum TestRepository {
  /// The repository's root folder (this file is `Tests/SentinelTestSupport/TestSupport.swift`).
  public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent()
    .deletingLastPathComponent().path
  /// The reference rules.
  public static var rules: String { root + "/rules" }
  /// The vendored reference corpus (events and golden decisions).
  public static var corpus: String { root + "/fixtures/reference-corpus" }
  /// The per-rule boundary fixtures.
  public static var ruleFixtures: String { root + "/fixtures/rules" }

  /// A fresh, empty folder under the system's temporary directory. It is removed when the test
  /// process exits, unless `SENTINEL_KEEP_TEST_FOLDERS` is set (to look at a failed test's files).
  public static func temporaryFolder() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sentinel-test-\(UUID())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    TemporaryFolders.register(dir)
    return dir
  }

  /// A file's text (UTF-8; invalid bytes are replaced).
  public static func read(_ path: String) throws -> String {
    String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
  }

  /// A file's non-empty lines.
  public static func lines(_ path: String) throws -> [String] {
    try read(path).split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter {
      !$0.isEmpty
    }
  }

  /// Writes `text` to `path` (UTF-8), replacing the file.
  public static func write(_ text: String, to path: String) throws {
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
  }

  /// The `sentinel` executable beside the test binary (`swift test` builds it there), or nil.
  public static var sentinel: String? {
    let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for candidate in [dir, dir.deletingLastPathComponent()] {
      let path = candidate.appendingPathComponent("sentinel").path
      if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
  }

  /// The `sentinel` executable, or an error telling how to get one.
  public static func requireSentinel() throws -> String {
    guard let path = sentinel else { throw TestFailure("build the `sentinel` product first") }
    return path
  }
}

/// The folders `temporaryFolder()` made in this process, removed at exit.
enum TemporaryFolders {
  static let made = Mutex<[String]?>(nil)

  static func register(_ dir: String) {
    made.withLock { folders in
      if folders == nil {
        folders = []
        if ProcessInfo.processInfo.environment["SENTINEL_KEEP_TEST_FOLDERS"] == nil {
          atexit { TemporaryFolders.removeAll() }
        }
      }
      folders?.append(dir)
    }
  }

  static func removeAll() {
    let dirs = made.withLock { folders in
      defer { folders = [] }
      return folders ?? []
    }
    for dir in dirs { try? FileManager.default.removeItem(atPath: dir) }
  }
}

/// A failure a support function reports (tests see it as a thrown error with this text).
public struct TestFailure: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}

/// A free TCP port on 127.0.0.1 (bind to port 0, read the port, close).
public func freePort() throws -> Int {
  let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  guard fd >= 0 else { throw TestFailure("cannot open a socket: errno \(errno)") }
  defer { close(fd) }
  var addr = sockaddr_in()
  addr.sin_family = sa_family_t(AF_INET)
  addr.sin_addr.s_addr = inet_addr("127.0.0.1")
  addr.sin_port = 0
  var len = socklen_t(MemoryLayout<sockaddr_in>.size)
  let ok = withUnsafeMutablePointer(to: &addr) { p in
    p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
      bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0
    }
  }
  guard ok else { throw TestFailure("cannot bind a loopback port") }
  return Int(UInt16(bigEndian: addr.sin_port))
}

/// Polls `condition` every 50 ms until it holds or `timeout` seconds pass; returns its last value.
public func waitUntil(_ timeout: Double, _ condition: () throws -> Bool) throws -> Bool {
  let end = Date().addingTimeInterval(timeout)
  while Date() < end {
    if try condition() { return true }
    usleep(50_000)
  }
  return try condition()
}
