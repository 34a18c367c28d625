// The daemon's request context: Hummingbird's core storage plus what the hardening middleware
// needs — the client's address (the rate-limit key until API keys are known) and the request id
// (echoed in `X-Request-Id` and put in every log line about the request) — and who made it
// (`AuthMiddleware`: the API key's tenant and scopes).

public import Hummingbird
public import NIOCore

/// Per-request state of the daemon.
public struct SentinelRequestContext: RequestContext, RemoteAddressRequestContext {
  /// Hummingbird's storage (parameters, endpoint path, logger).
  public var coreContext: CoreRequestContextStorage
  /// The client's address, as seen on the connection.
  public let remoteAddress: SocketAddress?
  /// The request id: the client's `X-Request-Id` when it is well-formed, else a fresh one.
  public var requestID: String = ""
  /// Who made the request; set by `AuthMiddleware` on `/v1/*` (nil elsewhere).
  public var principal: Principal?

  /// A context for a request arriving on `source.channel`.
  public init(source: ApplicationRequestContextSource) {
    coreContext = .init(source: source)
    remoteAddress = source.channel.remoteAddress
  }
}
