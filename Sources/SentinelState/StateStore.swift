// The durable side of state: aggregate states by (aggregate, key), the decision log, and the
// processed event ids (an event id is processed when its decision is recorded). One `commit`
// applies a whole batch or nothing.

public import SentinelModel

// MARK: - Keys and records

/// Which state: an aggregate's name and the key form (`ValueKey.encode`) of its key.
public struct StateKey: Hashable, Sendable, CustomStringConvertible {
  /// The aggregate's name (`failed_logins`).
  public var aggregate: String
  /// The key's canonical form (`ValueKey.encode` of the key value).
  public var key: String

  /// A state key.
  public init(aggregate: String, key: String) {
    self.aggregate = aggregate
    self.key = key
  }

  /// `aggregate[key]`, for messages.
  public var description: String { "\(aggregate)[\(key)]" }
}

/// One decision, as the decision log keeps it.
public struct DecisionRecord: Sendable, Equatable {
  /// The event's id (unique per tenant).
  public var eventID: String
  /// The decision JSON line, exactly as output: as given, or rendered from the event id, action,
  /// score and rules (`DecisionLine`) for a record made without it.
  public var line: String {
    get { storedLine ?? DecisionLine.string(eventID: eventID, action: action, score: score, rules: rules) }
    set { storedLine = newValue }
  }
  /// The line given; nil: rendered when asked (`init(eventID:action:…)`).
  private var storedLine: String?
  /// `allow`, `review` or `block`.
  public var action: String
  /// The total score.
  public var score: Int
  /// The matched rule ids, in output order.
  public var rules: [String]
  /// The event's time.
  public var eventTime: Timestamp
  /// The digest of the bundle that decided.
  public var bundleDigest: String

  /// A decision record; `line` nil: rendered from its fields when asked (`DecisionLine`), for an
  /// in-memory replay, which writes each line straight into its output and keeps the record only
  /// to answer a duplicate — no string per decision.
  public init(
    eventID: String, line: String?, action: String, score: Int, rules: [String], eventTime: Timestamp,
    bundleDigest: String
  ) {
    self.eventID = eventID
    self.storedLine = line
    self.action = action
    self.score = score
    self.rules = rules
    self.eventTime = eventTime
    self.bundleDigest = bundleDigest
  }

  /// A decision record whose line is rendered from its fields when asked (`init(eventID:line:…)`
  /// with no line).
  public init(
    eventID: String, action: String, score: Int, rules: [String], eventTime: Timestamp, bundleDigest: String
  ) {
    self.init(
      eventID: eventID, line: nil, action: action, score: score, rules: rules, eventTime: eventTime,
      bundleDigest: bundleDigest)
  }

  /// Equal when every field is, the line compared as given or rendered.
  public static func == (a: DecisionRecord, b: DecisionRecord) -> Bool {
    a.eventID == b.eventID && a.action == b.action && a.score == b.score && a.rules == b.rules
      && a.eventTime == b.eventTime && a.bundleDigest == b.bundleDigest && a.line == b.line
  }
}

/// A decision record with its position in the log.
public struct LoggedDecision: Sendable, Equatable {
  /// The sequence number: increasing in commit order, never reused.
  public var sequence: Int64
  /// The decision.
  public var record: DecisionRecord

  /// A logged decision.
  public init(sequence: Int64, record: DecisionRecord) {
    self.sequence = sequence
    self.record = record
  }
}

/// What one commit writes: state upserts (later entries for the same key win) and new decisions.
public struct StateBatch: Sendable {
  /// The states to write.
  public var states: [(StateKey, AggregateState)]
  /// The decisions to append, in order; their event ids must be new.
  public var decisions: [DecisionRecord]
  /// Outbox rows to write in the same transaction (kept by `SQLiteStateStore` only).
  public var outbox: [OutboxRecord] = []
  /// When set, the commit fails with `StateFenceError` unless the tenant's last decision
  /// sequence number is this one: a writer whose cached state may be stale (another process
  /// committed since it loaded) must reload instead of overwriting (SQLite stores only).
  public var expectedLastSequence: Int64?
  /// When set, outbox rows up to this id are marked published in the same transaction (a
  /// stream consumer's mark of what it wrote to Redis after the previous commit, without a
  /// transaction and an fsync of its own; SQLite stores only).
  public var markOutboxPublishedThrough: Int64?
  /// When set, the commit also tells whether the outbox held no unpublished row above this id
  /// before the batch's rows and its mark (`OutboxWrite.followsUnpublished`): a publisher that
  /// knows every unpublished row up to this id then knows every unpublished row up to the
  /// batch's last one, without reading them back (SQLite stores only;
  /// `SQLiteStateStore.commitReportingOutbox`).
  public var outboxUnpublishedCheckAfter: Int64?
  /// The decisions' audit-chain links computed ahead, off the commit thread
  /// (`SQLiteStateStore.prelink`); used when they follow the head the commit finds and name the
  /// same decisions, recomputed otherwise (SQLite stores only).
  public var prelinked: PrelinkedChain?

  /// A batch.
  public init(states: [(StateKey, AggregateState)] = [], decisions: [DecisionRecord] = []) {
    self.states = states
    self.decisions = decisions
  }

  /// Whether the batch writes nothing.
  public var isEmpty: Bool {
    states.isEmpty && decisions.isEmpty && outbox.isEmpty && markOutboxPublishedThrough == nil
  }
}

// MARK: - Store

/// Durable state for one tenant: aggregate states, the decision log, processed event ids.
public protocol StateStore: AnyObject {
  /// The tenant whose state this store reads and writes.
  var tenant: String { get }
  /// The stored state for `key`, or nil when none is stored.
  func loadState(_ key: StateKey) throws -> AggregateState?
  /// The decision line already recorded for this event id, or nil.
  func decisionLine(forEventID id: String) throws -> String?
  /// Applies a batch atomically; when it returns, the batch is durable.
  func commit(_ batch: StateBatch) throws
}

/// Reading the decision log back, in sequence order.
/// A store that can list every event id it has recorded, so that a processor can tell a new
/// event from a duplicate in memory instead of asking the store for each event.
public protocol EventIDIndex: AnyObject {
  /// Every event id recorded for the tenant.
  func allEventIDs() throws -> Set<String>
  /// Every aggregate state stored for the tenant: a processor that keeps its working set in
  /// memory loads them once instead of one lookup per new key.
  func allStates() throws -> [StateKey: AggregateState]
}

public protocol DecisionLog: AnyObject {
  /// The number of decisions recorded for the tenant.
  func decisionCount() throws -> Int
  /// Calls `body` with each decision with a sequence number above `sequence`, in sequence order,
  /// until it returns false.
  func forEachDecision(after sequence: Int64, _ body: (LoggedDecision) throws -> Bool) throws
}

extension DecisionLog {
  /// Up to `limit` decisions with a sequence number above `sequence`, in sequence order.
  public func decisions(after sequence: Int64 = 0, limit: Int = .max) throws -> [LoggedDecision] {
    var out: [LoggedDecision] = []
    guard limit > 0 else { return out }
    try forEachDecision(after: sequence) { d in
      out.append(d)
      return out.count < limit
    }
    return out
  }
}

// MARK: - Errors

/// A state-store failure: which file, which operation, what went wrong.
public enum StateStoreError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The database could not be opened or set up.
  case cannotOpen(path: String, reason: String)
  /// The file is a database, but not a SentinelIQ state database (or one of a newer format).
  case notAStateDatabase(path: String, reason: String)
  /// A stored aggregate state does not decode.
  case corruptState(path: String, tenant: String, key: StateKey, reason: String)
  /// A stored decision does not decode.
  case corruptDecision(path: String, tenant: String, eventID: String, reason: String)
  /// A batch records a decision for an event id already recorded (or twice); nothing was written.
  case duplicateEventID(path: String, tenant: String, eventID: String)
  /// The store was opened read-only.
  case readOnly(path: String)
  /// Any other database failure during `operation`; `code` is SQLite's extended result code
  /// when SQLite reported the failure (nil otherwise).
  case database(path: String, operation: String, reason: String, code: Int32? = nil)

  /// A one-line message naming the file and what failed.
  public var description: String {
    switch self {
    case .cannotOpen(let path, let reason): return "cannot open state database `\(path)`: \(reason)"
    case .notAStateDatabase(let path, let reason):
      return "`\(path)` is not a SentinelIQ state database: \(reason)"
    case .corruptState(let path, let tenant, let key, let reason):
      return "corrupt aggregate state \(key) of tenant `\(tenant)` in `\(path)`: \(reason)"
    case .corruptDecision(let path, let tenant, let eventID, let reason):
      return "corrupt decision for event `\(eventID)` of tenant `\(tenant)` in `\(path)`: \(reason)"
    case .duplicateEventID(let path, let tenant, let eventID):
      return
        "decision for event `\(eventID)` of tenant `\(tenant)` already recorded in `\(path)`; batch not committed"
    case .readOnly(let path): return "state database `\(path)` is open read-only"
    case .database(let path, let operation, let reason, _):
      return "state database `\(path)`: \(operation) failed: \(reason)"
    }
  }
}

extension StateStoreError {
  /// Whether SQLite refused because another connection held a lock past the busy timeout
  /// (`SQLITE_BUSY`, `SQLITE_LOCKED` and their extended codes): nothing was written, and the same
  /// work may be tried again. Read from the result code the error carries, not from its message.
  public var isBusy: Bool {
    guard case .database(_, _, _, let code?) = self else { return false }
    return code & 0xff == 5 || code & 0xff == 6
  }
}
