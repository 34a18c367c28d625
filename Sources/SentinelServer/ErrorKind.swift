// The closed set of error kinds counted by `sentinel_errors_total{kind}` (docs/operations.md):
// a label value never comes from request data.

/// Why a request or an event was refused.
public enum ErrorKind: String, Sendable, CaseIterable {
  /// An event the decoder rejected (malformed JSON, wrong type, missing field, unknown type…).
  case invalidEvent = "invalid_event"
  /// A body with no event in it.
  case emptyBody = "empty_body"
  /// A batch body that is not a JSON array or NDJSON.
  case malformedBatch = "malformed_batch"
  /// A body over the size limit (413).
  case bodyTooLarge = "body_too_large"
  /// A body not received in time (408).
  case requestTimeout = "request_timeout"
  /// A `Host` header outside the allow-list (421) or missing (400).
  case hostNotAllowed = "host_not_allowed"
  /// Over the per-key request rate (429).
  case rateLimited = "rate_limited"
  /// No such route (404) or no such stored decision.
  case notFound = "not_found"
  /// A method the route does not answer (405).
  case methodNotAllowed = "method_not_allowed"
  /// The state store failed; nothing was acknowledged (503).
  case storeUnavailable = "store_unavailable"
  /// A bug: an unexpected error, answered 500 (the log has the request id).
  case internalError = "internal"
}
