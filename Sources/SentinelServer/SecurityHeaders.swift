// Response headers for a JSON API, after OWASP's REST Security Cheat Sheet ("Security
// headers"): no MIME sniffing, no caching of answers (decisions are about people), no framing,
// no referrer, and a content security policy that allows nothing (the API serves no HTML).

import Hummingbird
import HTTPTypes

/// The security headers every answer of the daemon carries.
enum SecurityHeaders {
  /// Header names and values, in the order they are written.
  static let fields: [(HTTPField.Name, String)] = [
    (.xContentTypeOptions, "nosniff"),
    (.cacheControl, "no-store"),
    (name("X-Frame-Options"), "DENY"),
    (.contentSecurityPolicy, "default-src 'none'; frame-ancestors 'none'"),
    (name("Referrer-Policy"), "no-referrer"),
    (name("Cross-Origin-Resource-Policy"), "same-origin"),
  ]

  /// A header name written in this file (a valid token by construction).
  static func name(_ text: StaticString) -> HTTPField.Name {
    guard let name = HTTPField.Name("\(text)") else { preconditionFailure("bad header name \(text)") }
    return name
  }

  /// Adds the security headers to `headers` (replacing any the route set).
  static func apply(to headers: inout HTTPFields) {
    for (name, value) in fields { headers[name] = value }
  }
}
