// Shared by the eval harnesses (vm/main.swift, vm/closure/main.swift): the first `limit` lines
// of a JSONL file decoded into variable slots for `bundle`'s program — `event.<field>` variables,
// typed by their declaration (Foundation's JSONSerialization; untimed, not the engine's decoder).

import Foundation
import SentinelBytecode
import SentinelModel

func decodeEvents(_ text: Data, for bundle: SentinelBytecode.Bundle, limit: Int) -> [[Value?]] {
  let prefix = bundle.schema.variable + "."
  var events: [[Value?]] = []
  let bytes = [UInt8](text)
  var lines: [ArraySlice<UInt8>] = []
  var from = 0
  for (i, b) in bytes.enumerated() where b == 10 {
    lines.append(bytes[from..<i])
    from = i + 1
    if lines.count == limit { break }
  }
  for line in lines {
    guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { continue }
    var slots: [Value?] = []
    for v in bundle.program.variables {
      guard v.name.hasPrefix(prefix), let x = object[String(v.name.dropFirst(prefix.count))] else {
        slots.append(nil)
        continue
      }
      switch v.type {
      case .bool: slots.append(.bool((x as? Bool) ?? false))
      case .int: slots.append(.int(Int64((x as? NSNumber)?.int64Value ?? 0)))
      case .double: slots.append(.double((x as? NSNumber)?.doubleValue ?? 0))
      case .string: slots.append(.string((x as? String) ?? ""))
      case .timestamp:
        slots.append(Timestamp.parse((x as? String) ?? "").map(Value.timestamp))
      default: slots.append(nil)
      }
    }
    events.append(slots)
  }
  return events
}
