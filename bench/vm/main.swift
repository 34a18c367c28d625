// The VM benchmark (bench/vm.sh): loads a bundle's program, verifies it, and decides a few fixed
// events many times, printing the best of several repetitions in ns per run. Written against
// the API both bytecode formats share, so bench/vm.sh can build it from either tree.
//
// Usage: vmbench BUNDLE.sbc [RUNS]

import Foundation
import SentinelBuiltins
import SentinelBytecode
import SentinelModel
import SentinelVM
import SentinelVerifier

let args = CommandLine.arguments
guard args.count >= 2, let data = FileManager.default.contents(atPath: args[1]) else {
  print("usage: vmbench BUNDLE.sbc [RUNS]")
  exit(2)
}
let runs = args.count >= 3 ? Int(args[2]) ?? 2000 : 2000
let clock = ContinuousClock()
func ms(_ d: Swift.Duration) -> String {
  String(format: "%.1f ms", Double(d.components.attoseconds) / 1e15 + Double(d.components.seconds) * 1e3)
}

let bytes = [UInt8](data)
var bundle: SentinelBytecode.Bundle?
let decodeTime = clock.measure {
  bundle = try? BundleDecoder.decodeContent(BundleDecoder.split(bytes).content)
}
guard let bundle else {
  print("cannot decode \(args[1])")
  exit(1)
}
let program = bundle.program
var verifiedOrNil: VerifiedProgram?
let verifyTime = clock.measure {
  do {
    verifiedOrNil = try Verifier(catalog: Builtins.all, limits: Limits(maxInstructions: 1 << 22)).verify(
      program)
  } catch {
    print("verifier: \(error)")
  }
}
guard let verified = verifiedOrNil else { exit(1) }

let ts = Value.timestamp(Timestamp(seconds: 1_795_600_800, nanos: 0))
let events: [[String: Value]] = [
  [
    "event.event_id": .string("e1"), "event.type": .string("transaction"), "event.ts": ts,
    "event.user_id": .string("user-0001"), "event.amount": .double(9500.0),
    "event.country_code": .string("KP"), "event.card_country": .string("US"),
    "event.merchant_category": .string("7995"), "event.currency": .string("USD"),
  ],
  [
    "event.event_id": .string("e2"), "event.type": .string("login"), "event.ts": ts,
    "event.user_id": .string("u2"), "event.country_code": .string("GB"),
  ],
  [
    "event.event_id": .string("e3"), "event.type": .string("withdrawal"), "event.ts": ts,
    "event.user_id": .string("user-42"), "event.amount": .double(1200.0),
  ],
]
let slots = events.map { verified.variables(from: $0) }
let vm = VM()
var results: [Value] = []
var fired = 0
for s in slots {
  _ = vm.run(verified, variables: s, results: &results)
  fired += results.filter { if case .bool(true) = $0 { return true } else { return false } }.count
}
var best = Swift.Duration.seconds(1_000_000)
for _ in 0..<5 {
  let t = clock.measure {
    for _ in 0..<runs {
      for s in slots { _ = vm.run(verified, variables: s, results: &results) }
    }
  }
  best = min(best, t)
}
let perRun = Double(best.components.seconds) * 1e9 + Double(best.components.attoseconds) / 1e9
print(
  "\(program.code.count) instructions, \(program.registerCount) registers, \(program.ruleCount) rules;"
    + " decode \(ms(decodeTime)), verify \(ms(verifyTime)); rules fired on the 3 events: \(fired)")
print(String(format: "VM: %.0f ns per run (best of 5 × %d × 3 events)", perRun / Double(runs * 3), runs))
