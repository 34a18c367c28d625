// Partitioning by entity key: events are spread over N streams by a hash of their user id, so
// that all events of one user land in one stream, are read by one consumer in order, and update
// state that consumer alone owns (the keyed-state model of Kafka Streams and Flink).
//
//   partition(event) = FNV-1a-32(UTF-8 bytes of `user_id`) mod N
//                      (no string `user_id`: of `event_id`; neither: partition 0)
//   stream of partition p = "<stream>:<p>"            (with N = 1 and no --of: "<stream>")
//   state of partition p  = tenant "<tenant>#<p>"     (its own aggregates and processed ids)
//
// Ownership is explicit and fixed: each consumer is told its partitions (`--partitions 0,1
// --of 4`); N never changes for a stream set (changing it would move users between states).

import SentinelModel

/// A fixed partitioning of one logical stream into `count` streams.
public struct Partitioning: Sendable, Equatable {
  /// The logical stream name (`events`).
  public var stream: String
  /// N, the number of partitions; nil for an unpartitioned stream.
  public var count: Int?

  /// A partitioning of `stream` into `count` streams (nil: one stream, not partitioned).
  public init(stream: String, count: Int?) {
    self.stream = stream
    self.count = count
  }

  /// The Redis stream of partition `p`.
  public func streamName(_ p: Int) -> String {
    count == nil ? stream : "\(stream):\(p)"
  }

  /// The state tenant of partition `p` for `tenant`.
  public func stateTenant(_ tenant: String, _ p: Int) -> String {
    count == nil ? tenant : "\(tenant)#\(p)"
  }

  /// The partition of an event's JSON text (0 when unpartitioned, or when the text is not a
  /// JSON object: such an event is dead-lettered by whoever reads it).
  public func partition(ofEvent json: [UInt8]) -> Int {
    guard let n = count, n > 1 else { return 0 }
    guard case .map(let m)? = try? JSONReader.parse(String(decoding: json, as: UTF8.self)) else { return 0 }
    for field in ["user_id", "event_id"] {
      if case .string(let key)? = m[string: field] { return Self.partition(ofKey: key, count: n) }
    }
    return 0
  }

  /// FNV-1a (32 bits) of the key's UTF-8 bytes, mod `count`.
  public static func partition(ofKey key: String, count: Int) -> Int {
    var h: UInt32 = 0x811c_9dc5
    for b in key.utf8 {
      h ^= UInt32(b)
      h = h &* 0x0100_0193
    }
    return Int(h % UInt32(max(count, 1)))
  }
}
