// The decision service in process: requests hand their events over through the inbox and are
// answered by the commit thread (or the actor) — every answer is durable when it arrives, a
// duplicate gets its original decision, and a failed commit answers its group with the failure
// (`/readyz`'s reason is set before).

import Foundation
import SentinelModel
import SentinelRuntime
import SentinelState
import SentinelTestSupport
import Testing

@testable import SentinelServer

@Suite struct DecisionServiceTests {
  /// The reference rules, compiled and loaded.
  static func referenceBundle(_ dir: String) throws -> LoadedBundle {
    let bytes = try compileBundle(Repo.rules, to: dir + "/rules.sbc")
    return try BundleLoader().load(bytes)
  }

  static func temporaryDirectory() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "decision-service-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.path
  }

  static func eventBytes(_ id: String) -> [UInt8] { Array(DaemonTests.event(id).utf8) }

  @Test(arguments: [Swift.Duration.zero, .milliseconds(2)])
  func concurrentDecisionsAreDurableWhenAnsweredAndDuplicatesGetTheOriginal(delay: Swift.Duration)
    async throws
  {
    let dir = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let bundle = try Self.referenceBundle(dir)
    let store = try SQLiteStateStore(path: dir + "/state.db")
    let service = DecisionService(
      bundle: bundle, store: store, options: DecisionServiceOptions(maxPending: 16, commitDelay: delay))
    let reader = try SQLiteStateStore(path: dir + "/state.db", readOnly: true)
    // 150 distinct ids, 50 of them sent twice: 200 requests at once.
    let ids = (0..<200).map { "e-\($0 % 150)" }
    let answers = try await withThrowingTaskGroup(of: (String, String, String?).self) { group in
      for id in ids {
        group.addTask {
          let outcome = await service.decide(Self.eventBytes(id))
          let line: String
          switch outcome {
          case .decided(_, let l, _), .duplicate(_, let l, _): line = l
          default: throw TestFailure("event \(id): \(outcome)")
          }
          // Answered: the decision is in the database already.
          return (id, line, try reader.decisionLine(forEventID: id))
        }
      }
      var all: [(String, String, String?)] = []
      for try await a in group { all.append(a) }
      return all
    }
    #expect(answers.count == ids.count)
    var lineByID: [String: String] = [:]
    for (id, line, stored) in answers {
      #expect(stored == line, "event \(id) was answered before its decision was stored")
      if let first = lineByID[id] { #expect(first == line, "a duplicate of \(id) got another decision") }
      lineByID[id] = line
    }
    #expect(try reader.decisionCount() == 150)
    #expect(try reader.verifyAuditChain().firstBreak == nil)
    let drained = await service.drain()
    #expect(drained.decisions == 150)
  }

  /// A reason with placeholders is answered with the decision's values interpolated (the
  /// reference rule `sanctioned_beneficiary`: the SDN entry's id, matched name and score); a
  /// duplicate, not evaluated again, reads `?` in their place; a reason without placeholders is
  /// its text.
  @Test func reasonsInterpolateTheDecisionsValues() async throws {
    let dir = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let bundle = try Self.referenceBundle(dir)
    let store = try SQLiteStateStore(path: dir + "/state.db")
    let service = DecisionService(bundle: bundle, store: store)
    let event =
      #"{"event_id":"s-1","type":"transaction","ts":"2026-11-25T10:00:00Z","user_id":"u-7","amount":120,"#
      + #""country_code":"GB","card_country":"US","beneficiary_name":"Banco Nacional de Cuba"}"#
    func reasons(_ outcome: (DecisionOutcome, DecisionJSON)) throws -> [String: String] {
      let body = outcome.1.render(outcome.0).body
      guard case .map(let m) = try JSONReader.parse(body), case .list(let entries)? = m[string: "reasons"]
      else {
        throw TestFailure("no reasons in \(body)")
      }
      var out: [String: String] = [:]
      for case .map(let e) in entries {
        if case .string(let rule)? = e[string: "rule"], case .string(let reason)? = e[string: "reason"] {
          out[rule] = reason
        }
      }
      return out
    }
    let first = try reasons(await service.decideRendering(Array(event.utf8)))
    #expect(
      first["sanctioned_beneficiary"]
        == "Beneficiary matches SDN entry 306 (BANCO NACIONAL DE CUBA, score 1.0)")
    #expect(first["card_country_mismatch"] == "Card country and client country differ")
    let again = try reasons(await service.decideRendering(Array(event.utf8)))
    #expect(again["sanctioned_beneficiary"] == "Beneficiary matches SDN entry ? (?, score ?)")
    #expect(again["card_country_mismatch"] == first["card_country_mismatch"])
    _ = await service.drain()
  }

  @Test func aFailedCommitAnswersItsGroupWithTheFailureAfterRecordingIt() async throws {
    let dir = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let bundle = try Self.referenceBundle(dir)
    // Created writable (the schema), then opened read-only: every commit fails.
    _ = try SQLiteStateStore(path: dir + "/state.db")
    let store = try SQLiteStateStore(path: dir + "/state.db", readOnly: true)
    let service = DecisionService(bundle: bundle, store: store)
    let outcomes = await withTaskGroup(of: DecisionOutcome.self) { group in
      for i in 0..<8 { group.addTask { await service.decide(Self.eventBytes("f-\(i)")) } }
      var all: [DecisionOutcome] = []
      for await o in group { all.append(o) }
      return all
    }
    for outcome in outcomes {
      guard case .storeFailed(let message) = outcome else {
        Issue.record("expected a store failure, got \(outcome)")
        continue
      }
      #expect(message.contains("commit failed"))
    }
    // Recorded before the answers went out (the actor may not have settled the commit yet).
    #expect(service.failure.message?.contains("commit failed") == true)
  }
}
