// Shared by the eval harnesses (vm/main.swift, vm/closure/main.swift): the first `limit` lines
// of a JSONL file decoded into variable slots for `bundle`'s program — `event.<field>` variables,
// typed by their declaration (Foundation's JSONSerialization; untimed, not the engine's decoder)
// —, the command line and the bundle decoded and verified, the timed VM pass and the thread
// CPU clock. (`Runner` is the tree's Runner-*.swift.)

import Foundation
import SentinelBuiltins
import SentinelBytecode
import SentinelModel
import SentinelVerifier

/// `evalbench BUNDLE.sbc EVENTS.jsonl [EVENTS=50000] [PASSES=5] …`: the bundle decoded and
/// verified and the first EVENTS events in slots; exits with a message on bad input.
struct HarnessInput {
  let args: [String]
  let bundle: SentinelBytecode.Bundle
  let verified: VerifiedProgram
  let events: [[Value?]]
  let passes: Int

  static func load() -> HarnessInput {
    let args = CommandLine.arguments
    guard args.count >= 3, let data = FileManager.default.contents(atPath: args[1]),
      let text = FileManager.default.contents(atPath: args[2])
    else {
      print("usage: evalbench BUNDLE.sbc EVENTS.jsonl [EVENTS] [PASSES]")
      exit(2)
    }
    let limit = args.count >= 4 ? Int(args[3]) ?? 50_000 : 50_000
    let passes = args.count >= 5 ? Int(args[4]) ?? 5 : 5
    guard let bundle = try? BundleDecoder.decodeContent(BundleDecoder.split([UInt8](data)).content) else {
      print("cannot decode \(args[1])")
      exit(1)
    }
    let verified: VerifiedProgram
    do {
      verified = try Verifier(catalog: Builtins.all, limits: Limits(maxInstructions: 1 << 22)).verify(
        bundle.program)
    } catch {
      print("verifier: \(error)")
      exit(1)
    }
    return HarnessInput(
      args: args, bundle: bundle, verified: verified, events: decodeEvents(text, for: bundle, limit: limit),
      passes: passes)
  }
}

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

/// One pass: every event through the VM and the decision policy.
struct Pass {
  let events: [[Value?]]
  let scores: [Int]
  let blocks: [Bool]
  let reviews: [Bool]
  let threshold: Int
  var runner: Runner
  var counts = [0, 0, 0]
  var scoreSum = 0

  @inline(never) mutating func run() {
    counts = [0, 0, 0]
    scoreSum = 0
    for e in events {
      let results = runner.run(e)
      var score = 0
      var block = false
      var review = false
      for i in 0..<results.count {
        if case .bool(true) = results[i] {
          score += scores[i]
          if blocks[i] { block = true } else if reviews[i] { review = true }
        }
      }
      counts[block ? 2 : (review || score >= threshold ? 1 : 0)] += 1
      scoreSum += score
    }
  }
}

/// The calling thread's CPU time in ns (immune to other processes' load, unlike wall time).
func threadCPUTime() -> Double {
  var t = timespec()
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
  return Double(t.tv_sec) * 1e9 + Double(t.tv_nsec)
}
