// The decoder benchmark of bench/decode-peer.sh: decodes every line of a JSONL file with one
// tree's EventDecoder (UnsafeBufferPointer lines of one buffer, one reused slot buffer, as
// `sentinel bench` does), PASSES times, and prints the thread CPU ns/event (median, min), the
// allocations per event and a digest of every outcome (the event id and rendered slots, or the
// error text) — equal digests from two trees mean they decoded every line identically.
//
// Usage: decodebench SCHEMA EVENTS.jsonl [PASSES=5] [MAXEVENTS=0 (all)]
//   SCHEMA: a rules file whose `schema event { ... }` block declares the fields (slot order: the
//   `event.<field>` names its rules read), or `reference` (EventSchema.reference, all slots).

import CMallocCounter
import Foundation
import SentinelEventDecoder
import SentinelModel

let args = CommandLine.arguments
guard args.count >= 3, let text = FileManager.default.contents(atPath: args[2]) else {
  print("usage: decodebench SCHEMA|reference EVENTS.jsonl [PASSES] [MAXEVENTS]")
  exit(2)
}
let passes = args.count >= 4 ? Int(args[3]) ?? 5 : 5
let maxEvents = args.count >= 5 ? Int(args[4]) ?? 0 : 0

/// The `schema event { name: type [in [...]] }` block of a rules file (flat fields only) and the
/// `event.<field>` names the rest of the file reads.
func peerSchema(_ path: String) -> (EventSchema, [String]) {
  guard let data = FileManager.default.contents(atPath: path), let rules = String(data: data, encoding: .utf8)
  else {
    print("cannot read \(path)")
    exit(1)
  }
  var fields: [SchemaField] = []
  var inSchema = false
  var rest = ""
  for line in rules.split(separator: "\n", omittingEmptySubsequences: false) {
    let t = line.trimmingCharacters(in: .whitespaces)
    if t.hasPrefix("schema event") {
      inSchema = true
      continue
    }
    if inSchema {
      if t == "}" {
        inSchema = false
        continue
      }
      guard let colon = t.firstIndex(of: ":") else { continue }
      var name = String(t[..<colon])
      let optional = name.hasSuffix("?")
      if optional { name.removeLast() }
      let after = t[t.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      let typeName = after.split(separator: " ").first.map(String.init) ?? ""
      let type: CELType
      switch typeName {
      case "string": type = .string
      case "int": type = .int
      case "uint": type = .uint
      case "double": type = .double
      case "bool": type = .bool
      case "timestamp": type = .timestamp
      case "duration": type = .duration
      default:
        print("unsupported type \(typeName) in \(t)")
        exit(1)
      }
      var allowed: [Value]?
      if let open = after.firstIndex(of: "["), let close = after.lastIndex(of: "]") {
        allowed = after[after.index(after: open)..<close].split(separator: ",").map {
          Value.string($0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"")))
        }
      }
      fields.append(SchemaField(name: name, type: type, optional: optional, allowedValues: allowed))
    } else {
      rest += line + "\n"
    }
  }
  var read: [String] = []
  let bytes = Array(rest.utf8)
  let marker = Array("event.".utf8)
  var i = 0
  while i + marker.count <= bytes.count {
    if Array(bytes[i..<i + marker.count]) == marker && (i == 0 || !(bytes[i - 1] == 0x5F || bytes[i - 1] >= 0x61 && bytes[i - 1] <= 0x7A)) {
      var j = i + marker.count
      while j < bytes.count, bytes[j] == 0x5F || (bytes[j] >= 0x61 && bytes[j] <= 0x7A) || (bytes[j] >= 0x30 && bytes[j] <= 0x39) { j += 1 }
      let name = String(decoding: bytes[i..<j], as: UTF8.self)
      if !read.contains(name) && fields.contains(where: { "event." + $0.name == name }) { read.append(name) }
      i = j
    } else {
      i += 1
    }
  }
  return (EventSchema(variable: "event", fields: fields), read)
}

let (schema, slotOrder): (EventSchema, [String]) =
  args[1] == "reference" ? (EventSchema.reference, EventSchema.reference.slots.map(\.qualifiedName)) : peerSchema(args[1])
let decoder = EventDecoder(schema: schema, slotOrder: slotOrder)

let bytes = [UInt8](text)
var lines: [Range<Int>] = []
var from = 0
for (i, b) in bytes.enumerated() where b == 10 {
  if i > from { lines.append(from..<i) }
  from = i + 1
  if maxEvents > 0 && lines.count == maxEvents { break }
}
if from < bytes.count && (maxEvents == 0 || lines.count < maxEvents) { lines.append(from..<bytes.count) }

/// FNV-1a over every outcome.
struct Digest {
  var value: UInt64 = 0xcbf2_9ce4_8422_2325
  mutating func mix(_ s: String) {
    for b in s.utf8 {
      value ^= UInt64(b)
      value = value &* 0x100_0000_01b3
    }
    value ^= 0xFF
    value = value &* 0x100_0000_01b3
  }
}
var digest = Digest()
var slots = decoder.makeSlots()
bytes.withUnsafeBufferPointer { all in
  for r in lines {
    let line = UnsafeBufferPointer(rebasing: all[r])
    do throws(EventError) {
      digest.mix(try decoder.decode(line, into: &slots))
    } catch {
      digest.mix("error \(error.kind) \(error.field ?? "-") \(error.message) \(error.eventID ?? "-") \(error.offset ?? -1)")
    }
    for s in slots { digest.mix(s.map { "\($0)" } ?? "nil") }
  }
}

/// One pass over every line; returns the number of accepted events (kept live).
@inline(never) func pass(
  _ all: UnsafeBufferPointer<UInt8>, _ lines: [Range<Int>], _ decoder: EventDecoder, _ slots: inout [Value?]
) -> Int {
  var ok = 0
  for r in lines {
    if (try? decoder.decode(UnsafeBufferPointer(rebasing: all[r]), into: &slots)) != nil { ok += 1 }
  }
  return ok
}

func threadCPUTime() -> Double {
  var t = timespec()
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
  return Double(t.tv_sec) * 1e9 + Double(t.tv_nsec)
}

var cpu: [Double] = []
var allocations: UInt64 = 0
var accepted = 0
bytes.withUnsafeBufferPointer { all in
  accepted = pass(all, lines, decoder, &slots)  // warm-up
  for _ in 0..<passes {
    let a0 = sentinel_thread_allocations()
    let c0 = threadCPUTime()
    accepted = pass(all, lines, decoder, &slots)
    cpu.append(threadCPUTime() - c0)
    allocations += sentinel_thread_allocations() - a0
  }
}
cpu.sort()
let n = Double(lines.count)
print(
  String(
    format: "%d events (%d rejected), %d slots: decode %.1f ns/event CPU median (min %.1f), %.2f allocations/event, digest %016llx",
    lines.count, lines.count - accepted, slotOrder.count, cpu[cpu.count / 2] / n, cpu[0] / n,
    Double(allocations) / Double(passes) / n, digest.value))
