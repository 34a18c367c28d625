// Run-time lists of the caller's tenant (`runtime list` in its rule set), changed without a
// recompile:
//
//   GET   /v1/lists/{name}   (read)   the list: entries, count, version, updated_at, source
//   PUT   /v1/lists/{name}   (admin)  body {"entries": ["…", …]}: replace the entries
//   PATCH /v1/lists/{name}   (admin)  body {"add": ["…"], "remove": ["…"]}: change some
//
// A change is checked against the list's element type, stored (one SQLite transaction, durable)
// and then installed by the tenant's decision service between two events: the next decision
// uses it, and no decision sees half of it. 404 for a name the tenant's bundle does not declare
// as a run-time list (the message names those it does), 409 when the tenant has no bundle,
// 400 for a body that is not what the route takes, 413 over `--max-body`, 503 when the store
// fails (nothing changed). Logged without the entries.

import Foundation
import Hummingbird
import SentinelModel
import SentinelRuntime
import SentinelState

extension DecisionServer {
  /// Adds `GET`, `PUT` and `PATCH /v1/lists/{name}`.
  static func addListRoutes(
    to router: Router<SentinelRequestContext>, registry: TenantRegistry, maxBodyBytes: Int,
    bodyTimeout: Swift.Duration
  ) {
    router.get("/v1/lists/{name}") { _, context in
      let tenant = try tenantName(context)
      guard let service = registry.service(for: tenant) else { return noBundle(tenant) }
      let name = context.parameters.get("name") ?? ""
      switch await service.runtimeList(name) {
      case .success(let info): return jsonResponse(200, info.json)
      case .failure(let failure): return failure.response
      }
    }

    @Sendable func change(_ request: Request, _ context: SentinelRequestContext, replacing: Bool) async throws
      -> Response
    {
      let tenant = try tenantName(context)
      guard let service = registry.service(for: tenant) else { return noBundle(tenant) }
      let name = context.parameters.get("name") ?? ""
      let body: [UInt8]
      switch await readBody(request, limit: maxBodyBytes, timeout: bodyTimeout) {
      case .success(let b): body = b
      case .failure(let failure): return failure.response
      }
      let change: ListChange
      switch ListChange.parse(body, replacing: replacing) {
      case .success(let c): change = c
      case .failure(let message): return jsonResponse(400, DecisionJSON.error(message.text))
      }
      switch await service.changeRuntimeList(name, change) {
      case .success(let info): return jsonResponse(200, info.json)
      case .failure(let failure): return failure.response
      }
    }
    router.put("/v1/lists/{name}") { request, context in try await change(request, context, replacing: true) }
    router.patch("/v1/lists/{name}") { request, context in
      try await change(request, context, replacing: false)
    }
  }
}

/// A message for a 400 answer.
struct BadListBody: Error {
  let text: String
}

/// What a `PUT` or `PATCH` of a list asks for.
enum ListChange: Sendable {
  /// Replace every entry.
  case replace([String])
  /// Add entries not yet in the list (at its end, in order), then remove entries.
  case edit(add: [String], remove: [String])

  /// The change a body asks for: `{"entries": [strings]}` when `replacing`, else
  /// `{"add": [strings], "remove": [strings]}` (either may be left out). Anything else is a
  /// message naming the problem.
  static func parse(_ body: [UInt8], replacing: Bool) -> Result<ListChange, BadListBody> {
    let expected = replacing ? "{\"entries\": [\"…\", …]}" : "{\"add\": [\"…\"], \"remove\": [\"…\"]}"
    guard !body.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) else {
      return .failure(BadListBody(text: "empty body: expected \(expected)"))
    }
    guard let text = String(validating: body, as: UTF8.self) else {
      return .failure(BadListBody(text: "the body is not UTF-8: expected \(expected)"))
    }
    let parsed: Value
    do throws(JSONError) {
      parsed = try JSONReader.parse(text)
    } catch {
      return .failure(BadListBody(text: "\(error.description); expected \(expected)"))
    }
    guard case .map(let object) = parsed else {
      return .failure(
        BadListBody(text: "the body is a JSON \(jsonKind(parsed)), not an object: expected \(expected)"))
    }
    let allowed = replacing ? ["entries"] : ["add", "remove"]
    for (key, _) in object.entries {
      let k: String
      if case .string(let s) = key { k = s } else { k = Value.render(key) }
      guard allowed.contains(k) else {
        return .failure(
          BadListBody(
            text:
              "unknown field \(JSONWriter.quote(k)) (expected \(allowed.map { "`\($0)`" }.joined(separator: " and ")))"
          ))
      }
    }
    func strings(_ field: String) -> Result<[String]?, BadListBody> {
      guard let v = object[string: field] else { return .success(nil) }
      guard case .list(let items) = v else {
        return .failure(BadListBody(text: "`\(field)` is a JSON \(jsonKind(v)), not an array of strings"))
      }
      var out: [String] = []
      out.reserveCapacity(items.count)
      for (i, item) in items.enumerated() {
        guard case .string(let s) = item else {
          return .failure(
            BadListBody(
              text: "`\(field)`[\(i)] is a JSON \(jsonKind(item)), not a string: entries are strings"))
        }
        out.append(s)
      }
      return .success(out)
    }
    if replacing {
      switch strings("entries") {
      case .failure(let e): return .failure(e)
      case .success(nil): return .failure(BadListBody(text: "missing field `entries`: expected \(expected)"))
      case .success(let entries?): return .success(.replace(entries))
      }
    }
    let add: [String]?
    switch strings("add") {
    case .failure(let e): return .failure(e)
    case .success(let a): add = a
    }
    switch strings("remove") {
    case .failure(let e): return .failure(e)
    case .success(let r): return .success(.edit(add: add ?? [], remove: r ?? []))
    }
  }

  /// The JSON kind of a parsed value, for messages.
  static func jsonKind(_ v: Value) -> String {
    switch v {
    case .null: return "null"
    case .bool: return "boolean"
    case .int, .uint, .double: return "number"
    case .string: return "string"
    case .list: return "array"
    case .map: return "object"
    default: return v.typeName
    }
  }
}

/// What `GET /v1/lists/{name}` and a successful change answer.
struct RuntimeListInfo: Sendable {
  var name: String
  var elementType: String
  var entries: [String]
  /// 0 while the list is the bundle's default, else the stored version.
  var version: Int
  /// When it last changed (RFC 3339): the stored change, or the bundle's installation.
  var updatedAt: String
  /// `bundle` (the bundle's default) or `api` (a stored change).
  var source: String

  var json: String {
    var out = "{\"name\":\(JSONWriter.quote(name)),\"element_type\":\(JSONWriter.quote(elementType))"
    out += ",\"entries\":[" + entries.map(JSONWriter.quote).joined(separator: ",") + "]"
    out += ",\"count\":\(entries.count),\"version\":\(version),\"updated_at\":\(JSONWriter.quote(updatedAt))"
    out += ",\"source\":\(JSONWriter.quote(source))}"
    return out
  }
}
