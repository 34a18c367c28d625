// Run-time lists in the decision service: which value each of the bundle's run-time lists has
// (the stored one when compatible, else the bundle's default), and changes over the API —
// checked, stored (durable), then installed in the processor. Everything runs on the actor, so
// a change lands between two events.

import Foundation
import Hummingbird
import Logging
import SentinelBytecode
import SentinelModel
import SentinelRuntime
import SentinelState

/// Where a run-time list's current value came from.
struct ActiveList: Sendable {
  /// `bundle` or `api`.
  var source: String
  /// 0 for the bundle's default, else the stored version.
  var version: Int
  /// RFC 3339: the stored change, or nil for the bundle's default (its installation time).
  var updatedAt: String?
}

/// A refused list request, with its answer.
struct ListFailure: Error {
  let status: Int
  let message: String

  var response: Response { DecisionServer.jsonResponse(status, DecisionJSON.error(message)) }
}

extension DecisionService {
  /// The values the processor of `bundle` starts with: each stored list the bundle declares as a
  /// run-time list, when its entries fit the element type (a stored list of another type is
  /// logged and the default used; a stored list the bundle does not declare is kept, unused).
  static func startingLists(
    for bundle: LoadedBundle, store: SQLiteStateStore, logger: Logger
  ) -> (values: [String: RuntimeListValue], active: [String: ActiveList]) {
    var values: [String: RuntimeListValue] = [:]
    var active: [String: ActiveList] = [:]
    for l in bundle.bundle.runtimeLists {
      active[l.name] = ActiveList(source: "bundle", version: 0, updatedAt: nil)
    }
    guard !bundle.bundle.runtimeLists.isEmpty else { return (values, active) }
    let stored: [String: StoredRuntimeList]
    do { stored = try store.storedRuntimeLists() } catch {
      logger.error(
        "cannot read the stored run-time lists; the bundle's defaults apply",
        metadata: ["tenant": "\(store.tenant)", "error": "\(error)"])
      return (values, active)
    }
    for l in bundle.bundle.runtimeLists {
      guard let s = stored[l.name] else { continue }
      switch RuntimeListValue.values(s.entries, l.elementType) {
      case .success(let entries):
        values[l.name] = RuntimeListValue(elementType: l.elementType, entries: entries)
        active[l.name] = ActiveList(source: "api", version: s.version, updatedAt: s.updatedAt)
      case .failure(let e):
        logger.warning(
          "stored run-time list does not fit the bundle's list; the bundle's default applies",
          metadata: [
            "tenant": "\(store.tenant)", "list": "\(l.name)", "stored_type": "\(s.elementType)",
            "bundle_type": "\(l.elementType)", "reason": "\(e.message)",
          ])
      }
    }
    return (values, active)
  }

  /// The bundle's run-time list `name`, or why not (404 naming the lists there are).
  func declaredList(_ name: String) -> Result<BundleRuntimeList, ListFailure> {
    let lists = bundle.bundle.runtimeLists
    if let l = lists.first(where: { $0.name == name }) { return .success(l) }
    let names = lists.map { "`\($0.name)`" }.joined(separator: ", ")
    let known =
      lists.isEmpty
      ? "its bundle declares no run-time list (declare one with `runtime list NAME: string = [...]`)"
      : "its bundle's run-time lists: \(names)"
    return .failure(
      ListFailure(
        status: 404,
        message: "tenant `\(store.tenant)` has no run-time list \(JSONWriter.quote(name)); \(known)"))
  }

  /// `GET /v1/lists/{name}`.
  func runtimeList(_ name: String) -> Result<RuntimeListInfo, ListFailure> {
    declaredList(name).map(info)
  }

  func info(_ l: BundleRuntimeList) -> RuntimeListInfo {
    let value = processor.runtimeLists[l.name] ?? RuntimeListValue(default: l)
    let a = activeLists[l.name] ?? ActiveList(source: "bundle", version: 0, updatedAt: nil)
    return RuntimeListInfo(
      name: l.name, elementType: "\(l.elementType)", entries: value.texts, version: a.version,
      updatedAt: a.updatedAt ?? installation.at.formatted(.iso8601), source: a.source)
  }

  /// `PUT` and `PATCH /v1/lists/{name}`: checks the change against the list's element type,
  /// stores the new entries (one transaction), then installs them for every later event.
  func changeRuntimeList(_ name: String, _ change: ListChange) -> Result<RuntimeListInfo, ListFailure> {
    let l: BundleRuntimeList
    switch declaredList(name) {
    case .success(let found): l = found
    case .failure(let f): return .failure(f)
    }
    let current = processor.runtimeLists[l.name] ?? RuntimeListValue(default: l)
    let entries: [Value]
    switch change {
    case .replace(let texts):
      switch RuntimeListValue.values(texts, l.elementType) {
      case .success(let v): entries = v
      case .failure(let e): return .failure(ListFailure(status: 400, message: "`entries`: \(e.message)"))
      }
    case .edit(let addTexts, let removeTexts):
      let add: [Value]
      let remove: [Value]
      switch RuntimeListValue.values(addTexts, l.elementType) {
      case .success(let v): add = v
      case .failure(let e): return .failure(ListFailure(status: 400, message: "`add`: \(e.message)"))
      }
      switch RuntimeListValue.values(removeTexts, l.elementType) {
      case .success(let v): remove = v
      case .failure(let e): return .failure(ListFailure(status: 400, message: "`remove`: \(e.message)"))
      }
      let removed = Set(remove.map(RuntimeListValue.text))
      entries = (current.entries + add).filter { !removed.contains(RuntimeListValue.text($0)) }
    }
    let value = RuntimeListValue(elementType: l.elementType, entries: entries)
    let stored: StoredRuntimeList
    do {
      stored = try store.saveRuntimeList(name: l.name, elementType: "\(l.elementType)", entries: value.texts)
    } catch {
      metrics?.recordListChange(succeeded: false)
      logger.error(
        "run-time list change failed; the list is unchanged",
        metadata: ["tenant": "\(store.tenant)", "list": "\(l.name)", "error": "\(error)"])
      return .failure(
        ListFailure(status: 503, message: "cannot store the list: \(error); the list is unchanged"))
    }
    processor.setRuntimeList(l.name, value)
    activeLists[l.name] = ActiveList(source: "api", version: stored.version, updatedAt: stored.updatedAt)
    metrics?.recordListChange(succeeded: true)
    logger.notice(
      "run-time list changed",
      metadata: [
        "tenant": "\(store.tenant)", "list": "\(l.name)", "version": "\(stored.version)",
        "count": "\(value.entries.count)", "previous_count": "\(current.entries.count)",
      ])
    return .success(info(l))
  }
}
