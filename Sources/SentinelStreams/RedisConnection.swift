// A small synchronous RESP2 client over hiredis (Debian's libhiredis-dev, 0.14.1).
//
//   RedisEndpoint  `redis://host:port[/db]` parsed and checked
//   RedisReply     a reply as a Swift value (RESP2: status, error, integer, bulk string, nil, array)
//   RedisConnection one hiredis context: connect with a timeout, set the read timeout, run commands
//                  (`redisCommandArgv`, arguments as exact byte copies), pipelines
//
// NOTE: a hiredis context is blocking and single-threaded, and unusable after any I/O or
// protocol error (BUILD_NOTES.md): `RedisConnection` frees it on error and connects again on the
// next command, re-applying the read timeout. It is not `Sendable`: one thread owns it (the
// consumer's dedicated thread, `StreamConsumer`).

import CHiredis
import enum SentinelModel.DecimalText

#if canImport(Glibc)
  import Glibc
#endif

// MARK: - Endpoint

/// Where a Redis server listens: `redis://host:port[/db]`.
public struct RedisEndpoint: Sendable, Equatable, CustomStringConvertible {
  /// The host name or address.
  public var host: String
  /// The TCP port.
  public var port: Int
  /// The logical database (`SELECT`), 0 by default.
  public var database: Int

  /// An endpoint.
  public init(host: String = "127.0.0.1", port: Int = 6379, database: Int = 0) {
    self.host = host
    self.port = port
    self.database = database
  }

  /// Parses `redis://host[:port][/db]`; throws `RedisError.invalidURL` naming what is wrong.
  public init(url: String) throws {
    let prefix = "redis://"
    guard url.hasPrefix(prefix) else {
      throw RedisError.invalidURL(url, reason: "it does not start with `redis://`")
    }
    var rest = Substring(url.dropFirst(prefix.count))
    var database = 0
    if let slash = rest.firstIndex(of: "/") {
      let db = rest[rest.index(after: slash)...]
      if !db.isEmpty {
        guard let n = Int(db), n >= 0 else {
          throw RedisError.invalidURL(url, reason: "database `\(db)` is not a non-negative number")
        }
        database = n
      }
      rest = rest[..<slash]
    }
    if rest.contains("@") {
      throw RedisError.invalidURL(url, reason: "credentials in the URL are not supported")
    }
    var host = String(rest)
    var port = 6379
    if let colon = rest.lastIndex(of: ":"), !rest.hasSuffix("]") {
      let p = rest[rest.index(after: colon)...]
      guard let n = Int(p), (1...65535).contains(n) else {
        throw RedisError.invalidURL(url, reason: "port `\(p)` is not a number from 1 to 65535")
      }
      port = n
      host = String(rest[..<colon])
    }
    if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    guard !host.isEmpty else { throw RedisError.invalidURL(url, reason: "the host is empty") }
    self.init(host: host, port: port, database: database)
  }

  /// `redis://host:port/db`.
  public var description: String {
    let h = host.contains(":") ? "[\(host)]" : host
    return "redis://\(h):\(port)" + (database == 0 ? "" : "/\(database)")
  }
}

// MARK: - Replies and errors

/// A Redis reply (RESP2).
public enum RedisReply: Sendable, Equatable {
  /// A status reply (`+OK`).
  case status(String)
  /// An error reply (`-ERR …`): the server refused the command; the connection stays usable.
  case error(String)
  /// An integer reply.
  case integer(Int64)
  /// A bulk string, as bytes.
  case bulk([UInt8])
  /// A nil bulk string or nil array.
  case null
  /// An array.
  case array([RedisReply])

  /// The bulk string or status as text (UTF-8, invalid bytes replaced), or nil.
  public var string: String? {
    switch self {
    case .bulk(let b): return String(decoding: b, as: UTF8.self)
    case .status(let s): return s
    default: return nil
    }
  }

  /// The elements of an array reply, or nil.
  public var array: [RedisReply]? {
    if case .array(let a) = self { return a }
    return nil
  }

  /// An array of field/value pairs (as XINFO answers) by field name, or nil when not an array;
  /// a pair whose field is not a string is skipped, as is an odd element at the end.
  public var fields: [String: RedisReply]? {
    guard let f = array else { return nil }
    var info: [String: RedisReply] = [:]
    var i = 0
    while i + 1 < f.count {
      if let k = f[i].string { info[k] = f[i + 1] }
      i += 2
    }
    return info
  }

  /// The integer of an integer reply (or of a bulk string holding one), or nil.
  public var integer: Int64? {
    switch self {
    case .integer(let n): return n
    case .bulk(let b): return Int64(String(decoding: b, as: UTF8.self))
    default: return nil
    }
  }

  /// Converts a hiredis reply (recursively); `nil` pointers become `.null`.
  init(_ pointer: UnsafeMutablePointer<redisReply>?) {
    guard let r = pointer?.pointee else {
      self = .null
      return
    }
    func bytes() -> [UInt8] {
      guard let s = r.str else { return [] }
      return Array(UnsafeRawBufferPointer(start: s, count: r.len))
    }
    switch r.type {
    case REDIS_REPLY_STATUS: self = .status(String(decoding: bytes(), as: UTF8.self))
    case REDIS_REPLY_ERROR: self = .error(String(decoding: bytes(), as: UTF8.self))
    case REDIS_REPLY_INTEGER: self = .integer(Int64(r.integer))
    case REDIS_REPLY_STRING: self = .bulk(bytes())
    case REDIS_REPLY_ARRAY:
      var items: [RedisReply] = []
      items.reserveCapacity(r.elements)
      for i in 0..<r.elements { items.append(RedisReply(r.element?[i])) }
      self = .array(items)
    default: self = .null
    }
  }
}

/// A Redis failure.
public enum RedisError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The `--redis` URL is not usable.
  case invalidURL(String, reason: String)
  /// Connecting failed (refused, timed out, unknown host).
  case cannotConnect(endpoint: String, reason: String)
  /// The connection failed during a command (reset, timeout, protocol error); it was closed and
  /// the next command connects again.
  case connectionLost(endpoint: String, command: String, reason: String)
  /// The server answered a command with an error reply.
  case server(command: String, message: String)
  /// The server's answer does not have the shape the command promises.
  case unexpectedReply(command: String, reply: String)

  /// A one-line message.
  public var description: String {
    switch self {
    case .invalidURL(let url, let reason): return "invalid Redis URL `\(url)`: \(reason)"
    case .cannotConnect(let endpoint, let reason): return "cannot connect to \(endpoint): \(reason)"
    case .connectionLost(let endpoint, let command, let reason):
      return "connection to \(endpoint) lost during \(command): \(reason)"
    case .server(let command, let message): return "Redis refused \(command): \(message)"
    case .unexpectedReply(let command, let reply): return "unexpected reply to \(command): \(reply)"
    }
  }

  /// Whether the server refused for a passing reason (`LOADING` its data after a restart, `BUSY`
  /// running a script): retry after a pause, as for a broken connection.
  public var isTransient: Bool {
    if case .server(_, let message) = self {
      return message.hasPrefix("LOADING") || message.hasPrefix("BUSY ") || message.hasPrefix("TRYAGAIN")
    }
    return false
  }

  /// Whether the failure is a broken connection (retry after reconnecting), not a refusal.
  public var isConnectionFailure: Bool {
    switch self {
    case .cannotConnect, .connectionLost: return true
    default: return false
    }
  }
}

// MARK: - Connection

/// One connection to a Redis server, connected lazily and again after any failure.
///
/// Not thread-safe: one thread at a time (the consumer's own thread).
public final class RedisConnection {
  /// The server.
  public let endpoint: RedisEndpoint
  /// How long connecting may take.
  public let connectTimeout: Duration
  /// How long one reply may take. INVARIANT: longer than any `BLOCK` this connection sends.
  public let readTimeout: Duration
  private var context: UnsafeMutablePointer<redisContext>?

  /// A connection to `endpoint` (not opened until the first command).
  public init(
    endpoint: RedisEndpoint, connectTimeout: Duration = .seconds(2), readTimeout: Duration = .seconds(10)
  ) {
    self.endpoint = endpoint
    self.connectTimeout = connectTimeout
    self.readTimeout = readTimeout
  }

  deinit { close() }

  /// Closes the connection (the next command connects again). Replies not read are dropped.
  public func close() {
    if let c = context { redisFree(c) }
    context = nil
    outstanding = 0
  }

  /// Commands sent with `send` whose replies `receive` has not read yet, in order. While any
  /// is outstanding, only `send` and `receive` may be used (the replies come in order).
  public private(set) var outstanding = 0

  /// Whether a context is open.
  public var isConnected: Bool { context != nil }

  private static func timeval(_ d: Duration) -> timeval {
    let (s, attos) = d.components
    return Glibc.timeval(tv_sec: Int(s), tv_usec: Int(attos / 1_000_000_000_000))
  }

  private static func errorText(_ c: UnsafeMutablePointer<redisContext>) -> String {
    withUnsafeBytes(of: c.pointee.errstr) { raw in
      let bytes = raw.prefix { $0 != 0 }
      return String(decoding: bytes, as: UTF8.self)
    }
  }

  /// SIGPIPE ignored, once per process: hiredis writes with `write(2)`, and a write to a
  /// connection Redis closed (killed, restarted) would kill the process instead of failing with
  /// EPIPE — which `lost` turns into a reconnection. (Commands sent without waiting for their
  /// replies write while the server may be gone; `redisKilledUnderLoad` was killed by SIGPIPE.)
  private static let ignoresSIGPIPE: Bool = {
    signal(SIGPIPE, SIG_IGN)
    return true
  }()

  /// Opens the context when none is open: connect, read timeout, `SELECT`.
  public func connect() throws(RedisError) {
    if context != nil { return }
    _ = Self.ignoresSIGPIPE
    guard let c = redisConnectWithTimeout(endpoint.host, Int32(endpoint.port), Self.timeval(connectTimeout))
    else {
      throw .cannotConnect(endpoint: endpoint.description, reason: "out of memory")
    }
    if c.pointee.err != 0 {
      let reason = Self.errorText(c)
      redisFree(c)
      throw .cannotConnect(endpoint: endpoint.description, reason: reason)
    }
    if redisSetTimeout(c, Self.timeval(readTimeout)) != REDIS_OK {
      let reason = Self.errorText(c)
      redisFree(c)
      throw .cannotConnect(endpoint: endpoint.description, reason: "cannot set the read timeout: \(reason)")
    }
    context = c
    if endpoint.database != 0 {
      let reply = try command(["SELECT", String(endpoint.database)])
      if case .error(let m) = reply {
        close()
        throw .cannotConnect(endpoint: endpoint.description, reason: "SELECT \(endpoint.database): \(m)")
      }
    }
  }

  /// Runs one command. An error reply is returned as `.error` (the connection stays usable);
  /// an I/O failure closes the connection and throws `RedisError.connectionLost`.
  public func command(_ arguments: [String]) throws(RedisError) -> RedisReply {
    try command(arguments.map { Array($0.utf8) })
  }

  /// Runs one command given as byte strings (exact copies, NULs included).
  public func command(_ arguments: [[UInt8]]) throws(RedisError) -> RedisReply {
    assert(outstanding == 0, "a command while replies are outstanding")
    try connect()
    guard let c = context else { throw .cannotConnect(endpoint: endpoint.description, reason: "no context") }
    let reply = withArgv(arguments) { argc, argv, lengths in redisCommandArgv(c, argc, argv, lengths) }
    guard let reply else { throw lost(c, arguments) }
    defer { freeReplyObject(reply) }
    return RedisReply(reply.assumingMemoryBound(to: redisReply.self))
  }

  /// Runs one command and hands hiredis's reply to `parse` (valid only during the call): a big
  /// reply read into its final form directly, without a `RedisReply` tree
  /// (`StreamReplies.readGroup(raw:)`).
  func command<T>(
    _ arguments: [String], parse: (UnsafePointer<redisReply>) throws(RedisError) -> T
  ) throws(RedisError) -> T {
    assert(outstanding == 0, "a command while replies are outstanding")
    let bytes = arguments.map { Array($0.utf8) }
    try connect()
    guard let c = context else { throw .cannotConnect(endpoint: endpoint.description, reason: "no context") }
    let reply = withArgv(bytes) { argc, argv, lengths in redisCommandArgv(c, argc, argv, lengths) }
    guard let reply else { throw lost(c, bytes) }
    defer { freeReplyObject(reply) }
    return try parse(UnsafePointer(reply.assumingMemoryBound(to: redisReply.self)))
  }

  /// Runs one command whose arguments are in one buffer (`RedisArguments`).
  public func command(_ arguments: RedisArguments) throws(RedisError) -> RedisReply {
    assert(outstanding == 0, "a command while replies are outstanding")
    try connect()
    guard let c = context else { throw .cannotConnect(endpoint: endpoint.description, reason: "no context") }
    let reply = arguments.withArgv { argc, argv, lengths in redisCommandArgv(c, argc, argv, lengths) }
    guard let reply else { throw lost(c, arguments.name) }
    defer { freeReplyObject(reply) }
    return RedisReply(reply.assumingMemoryBound(to: redisReply.self))
  }

  /// Sends every command, then reads every reply (one round trip), arguments in one buffer each.
  public func pipeline(_ commands: [RedisArguments]) throws(RedisError) -> [RedisReply] {
    assert(outstanding == 0, "a pipeline while replies are outstanding")
    if commands.isEmpty { return [] }
    try connect()
    guard let c = context else { throw .cannotConnect(endpoint: endpoint.description, reason: "no context") }
    for arguments in commands {
      let status = arguments.withArgv { argc, argv, lengths in redisAppendCommandArgv(c, argc, argv, lengths)
      }
      if status != REDIS_OK { throw lost(c, arguments.name) }
    }
    var replies: [RedisReply] = []
    replies.reserveCapacity(commands.count)
    for arguments in commands {
      var raw: UnsafeMutableRawPointer?
      if redisGetReply(c, &raw) != REDIS_OK || raw == nil { throw lost(c, arguments.name) }
      replies.append(RedisReply(raw?.assumingMemoryBound(to: redisReply.self)))
      freeReplyObject(raw)
    }
    return replies
  }

  /// Sends every command, then reads every reply (one round trip). Error replies are returned in
  /// place; an I/O failure closes the connection and throws.
  public func pipeline(_ commands: [[[UInt8]]]) throws(RedisError) -> [RedisReply] {
    assert(outstanding == 0, "a pipeline while replies are outstanding")
    if commands.isEmpty { return [] }
    try connect()
    guard let c = context else { throw .cannotConnect(endpoint: endpoint.description, reason: "no context") }
    for arguments in commands {
      let status = withArgv(arguments) { argc, argv, lengths in redisAppendCommandArgv(c, argc, argv, lengths)
      }
      if status != REDIS_OK { throw lost(c, arguments) }
    }
    var replies: [RedisReply] = []
    replies.reserveCapacity(commands.count)
    for arguments in commands {
      var raw: UnsafeMutableRawPointer?
      if redisGetReply(c, &raw) != REDIS_OK || raw == nil { throw lost(c, arguments) }
      replies.append(RedisReply(raw?.assumingMemoryBound(to: redisReply.self)))
      freeReplyObject(raw)
    }
    return replies
  }

  // MARK: Replies read later

  /// Sends a command and returns without its reply: the bytes are written to the socket now, so
  /// the server works on it while the caller does something else; `receive` reads the reply
  /// (replies come in the order commands were sent). An I/O failure closes the connection.
  public func send(_ arguments: RedisArguments) throws(RedisError) {
    try connect()
    guard let c = context else { throw .cannotConnect(endpoint: endpoint.description, reason: "no context") }
    let status = arguments.withArgv { argc, argv, lengths in redisAppendCommandArgv(c, argc, argv, lengths) }
    if status != REDIS_OK { throw lost(c, arguments.name) }
    try flush(c, arguments.name)
    outstanding += 1
  }

  /// `send` of arguments given as strings.
  public func send(_ arguments: [String]) throws(RedisError) {
    var a = RedisArguments(bytes: arguments.reduce(0) { $0 + $1.utf8.count }, count: arguments.count)
    for x in arguments { a.append(x) }
    try send(a)
  }

  /// Writes hiredis's output buffer to the socket, all of it.
  private func flush(_ c: UnsafeMutablePointer<redisContext>, _ name: String) throws(RedisError) {
    var done: Int32 = 0
    while done == 0 {
      if redisBufferWrite(c, &done) != REDIS_OK { throw lost(c, name) }
    }
  }

  /// Reads the reply of the oldest command sent and not received (`send`); an error reply is
  /// returned as `.error`. An I/O failure closes the connection and throws.
  public func receive(_ name: String) throws(RedisError) -> RedisReply {
    try receive(name) { RedisReply(UnsafeMutablePointer(mutating: $0)) }
  }

  /// `receive`, handing hiredis's reply to `parse` (valid only during the call).
  func receive<T>(
    _ name: String, parse: (UnsafePointer<redisReply>) throws(RedisError) -> T
  ) throws(RedisError) -> T {
    guard let c = context, outstanding > 0 else {
      throw .connectionLost(endpoint: endpoint.description, command: name, reason: "no reply outstanding")
    }
    var raw: UnsafeMutableRawPointer?
    if redisGetReply(c, &raw) != REDIS_OK || raw == nil { throw lost(c, name) }
    outstanding -= 1
    defer { freeReplyObject(raw) }
    guard let reply = raw?.assumingMemoryBound(to: redisReply.self) else { throw lost(c, name) }
    return try parse(UnsafePointer(reply))
  }

  /// Closes the failed context and describes the failure.
  private func lost(_ c: UnsafeMutablePointer<redisContext>, _ arguments: [[UInt8]]) -> RedisError {
    lost(c, arguments.first.map { String(decoding: $0, as: UTF8.self) } ?? "?")
  }

  private func lost(_ c: UnsafeMutablePointer<redisContext>, _ name: String) -> RedisError {
    let reason = c.pointee.err != 0 ? Self.errorText(c) : "no reply"
    close()
    return .connectionLost(endpoint: endpoint.description, command: name, reason: reason)
  }

  /// Calls `body` with C argument vectors pointing at exact copies of `arguments`.
  private func withArgv<T>(
    _ arguments: [[UInt8]],
    _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> T
  ) -> T {
    // One buffer holds every argument; argv points into it. hiredis copies the bytes out before
    // returning, so the buffer only has to live for the call.
    let total = arguments.reduce(0) { $0 + $1.count }
    let storage = UnsafeMutablePointer<CChar>.allocate(capacity: max(total, 1))
    defer { storage.deallocate() }
    let argv = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(capacity: max(arguments.count, 1))
    defer { argv.deallocate() }
    let lengths = UnsafeMutablePointer<Int>.allocate(capacity: max(arguments.count, 1))
    defer { lengths.deallocate() }
    var offset = 0
    for (i, a) in arguments.enumerated() {
      a.withUnsafeBytes { raw in
        if let base = raw.baseAddress {
          UnsafeMutableRawPointer(storage + offset).copyMemory(from: base, byteCount: a.count)
        }
      }
      argv[i] = UnsafePointer(storage + offset)
      lengths[i] = a.count
      offset += a.count
    }
    return body(Int32(arguments.count), argv, lengths)
  }
}

// MARK: - Arguments in one buffer

/// A command's arguments in one byte buffer, for commands with many arguments (the outbox's
/// publication script: five per row): no array or string per argument, and hiredis reads them
/// from the buffer directly.
public struct RedisArguments {
  /// Every argument's bytes, one after another.
  private var bytes: [UInt8] = []
  /// Where each argument ends in `bytes`.
  private var ends: [Int] = []

  /// Empty, with room for about `bytes` bytes in `count` arguments.
  public init(bytes: Int = 0, count: Int = 0) {
    self.bytes.reserveCapacity(bytes)
    ends.reserveCapacity(count)
  }

  /// The number of arguments.
  public var count: Int { ends.count }

  /// The command's name (its first argument), for messages.
  public var name: String {
    guard let end = ends.first else { return "?" }
    return String(decoding: bytes[..<end], as: UTF8.self)
  }

  /// Appends a string's UTF-8 bytes as one argument.
  public mutating func append(_ text: String) {
    var text = text
    text.withUTF8 { bytes.append(contentsOf: $0) }
    ends.append(bytes.count)
  }

  /// Appends an integer in decimal as one argument.
  public mutating func append(_ n: Int64) {
    let start = bytes.count
    bytes.append(contentsOf: repeatElement(0x30, count: DecimalText.byteCount(n)))
    bytes.withUnsafeMutableBufferPointer { _ = DecimalText.write(n, into: $0, at: start) }
    ends.append(bytes.count)
  }

  /// Calls `body` with argc, argv and the argument lengths (hiredis's `…Argv` calls), pointing
  /// into the buffer.
  func withArgv<T>(
    _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> T
  ) -> T {
    let n = max(ends.count, 1)
    let argv = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(capacity: n)
    defer { argv.deallocate() }
    let lengths = UnsafeMutablePointer<Int>.allocate(capacity: n)
    defer { lengths.deallocate() }
    return bytes.withUnsafeBufferPointer { buffer in
      // A zero-length buffer may have no base address; hiredis reads no byte of an empty
      // argument, but needs a valid pointer.
      let empty: CChar = 0
      return withUnsafePointer(to: empty) { emptyPointer in
        var start = 0
        for (i, end) in ends.enumerated() {
          if let base = buffer.baseAddress {
            argv[i] = UnsafeRawPointer(base + start).assumingMemoryBound(to: CChar.self)
          } else {
            argv[i] = emptyPointer
          }
          lengths[i] = end - start
          start = end
        }
        return body(Int32(ends.count), argv, lengths)
      }
    }
  }
}
