// Shared fixtures: the vendored SDN list and benchmark, loaded once.

import Foundation
import SentinelScreening

enum Fixtures {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  static let sdnPath = root.appendingPathComponent("fixtures/sanctions/sdn.csv").path
  static let benchmarkPath = root.appendingPathComponent("fixtures/sanctions/screening-benchmark.json").path

  /// The real SDN list.
  static let sdn: SanctionsList = {
    (try? SanctionsLoader.load(path: sdnPath).list) ?? SanctionsList(entries: [])
  }()

  /// The benchmark.
  static let benchmark: ScreeningBenchmark? = try? ScreeningBenchmark.load(path: benchmarkPath)
}

/// Loads `text` as an sdn.csv file named `t.csv`.
func loadMain(_ text: String) -> LoadedList {
  SanctionsLoader.load(main: Array(text.utf8), file: "t.csv")
}
