// Stream replies (RESP2) → `StreamEntry` values, and the wire format's field names.
//
//   XREADGROUP  [[stream, [[id, [field, value, …] | nil], …]], …] | nil (BLOCK timed out)
//   XAUTOCLAIM  [next-cursor, [[id, [field, value, …] | nil], …], [deleted-id, …]]   (Redis 7)
//   XPENDING    [[id, consumer, idle-ms, deliveries], …]                              (extended form)

/// The wire format: field names of input, output and dead-letter entries.
public enum StreamFields {
  /// Input entries: the event's JSON.
  public static let event = "event"
  /// Output entries: the decision line (as `sentinel replay` writes it).
  public static let decision = "decision"
  /// Dead letters: why the entry is dead (with `event`, the raw entry).
  public static let error = "error"
}

/// Parses stream replies.
public enum StreamReplies {
  /// The entries of an XREADGROUP reply (nil reply: none).
  public static func readGroup(_ reply: RedisReply) throws(RedisError) -> [StreamEntry] {
    if reply == .null { return [] }
    guard let streams = reply.array else { throw unexpected("XREADGROUP", reply) }
    var out: [StreamEntry] = []
    for s in streams {
      guard let pair = s.array, pair.count == 2, let name = pair[0].string, let entries = pair[1].array else {
        throw unexpected("XREADGROUP", reply)
      }
      for e in entries { out.append(try entry(e, stream: name, command: "XREADGROUP")) }
    }
    return out
  }

  /// The next cursor, the claimed entries and the deleted ids of an XAUTOCLAIM reply.
  public static func autoclaim(_ reply: RedisReply, stream: String) throws(RedisError) -> (
    cursor: String, entries: [StreamEntry], deleted: [String]
  ) {
    guard let parts = reply.array, parts.count >= 2, let cursor = parts[0].string, let raw = parts[1].array
    else {
      throw unexpected("XAUTOCLAIM", reply)
    }
    var entries: [StreamEntry] = []
    for e in raw {
      // Redis 7 leaves deleted entries out of the list (they are in the third element); an
      // older answer may hold nil in their place.
      if e == .null { continue }
      entries.append(try entry(e, stream: stream, command: "XAUTOCLAIM"))
    }
    let deleted = parts.count > 2 ? (parts[2].array ?? []).compactMap(\.string) : []
    return (cursor, entries, deleted)
  }

  /// Delivery counts by id from an extended XPENDING reply.
  public static func pendingCounts(_ reply: RedisReply) throws(RedisError) -> [String: Int] {
    guard let rows = reply.array else { throw unexpected("XPENDING", reply) }
    var out: [String: Int] = [:]
    for r in rows {
      guard let f = r.array, f.count == 4, let id = f[0].string, let n = f[3].integer else {
        throw unexpected("XPENDING", reply)
      }
      out[id] = Int(n)
    }
    return out
  }

  /// One `[id, fields | nil]` element.
  static func entry(_ reply: RedisReply, stream: String, command: String) throws(RedisError) -> StreamEntry {
    guard let pair = reply.array, pair.count == 2, let id = pair[0].string else {
      throw unexpected(command, reply)
    }
    guard let fields = pair[1].array else {
      return StreamEntry(stream: stream, id: id, payload: .trimmed)
    }
    var shown: [String] = []
    var i = 0
    while i + 1 < fields.count {
      if case .bulk(let name) = fields[i], name.elementsEqual(StreamFields.event.utf8),
        case .bulk(let v) = fields[i + 1]
      {
        return StreamEntry(stream: stream, id: id, payload: .event(v))
      }
      shown.append("\(fields[i].string ?? "?")=\(String((fields[i + 1].string ?? "?").prefix(64)))")
      i += 2
    }
    return StreamEntry(stream: stream, id: id, payload: .missingEvent(shown.joined(separator: " ")))
  }

  static func unexpected(_ command: String, _ reply: RedisReply) -> RedisError {
    var text = "\(reply)"
    if text.count > 200 { text = String(text.prefix(200)) + "…" }
    return .unexpectedReply(command: command, reply: text)
  }
}
