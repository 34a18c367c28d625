// Per-key rate limiting with token buckets: each key (the bearer token when the request has
// one, else the client's IP address) may send `burst` requests at once and `rate` requests per
// second on average; over that, 429 with `Retry-After`. Only `/v1/` routes are limited — the
// probes (`/healthz`, `/readyz`) and `/metrics` are not.
//
// `TokenBucket` is a pure value (tested on its own); `RateLimiter` keeps one per key under a
// lock and forgets full (idle) buckets when it holds too many keys, so memory stays bounded.

import Hummingbird
import Synchronization

/// A token bucket: `capacity` tokens at most, refilled at `rate` tokens per second.
public struct TokenBucket: Sendable, Equatable {
  /// The most tokens the bucket holds (the burst).
  public let capacity: Double
  /// Tokens added per second.
  public let rate: Double
  /// Tokens now (as of `updated`).
  public private(set) var tokens: Double
  /// When `tokens` was computed, in seconds on any monotonic clock.
  public private(set) var updated: Double

  /// A full bucket at time `now`.
  public init(capacity: Double, rate: Double, now: Double) {
    self.capacity = capacity
    self.rate = rate
    tokens = capacity
    updated = now
  }

  /// Takes one token at `now`: nil when there was one, else how many seconds until there is.
  public mutating func take(now: Double) -> Double? {
    refill(now: now)
    if tokens >= 1 {
      tokens -= 1
      return nil
    }
    return rate > 0 ? (1 - tokens) / rate : .infinity
  }

  /// Whether the bucket is full at `now` (its key can be forgotten: a new bucket is the same).
  public func isFull(now: Double) -> Bool {
    tokens + max(0, now - updated) * rate >= capacity
  }

  mutating func refill(now: Double) {
    if now > updated {
      tokens = min(capacity, tokens + (now - updated) * rate)
      updated = now
    }
  }
}

/// Token buckets by key.
public final class RateLimiter: Sendable {
  /// Requests per second per key.
  public let rate: Double
  /// Requests a key may send at once.
  public let burst: Double
  /// Above this many keys, full buckets are forgotten.
  let maxKeys: Int
  let buckets = Mutex<[String: TokenBucket]>([:])
  let epoch = ContinuousClock.now

  /// A limiter allowing `rate` requests per second per key, with bursts of `burst`.
  public init(rate: Double, burst: Double, maxKeys: Int = 10_000) {
    self.rate = rate
    self.burst = max(1, burst)
    self.maxKeys = maxKeys
  }

  /// Seconds since the limiter started.
  func now() -> Double {
    let (s, attos) = (ContinuousClock.now - epoch).components
    return Double(s) + Double(attos) / 1e18
  }

  /// Takes a token for `key`: nil when allowed, else the seconds until the next token.
  public func take(key: String, now: Double? = nil) -> Double? {
    let t = now ?? self.now()
    return buckets.withLock { table in
      if var bucket = table[key] {
        let wait = bucket.take(now: t)
        table[key] = bucket
        return wait
      }
      if table.count >= maxKeys {
        table = table.filter { !$0.value.isFull(now: t) }
        // Every key busy: start over rather than grow without bound (limits reset, briefly).
        if table.count >= maxKeys { table.removeAll(keepingCapacity: true) }
      }
      var bucket = TokenBucket(capacity: burst, rate: rate, now: t)
      let wait = bucket.take(now: t)
      table[key] = bucket
      return wait
    }
  }

  /// How many keys have a bucket.
  public var keyCount: Int { buckets.withLock { $0.count } }
}

/// Answers 429 with `Retry-After` to a key over its rate (on `/v1/` routes).
struct RateLimitMiddleware: RouterMiddleware {
  typealias Context = SentinelRequestContext
  let limiter: RateLimiter

  func handle(
    _ request: Request, context: Context, next: (Request, Context) async throws -> Response
  ) async throws -> Response {
    guard request.uri.path.hasPrefix("/v1/") else { return try await next(request, context) }
    if let wait = limiter.take(key: Self.key(request, context)) {
      let seconds = wait.isFinite ? max(1, Int(wait.rounded(.up))) : 3600
      var response = DecisionServer.jsonResponse(
        429, DecisionJSON.error("rate limit exceeded: retry after \(seconds) s"))
      response.headers[.retryAfter] = String(seconds)
      return response
    }
    return try await next(request, context)
  }

  /// The bearer token when the request has one, else the client's IP address.
  static func key(_ request: Request, _ context: Context) -> String {
    if let auth = request.headers.value(.authorization), auth.count > 7,
      auth.prefix(7).lowercased() == "bearer "
    {
      return "key:" + auth.dropFirst(7)
    }
    return "ip:" + (context.remoteAddress?.ipAddress ?? "unknown")
  }
}
