// TEMPORARY: the state store API; replaced by the real implementation.

import SentinelModel

/// Identifies one aggregate's state for one key.
public struct StateKey: Hashable, Sendable {
  public var aggregate: String
  public var key: String
  public init(aggregate: String, key: String) {
    self.aggregate = aggregate
    self.key = key
  }
}

/// One decision as the store records it.
public struct DecisionRecord: Sendable, Equatable {
  public var eventID: String
  public var line: String
  public var action: String
  public var score: Int
  public var rules: [String]
  public var eventTime: Timestamp
  public var bundleDigest: String
  public init(
    eventID: String, line: String, action: String, score: Int, rules: [String], eventTime: Timestamp,
    bundleDigest: String
  ) {
    self.eventID = eventID
    self.line = line
    self.action = action
    self.score = score
    self.rules = rules
    self.eventTime = eventTime
    self.bundleDigest = bundleDigest
  }
}

/// What one commit writes.
public struct StateBatch: Sendable {
  public var states: [(StateKey, AggregateState)]
  public var decisions: [DecisionRecord]
  public init(states: [(StateKey, AggregateState)], decisions: [DecisionRecord]) {
    self.states = states
    self.decisions = decisions
  }
}

/// Durable state.
public protocol StateStore: AnyObject {
  var tenant: String { get }
  func loadState(_ key: StateKey) throws -> AggregateState?
  func decisionLine(forEventID id: String) throws -> String?
  func commit(_ batch: StateBatch) throws
}

/// State in memory.
public final class InMemoryStateStore: StateStore {
  public let tenant: String
  var states: [StateKey: AggregateState] = [:]
  var lines: [String: String] = [:]
  public init(tenant: String = "default") { self.tenant = tenant }
  public func loadState(_ key: StateKey) throws -> AggregateState? { states[key] }
  public func decisionLine(forEventID id: String) throws -> String? { lines[id] }
  public func commit(_ batch: StateBatch) throws {
    for (k, s) in batch.states { states[k] = s }
    for d in batch.decisions { lines[d.eventID] = d.line }
  }
}

/// Not available in this build.
public final class SQLiteStateStore: StateStore {
  public let tenant: String
  struct Unavailable: Error {}
  public init(path: String, tenant: String = "default") throws {
    self.tenant = tenant
    throw Unavailable()
  }
  public func loadState(_ key: StateKey) throws -> AggregateState? { nil }
  public func decisionLine(forEventID id: String) throws -> String? { nil }
  public func commit(_ batch: StateBatch) throws {}
}
