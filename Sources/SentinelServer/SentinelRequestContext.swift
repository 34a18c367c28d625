// The daemon's request context: Hummingbird's core storage plus what the hardening middleware
// needs — the client's address (the rate-limit key until API keys are known) and the request id
// (echoed in `X-Request-Id` and put in every log line about the request).

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

  /// A context for a request arriving on `source.channel`.
  public init(source: ApplicationRequestContextSource) {
    coreContext = .init(source: source)
    remoteAddress = source.channel.remoteAddress
  }
}
