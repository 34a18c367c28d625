// The audit and analytics routes (docs/operations.md):
//   GET /v1/decisions/{event_id}          the stored decision with its audit record
//   GET /v1/analytics/summary?window=1h   counts by action and by rule over a window of commit
//                                         time (`30m`, `1h`, `24h`, `7d`; default 1h)
// Both read the state database outside the decision actor (the store serializes access), so a
// read never waits behind the decisions queued on the actor, only behind a running commit.

import Foundation
import Hummingbird
import SentinelModel
import SentinelState

extension DecisionServer {
  /// Adds the audit and analytics routes to `router`.
  static func addAuditRoutes(to router: Router<SentinelRequestContext>, registry: TenantRegistry) {
    router.get("/v1/decisions/{event_id}") { _, context in
      let tenant = try tenantName(context)
      let raw = context.parameters.get("event_id") ?? ""
      let id = raw.removingPercentEncoding ?? raw
      do {
        // Read from the tenant's rows directly: a tenant without an active bundle (say one
        // whose stored bundle no longer verifies) may still have committed decisions.
        if let stored = try registry.store.forTenant(tenant).storedDecision(eventID: id) {
          return jsonResponse(200, auditBody(stored))
        }
      } catch {
        return jsonResponse(503, DecisionJSON.error("state store: \(error)"))
      }
      return jsonResponse(404, DecisionJSON.error("no decision for event `\(id)`"))
    }

    router.get("/v1/analytics/summary") { request, context in
      let tenant = try tenantName(context)
      let text = request.uri.queryParameters.get("window") ?? AnalyticsWindow.defaultText
      let window: AnalyticsWindow
      switch AnalyticsWindow.parse(text) {
      case .success(let w): window = w
      case .failure(let message): return jsonResponse(400, DecisionJSON.error(message.description))
      }
      let to = AuditChain.millis(Self.wallClock())
      let from = to - window.millis + 1
      do {
        let summary = try registry.store.forTenant(tenant).decisionSummary(from: from, to: to)
        return jsonResponse(200, summaryBody(summary, window: text))
      } catch {
        return jsonResponse(503, DecisionJSON.error("state store: \(error)"))
      }
    }
  }

  /// A stored decision: its line, extended with the decision id and the audit record.
  static func auditBody(_ stored: StoredDecision) -> String {
    switch stored {
    case .chained(let e):
      let r = e.record
      return String(r.line.dropLast())
        + ",\"bundle_digest\":\(quote(r.bundleDigest))"
        + ",\"decision_id\":\(quote(DecisionJSON.decisionID(eventID: r.eventID, line: r.line)))"
        + ",\"audit\":{\"tenant\":\(quote(e.tenant)),\"seq\":\(e.seq),\"prev_hash\":\(quote(e.prevHash))"
        + ",\"hash\":\(quote(e.hash)),\"decided_at\":\(quote(e.decidedAtTime.description))}}"
    case .pruned(let id, let line):
      return String(line.dropLast())
        + ",\"decision_id\":\(quote(DecisionJSON.decisionID(eventID: id, line: line)))"
        + ",\"audit\":{\"pruned\":true}}"
    }
  }

  /// The summary's JSON: every action (zero included) and every matched rule, keys sorted.
  static func summaryBody(_ s: DecisionSummary, window: String) -> String {
    var actions = s.byAction
    for a in ["allow", "review", "block"] where actions[a] == nil { actions[a] = 0 }
    func object(_ counts: [String: Int]) -> String {
      "{" + counts.sorted { $0.key < $1.key }.map { "\(quote($0.key)):\($0.value)" }.joined(separator: ",")
        + "}"
    }
    return "{\"window\":\(quote(window)),\"time\":\"commit\""
      + ",\"from\":\(quote(AuditChain.timestamp(millis: s.from).description))"
      + ",\"to\":\(quote(AuditChain.timestamp(millis: s.to).description)),\"total\":\(s.total)"
      + ",\"by_action\":\(object(actions)),\"by_rule\":\(object(s.byRule))}"
  }

  /// The wall clock, in milliseconds precision.
  static func wallClock() -> Timestamp {
    AuditChain.timestamp(millis: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
  }
}

/// An analytics window: `<N>m`, `<N>h` or `<N>d`, from one minute to 31 days.
struct AnalyticsWindow: Sendable, Equatable {
  /// The window's length in milliseconds.
  let millis: Int64

  /// The window when none is given.
  static let defaultText = "1h"
  /// The longest window.
  static let maxMillis: Int64 = 31 * 86_400_000

  /// A bad window, with the message for the 400 answer.
  struct Invalid: Error, CustomStringConvertible {
    let description: String
  }

  /// The window `text` names, or why it is not one.
  static func parse(_ text: String) -> Result<AnalyticsWindow, Invalid> {
    let bad = Invalid(
      description:
        "window `\(text)` is not a duration like 30m, 1h or 24h (a positive whole number of m, h or d, at most 31d)"
    )
    guard let unit = text.last, text.count >= 2, text.count <= 12 else { return .failure(bad) }
    let digits = text.dropLast()
    // Digits only, without a leading zero (docs/openapi.yaml gives the same rule as a pattern).
    guard digits.first != "0", digits.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int64(digits), n > 0
    else {
      return .failure(bad)
    }
    let scale: Int64
    switch unit {
    case "m": scale = 60_000
    case "h": scale = 3_600_000
    case "d": scale = 86_400_000
    default: return .failure(bad)
    }
    let (ms, overflow) = n.multipliedReportingOverflow(by: scale)
    guard !overflow, ms <= maxMillis else { return .failure(bad) }
    return .success(AnalyticsWindow(millis: ms))
  }
}
