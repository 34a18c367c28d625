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

  /// `fields` as header fields, built once.
  static let prepared: [HTTPField] = fields.map { HTTPField(name: $0.0, value: $0.1) }

  /// Adds the security headers to `headers` (replacing any the route set).
  // PERF: a field no route set — every one, normally — is appended as built once; the
  // subscript's setter searched, validated and rewrote each of the six (~2 µs of every request,
  // docs/performance.md, "The commit thread's Swift work, header reads, and resident memory").
  static func apply(to headers: inout HTTPFields) {
    for field in prepared {
      if headers.contains(field.name) {
        headers[field.name] = field.value
      } else {
        headers.append(field)
      }
    }
  }
}
