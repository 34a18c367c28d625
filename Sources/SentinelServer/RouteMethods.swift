// Which methods each documented path answers, read from the OpenAPI document (the one list of
// routes, docs/openapi.yaml): a request for a known path with another method gets 405 with an
// `Allow` header (RFC 9110 §15.5.6), not 404.

import SentinelModel

/// The documented paths and their methods.
struct RouteMethods: Sendable {
  /// A path pattern: literal segments, nil for a `{parameter}`; and its methods, upper-case.
  let routes: [(segments: [String?], methods: [String])]

  /// The routes of `OpenAPIDocument`.
  static let documented = RouteMethods(openAPIJSON: OpenAPIDocument.json)

  static let httpMethods: Set<String> = ["get", "put", "post", "patch", "delete", "head", "options", "trace"]

  /// The routes of an OpenAPI document (none when it does not parse).
  init(openAPIJSON: String) {
    guard case .map(let doc)? = try? JSONReader.parse(openAPIJSON),
      case .map(let paths)? = doc[string: "paths"]
    else {
      routes = []
      return
    }
    var out: [(segments: [String?], methods: [String])] = []
    for (key, value) in paths.entries {
      guard case .string(let path) = key, case .map(let operations) = value else { continue }
      let methods = operations.entries.compactMap { k, _ -> String? in
        guard case .string(let m) = k, Self.httpMethods.contains(m) else { return nil }
        return m.uppercased()
      }
      out.append((Self.segments(path), methods.sorted()))
    }
    routes = out
  }

  static func segments(_ path: String) -> [String?] {
    path.split(separator: "/", omittingEmptySubsequences: false).map { s in
      s.hasPrefix("{") && s.hasSuffix("}") ? nil : String(s)
    }
  }

  /// The methods allowed on `path`, or nil when no documented route matches it. When several
  /// match (`/v1/decisions/batch` and `/v1/decisions/{event_id}`), the most literal one wins,
  /// as in the router.
  func allowed(path: String) -> [String]? {
    let parts = path.split(separator: "/", omittingEmptySubsequences: false)
    var best: (literals: Int, methods: [String])?
    for route in routes where route.segments.count == parts.count {
      let matches = zip(route.segments, parts).allSatisfy { pattern, part in
        pattern.map { $0 == part } ?? !part.isEmpty
      }
      if matches {
        let literals = route.segments.count { $0 != nil }
        if literals > best?.literals ?? -1 { best = (literals, route.methods) }
      }
    }
    return best?.methods
  }
}
