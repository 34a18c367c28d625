// Stream replies (RESP2) → `StreamEntry` values, and the wire format's field names.
//
//   XREADGROUP  [[stream, [[id, [field, value, …] | nil], …]], …] | nil (BLOCK timed out)
//   XAUTOCLAIM  [next-cursor, [[id, [field, value, …] | nil], …], [deleted-id, …]]   (Redis 7)
//   XPENDING    [[id, consumer, idle-ms, deliveries], …]                              (extended form)

import CHiredis

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

  /// `readGroup(_:)` of hiredis's reply itself (the consumer's hot path: a batch is one reply
  /// of hundreds of entries): each entry becomes its `StreamEntry` without a `RedisReply` per
  /// element. Anything but a list of streams of entries with an `event` field — an error reply
  /// (thrown as `RedisError.server`), nil (BLOCK timed out), a trimmed entry, one without
  /// `event`, an unexpected shape — goes through the `RedisReply` path, which decides as before.
  static func readGroup(raw r: UnsafePointer<redisReply>) throws(RedisError) -> [StreamEntry] {
    func general() throws(RedisError) -> [StreamEntry] {
      let reply = RedisReply(UnsafeMutablePointer(mutating: r))
      if case .error(let m) = reply { throw RedisError.server(command: "XREADGROUP", message: m) }
      return try readGroup(reply)
    }
    func element(_ p: redisReply, _ i: Int) -> redisReply? {
      guard i < p.elements, let e = p.element?[i] else { return nil }
      return e.pointee
    }
    func isText(_ p: redisReply) -> Bool { p.type == REDIS_REPLY_STRING || p.type == REDIS_REPLY_STATUS }
    func bytes(_ p: redisReply) -> UnsafeRawBufferPointer {
      guard let s = p.str else { return UnsafeRawBufferPointer(start: nil, count: 0) }
      return UnsafeRawBufferPointer(start: s, count: p.len)
    }
    let top = r.pointee
    guard top.type == REDIS_REPLY_ARRAY else { return try general() }
    var out: [StreamEntry] = []
    for i in 0..<top.elements {
      guard let pair = element(top, i), pair.type == REDIS_REPLY_ARRAY, pair.elements == 2,
        let nameReply = element(pair, 0), isText(nameReply), let list = element(pair, 1),
        list.type == REDIS_REPLY_ARRAY
      else { return try general() }
      let name = String(decoding: bytes(nameReply), as: UTF8.self)
      out.reserveCapacity(out.count + list.elements)
      for j in 0..<list.elements {
        guard let entry = element(list, j), entry.type == REDIS_REPLY_ARRAY, entry.elements == 2,
          let idReply = element(entry, 0), isText(idReply), let fields = element(entry, 1),
          fields.type == REDIS_REPLY_ARRAY
        else { return try general() }
        var payload: [UInt8]?
        var k = 0
        while k + 1 < fields.elements {
          if let field = element(fields, k), field.type == REDIS_REPLY_STRING,
            bytes(field).elementsEqual(StreamFields.event.utf8), let value = element(fields, k + 1),
            value.type == REDIS_REPLY_STRING
          {
            payload = Array(bytes(value))
            break
          }
          k += 2
        }
        guard let payload else { return try general() }
        let id = String(decoding: bytes(idReply), as: UTF8.self)
        out.append(StreamEntry(stream: name, id: id, payload: .event(payload)))
      }
    }
    return out
  }

  /// `readGroup` of a reply given as the server sends it (RESP2 bytes), read by hiredis's
  /// reader: `direct` as the consumer reads it (`readGroup(raw:)`), else through a
  /// `RedisReply`. For tests: both ways must give the same entries and the same errors.
  public static func readGroup(resp: [UInt8], direct: Bool) throws(RedisError) -> [StreamEntry] {
    guard let reader = redisReaderCreate() else {
      throw .unexpectedReply(command: "XREADGROUP", reply: "no reader")
    }
    defer { redisReaderFree(reader) }
    let fed = resp.withUnsafeBytes { b in
      redisReaderFeed(reader, b.baseAddress?.assumingMemoryBound(to: CChar.self), b.count)
    }
    var raw: UnsafeMutableRawPointer?
    guard fed == REDIS_OK, redisReaderGetReply(reader, &raw) == REDIS_OK, let raw else {
      throw .unexpectedReply(command: "XREADGROUP", reply: "incomplete RESP")
    }
    defer { freeReplyObject(raw) }
    let reply = raw.assumingMemoryBound(to: redisReply.self)
    if direct { return try readGroup(raw: UnsafePointer(reply)) }
    let tree = RedisReply(reply)
    if case .error(let m) = tree { throw .server(command: "XREADGROUP", message: m) }
    return try readGroup(tree)
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
