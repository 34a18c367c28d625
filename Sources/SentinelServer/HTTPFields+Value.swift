// Reading one request header field's value on the request path.
//
// PERF: `HTTPFields[name]` joins the values of every field of that name through a lazy map and
// `joined(separator:)`, even when there is only one: ~2.7 µs per request for the four reads of
// every `POST /v1/decisions` (Authorization twice, X-Request-Id, Content-Length; `perf record`
// of the daemon, docs/performance.md, "The commit thread's Swift work"). A field that occurs
// once — every well-formed request here — is returned as it is; a repeated one still gets the
// joined value, exactly as the subscript gives it.

import HTTPTypes

extension HTTPFields {
  /// The value of the field `name`, as `self[name]` gives it: nil when absent, the values of a
  /// repeated field joined by the subscript.
  func value(_ name: HTTPField.Name) -> String? {
    var found: String?
    for field in self where field.name == name {
      if found != nil { return self[name] }
      found = field.value
    }
    return found
  }
}
