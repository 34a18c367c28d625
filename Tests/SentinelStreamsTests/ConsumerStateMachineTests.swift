// The consumer's state machine alone: no Redis, no SQLite, no clock.

import SentinelStreams
import Testing

@Suite struct ConsumerStateMachineTests {
  static func entry(_ stream: String, _ id: String, _ text: String = "{}", deliveries: Int = 1) -> StreamEntry
  {
    StreamEntry(stream: stream, id: id, payload: .event(Array(text.utf8)), deliveries: deliveries)
  }

  static func machine(_ streams: [String] = ["s"], maxDeliveries: Int = 3) -> ConsumerStateMachine {
    ConsumerStateMachine(
      settings: ConsumerSettings(
        streams: streams, batchSize: 10, block: .milliseconds(100), maxDeliveries: maxDeliveries,
        claimIdle: .seconds(30), claimInterval: .seconds(5)))
  }

  /// Start-up: groups, outbox, then own pending entries (id 0, no BLOCK), then a claim round,
  /// then new entries with BLOCK.
  @Test func startUpOrder() {
    var m = Self.machine(["a", "b"])
    #expect(m.start() == .createGroups(["a", "b"]))
    #expect(m.groupsCreated() == .publishOutbox)
    #expect(
      m.outboxPublished(now: .zero) == .read(streams: ["a", "b"], ids: ["0", "0"], count: 10, block: nil))
    // No pending entries in either stream: the claim round comes first, then new entries.
    #expect(
      m.entriesRead([], readStreams: ["a", "b"], now: .zero)
        == .claim(stream: "a", cursor: "0-0", minIdle: .seconds(30), count: 10))
    #expect(
      m.claimed([], deleted: [], stream: "a", nextCursor: "0-0", now: .zero)
        == .claim(stream: "b", cursor: "0-0", minIdle: .seconds(30), count: 10))
    #expect(
      m.claimed([], deleted: [], stream: "b", nextCursor: "0-0", now: .zero)
        == .read(streams: ["a", "b"], ids: [">", ">"], count: 10, block: .milliseconds(100)))
  }

  /// Own pending entries are read page by page (cursor = the last id), their delivery counts are
  /// fetched, and an entry delivered too often becomes a dead letter.
  @Test func pendingEntriesWithDeliveryCounts() {
    var m = Self.machine()
    _ = m.start()
    _ = m.groupsCreated()
    _ = m.outboxPublished(now: .zero)
    let read = [Self.entry("s", "1-0"), Self.entry("s", "2-0")]
    #expect(
      m.entriesRead(read, readStreams: ["s"], now: .zero)
        == .fetchDeliveries(stream: "s", ids: ["1-0", "2-0"]))
    guard case .process(let batch) = m.deliveriesFetched(["1-0": 2, "2-0": 4], stream: "s", now: .zero) else {
      Issue.record("expected a batch")
      return
    }
    #expect(batch.events == [Self.entry("s", "1-0", deliveries: 2)])
    #expect(batch.deadLetters.map(\.entry.id) == ["2-0"])
    #expect(batch.deadLetters.first?.reason == "delivered 4 times (more than 3)")
    #expect(batch.acknowledgements == ["s": ["1-0", "2-0"]])
    #expect(m.counts.redeliveries == 2)
    #expect(m.counts.deadLetters == 1)
    // The next read continues the pending list after the last id read.
    #expect(m.processed(now: .zero) == .read(streams: ["s"], ids: ["2-0"], count: 10, block: nil))
  }

  /// An entry no longer pending for this consumer (claimed by another meanwhile) is dropped.
  @Test func entryClaimedAwayIsDropped() {
    var m = Self.machine()
    _ = m.start()
    _ = m.groupsCreated()
    _ = m.outboxPublished(now: .zero)
    _ = m.entriesRead([Self.entry("s", "1-0"), Self.entry("s", "2-0")], readStreams: ["s"], now: .zero)
    guard case .process(let batch) = m.deliveriesFetched(["2-0": 2], stream: "s", now: .zero) else {
      Issue.record("expected a batch")
      return
    }
    #expect(batch.events.map(\.id) == ["2-0"])
  }

  /// Trimmed entries (nil payloads) and entries without `event` are acknowledged: counted, or
  /// dead-lettered at once.
  @Test func trimmedAndMalformedEntries() {
    var m = Self.machine()
    _ = m.start()
    _ = m.groupsCreated()
    _ = m.outboxPublished(now: .zero)
    _ = m.entriesRead([], readStreams: ["s"], now: .zero)
    _ = m.claimed([], deleted: [], stream: "s", nextCursor: "0-0", now: .zero)
    let entries = [
      StreamEntry(stream: "s", id: "5-0", payload: .trimmed),
      StreamEntry(stream: "s", id: "6-0", payload: .missingEvent("x=1")),
      Self.entry("s", "7-0"),
    ]
    guard case .process(let batch) = m.entriesRead(entries, readStreams: ["s"], now: .seconds(1)) else {
      Issue.record("expected a batch")
      return
    }
    #expect(batch.trimmed.map(\.id) == ["5-0"])
    #expect(batch.deadLetters.map(\.reason) == ["entry has no `event` field (fields: x=1)"])
    #expect(batch.events.map(\.id) == ["7-0"])
    #expect(batch.acknowledgements == ["s": ["7-0", "6-0", "5-0"]])
    #expect(m.counts.trimmed == 1)
  }

  /// XAUTOCLAIM: claimed entries get their delivery counts; deleted ids are acknowledged as trimmed;
  /// the scan follows the cursor until `0-0`; the next round waits for the claim interval.
  @Test func claimRound() {
    var m = Self.machine()
    _ = m.start()
    _ = m.groupsCreated()
    _ = m.outboxPublished(now: .zero)
    #expect(
      m.entriesRead([], readStreams: ["s"], now: .zero)
        == .claim(stream: "s", cursor: "0-0", minIdle: .seconds(30), count: 10))
    let action = m.claimed(
      [Self.entry("s", "3-0")], deleted: ["4-0"], stream: "s", nextCursor: "9-0", now: .zero)
    #expect(action == .fetchDeliveries(stream: "s", ids: ["3-0"]))
    guard case .process(let batch) = m.deliveriesFetched(["3-0": 2], stream: "s", now: .zero) else {
      Issue.record("expected a batch")
      return
    }
    #expect(batch.events.map(\.id) == ["3-0"])
    #expect(batch.trimmed.map(\.id) == ["4-0"])
    #expect(m.counts.claimed == 1)
    #expect(m.processed(now: .zero) == .claim(stream: "s", cursor: "9-0", minIdle: .seconds(30), count: 10))
    let live = Action.read(streams: ["s"], ids: [">"], count: 10, block: .milliseconds(100))
    #expect(m.claimed([], deleted: [], stream: "s", nextCursor: "0-0", now: .seconds(1)) == live)
    #expect(m.entriesRead([], readStreams: ["s"], now: .seconds(4)) == live)
    #expect(
      m.entriesRead([], readStreams: ["s"], now: .seconds(6))
        == .claim(stream: "s", cursor: "0-0", minIdle: .seconds(30), count: 10))
  }

  /// A connection failure backs off, reconnects, creates the groups again and re-reads own
  /// pending entries from 0; NOGROUP recreates the group of the stream named.
  @Test func failures() {
    var m = Self.machine(["a", "b"])
    _ = m.start()
    _ = m.groupsCreated()
    _ = m.outboxPublished(now: .zero)
    _ = m.entriesRead([], readStreams: ["a", "b"], now: .zero)
    #expect(m.failed(.connection) == .reconnect(after: .milliseconds(50)))
    #expect(m.failed(.connection) == .reconnect(after: .milliseconds(100)))
    #expect(m.reconnected() == .createGroups(["a", "b"]))
    #expect(m.groupsCreated() == .publishOutbox)
    #expect(
      m.outboxPublished(now: .seconds(1))
        == .read(streams: ["a", "b"], ids: ["0", "0"], count: 10, block: nil))
    #expect(m.failed(.connection) == .reconnect(after: .milliseconds(50)))
    #expect(m.failed(.noGroup(stream: "b")) == .createGroups(["b"]))
    #expect(m.failed(.noGroup(stream: "?")) == .createGroups(["a", "b"]))
    #expect(m.counts.reconnects == 3)
    #expect(m.counts.groupsRecreated == 2)
  }

  /// A stop request finishes the batch in hand, then stops; a failure while stopping stops.
  @Test func gracefulStop() {
    var m = Self.machine()
    _ = m.start()
    _ = m.groupsCreated()
    _ = m.outboxPublished(now: .zero)
    _ = m.entriesRead([], readStreams: ["s"], now: .zero)
    _ = m.claimed([], deleted: [], stream: "s", nextCursor: "0-0", now: .zero)
    guard case .process = m.entriesRead([Self.entry("s", "1-0")], readStreams: ["s"], now: .zero) else {
      Issue.record("expected a batch")
      return
    }
    m.stopRequested()
    #expect(m.processed(now: .zero) == .stop)
    var n = Self.machine()
    n.stopRequested()
    #expect(n.failed(.connection) == .stop)
  }

  /// Pipelined: with a batch's commit in flight the next read does not block; an empty answer
  /// settles the commit first (then the read blocks), and so does a stop; a failure forgets it
  /// (the service settles it before reporting the failure).
  @Test func commitInFlight() {
    var m = Self.machine()
    _ = m.start()
    _ = m.groupsCreated()
    _ = m.outboxPublished(now: .zero)
    _ = m.entriesRead([], readStreams: ["s"], now: .zero)
    let blocking = Action.read(streams: ["s"], ids: [">"], count: 10, block: .milliseconds(100))
    let polling = Action.read(streams: ["s"], ids: [">"], count: 10, block: nil)
    #expect(m.claimed([], deleted: [], stream: "s", nextCursor: "0-0", now: .zero) == blocking)
    guard case .process = m.entriesRead([Self.entry("s", "1-0")], readStreams: ["s"], now: .zero) else {
      Issue.record("expected a batch")
      return
    }
    #expect(m.processed(now: .zero, commitInFlight: true) == polling)
    #expect(m.isCommitInFlight)
    // More entries: the next batch is decided while the commit runs.
    guard case .process = m.entriesRead([Self.entry("s", "2-0")], readStreams: ["s"], now: .zero) else {
      Issue.record("expected a batch")
      return
    }
    #expect(m.processed(now: .zero, commitInFlight: true) == polling)
    // Nothing new: settle before blocking.
    #expect(m.entriesRead([], readStreams: ["s"], now: .zero) == .settle)
    #expect(m.settled(now: .zero) == blocking)
    #expect(!m.isCommitInFlight)
    #expect(m.entriesRead([], readStreams: ["s"], now: .zero) == blocking)
    // A stop with a commit in flight settles it, then stops.
    _ = m.entriesRead([Self.entry("s", "3-0")], readStreams: ["s"], now: .zero)
    m.stopRequested()
    #expect(m.processed(now: .zero, commitInFlight: true) == .settle)
    #expect(m.settled(now: .zero) == .stop)
    // A failure drops it from the machine's view.
    var n = Self.machine()
    _ = n.start()
    _ = n.groupsCreated()
    _ = n.outboxPublished(now: .zero)
    _ = n.entriesRead([], readStreams: ["s"], now: .zero)
    _ = n.claimed([], deleted: [], stream: "s", nextCursor: "0-0", now: .zero)
    _ = n.entriesRead([Self.entry("s", "1-0")], readStreams: ["s"], now: .zero)
    _ = n.processed(now: .zero, commitInFlight: true)
    #expect(n.failed(.connection) == .reconnect(after: .milliseconds(50)))
    #expect(!n.isCommitInFlight)
  }

  typealias Action = ConsumerStateMachine.Action

  /// Reading several streams: pending reads end per stream; a stream with pending entries keeps
  /// its cursor while the other switches to new entries.
  @Test func pendingPerStream() {
    var m = Self.machine(["a", "b"])
    _ = m.start()
    _ = m.groupsCreated()
    _ = m.outboxPublished(now: .zero)
    #expect(
      m.entriesRead([Self.entry("a", "1-0")], readStreams: ["a", "b"], now: .zero)
        == .fetchDeliveries(stream: "a", ids: ["1-0"]))
    guard case .process(let batch) = m.deliveriesFetched(["1-0": 2], stream: "a", now: .zero) else {
      Issue.record("expected a batch")
      return
    }
    #expect(batch.events.map(\.id) == ["1-0"])
    #expect(m.processed(now: .zero) == .read(streams: ["a"], ids: ["1-0"], count: 10, block: nil))
  }

  /// Every stream has its own partition, and partitions follow the documented hash.
  @Test func partitioning() {
    let p = Partitioning(stream: "events", count: 4)
    #expect(p.streamName(3) == "events:3")
    #expect(p.stateTenant("t", 3) == "t#3")
    #expect(Partitioning(stream: "events", count: nil).streamName(0) == "events")
    // FNV-1a-32("a") = 0xe40c292c.
    #expect(Partitioning.partition(ofKey: "a", count: 1000) == Int(UInt32(0xe40c_292c) % 1000))
    #expect(
      p.partition(ofEvent: Array(#"{"user_id":"a","event_id":"x"}"#.utf8)) == Int(UInt32(0xe40c_292c) % 4))
    #expect(p.partition(ofEvent: Array("not json".utf8)) == 0)
    var seen = Set<Int>()
    for i in 0..<200 { seen.insert(Partitioning.partition(ofKey: "u\(i)", count: 4)) }
    #expect(seen == [0, 1, 2, 3])
  }

  /// The consumer reads XREADGROUP replies straight from hiredis's reply (`readGroup(raw:)`):
  /// the same entries and errors as through `RedisReply`, for every shape a reply may take.
  @Test func readGroupRepliesReadDirectlyAsThroughRedisReply() throws {
    func bulk(_ s: String) -> String { "$\(s.utf8.count)\r\n\(s)\r\n" }
    func array(_ items: [String]) -> String { "*\(items.count)\r\n" + items.joined() }
    func entry(_ id: String, _ fields: [String]?) -> String {
      array([bulk(id), fields.map { array($0.map(bulk)) } ?? "*-1\r\n"])
    }
    let event = #"{"event_id":"e1","amount":12.5,"note":"héllo"}"#
    let replies: [String] = [
      array([
        array([bulk("events"), array([entry("1-0", ["event", event]), entry("1-1", ["event", ""])])])
      ]),
      array([
        array([bulk("events:0"), array([entry("2-0", ["source", "x", "event", event])])]),
        array([bulk("events:1"), array([entry("3-0", ["event", event, "event", "second"])])]),
      ]),
      array([array([bulk("events"), array([entry("4-0", ["event", event]), entry("4-1", nil)])])]),
      array([
        array([bulk("events"), array([entry("5-0", ["other", "x"]), entry("5-1", ["event", event])])])
      ]),
      array([array([bulk("events"), array([])])]),
      "*-1\r\n",
      "-NOGROUP No such key 'events' or consumer group 'g'\r\n",
      array([bulk("events")]),
      ":1\r\n",
      array([array([bulk("events"), array([array([bulk("6-0")])])])]),
    ]
    for (i, text) in replies.enumerated() {
      let resp = Array(text.utf8)
      let direct = Result { () throws(RedisError) in try StreamReplies.readGroup(resp: resp, direct: true) }
      let general = Result { () throws(RedisError) in try StreamReplies.readGroup(resp: resp, direct: false) }
      #expect(direct == general, "reply \(i)")
    }
    let first = try StreamReplies.readGroup(resp: Array(replies[0].utf8), direct: true)
    #expect(
      first == [
        StreamEntry(stream: "events", id: "1-0", payload: .event(Array(event.utf8))),
        StreamEntry(stream: "events", id: "1-1", payload: .event([])),
      ])
  }

  /// Redis URLs.
  @Test func endpoints() throws {
    #expect(
      try RedisEndpoint(url: "redis://127.0.0.1:6390/2")
        == RedisEndpoint(host: "127.0.0.1", port: 6390, database: 2))
    #expect(try RedisEndpoint(url: "redis://localhost") == RedisEndpoint(host: "localhost", port: 6379))
    #expect(throws: RedisError.self) { try RedisEndpoint(url: "http://x") }
    #expect(throws: RedisError.self) { try RedisEndpoint(url: "redis://x:99999") }
    #expect(throws: RedisError.self) { try RedisEndpoint(url: "redis://u:p@x") }
  }
}
