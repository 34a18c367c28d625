// The recorded minimum conformance: `fixtures/cel-conformance-threshold.json` holds the lowest core
// pass rate the suite accepts, so that a change that makes the engine less conformant fails a test.
// Raise the number as the engine improves; never lower it to make a change pass.

import Foundation

/// The minimum conformance the test suite enforces, as recorded in
/// `fixtures/cel-conformance-threshold.json`: `{"core_pass_rate_min": 0.0}`.
public struct ConformanceThreshold: Sendable, Codable, Hashable {
  /// The lowest acceptable core pass rate (core passed / core total), 0...1.
  public var corePassRateMin: Double

  enum CodingKeys: String, CodingKey {
    case corePassRateMin = "core_pass_rate_min"
  }

  /// Creates a threshold.
  public init(corePassRateMin: Double) {
    self.corePassRateMin = corePassRateMin
  }

  /// Reads a threshold file.
  /// - Throws: `ConformanceLoadError` when the file is unreadable, is not the expected JSON, or the
  ///   rate is outside 0...1.
  public static func load(path: String) throws(ConformanceLoadError) -> ConformanceThreshold {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw ConformanceLoadError(file: path, message: "cannot read file: \(error.localizedDescription)")
    }
    let threshold: ConformanceThreshold
    do {
      threshold = try JSONDecoder().decode(ConformanceThreshold.self, from: data)
    } catch {
      throw ConformanceLoadError(
        file: path, message: "expected {\"core_pass_rate_min\": <number between 0 and 1>}: \(error)")
    }
    guard threshold.corePassRateMin >= 0 && threshold.corePassRateMin <= 1 else {
      throw ConformanceLoadError(
        file: path, message: "core_pass_rate_min must be between 0 and 1, found \(threshold.corePassRateMin)")
    }
    return threshold
  }

  /// Checks a report against the threshold: nil when it is met, else a message saying by how
  /// much it is missed. A report without core tests never meets it.
  public func violation(in report: ConformanceReport) -> String? {
    let core = report.core
    guard core.total > 0 else { return "the report has no core tests" }
    let rate = report.corePassRate
    if rate + 1e-12 >= corePassRateMin { return nil }
    return
      "core pass rate \(String(format: "%.4f", rate)) (\(core.passed)/\(core.total)) is below the recorded "
      + "minimum \(String(format: "%.4f", corePassRateMin))"
  }
}
