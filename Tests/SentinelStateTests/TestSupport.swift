// Shared helpers for the state tests: a seeded generator, timestamps, readable readings.

import SentinelModel
import SentinelState

/// A deterministic generator (SplitMix64).
struct SplitMix64: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// A timestamp `seconds` (plus `nanos`) after 2026-11-25T10:00:00Z.
func at(_ seconds: Int64, _ nanos: Int64 = 0) -> Timestamp {
  Timestamp.make(seconds: 1_795_600_800 + seconds, nanos: nanos) ?? Timestamp(seconds: 0)
}

let secondNanos: Int64 = 1_000_000_000

/// A reading rendered for comparison and failure messages (`-` for absent).
func show(_ reading: [Value?]) -> [String] { reading.map { $0.map(Value.render) ?? "-" } }

/// A state built by applying `(time, value)` pairs in order.
func state(_ spec: AggregateSpec, _ events: [(Timestamp, Value)]) -> AggregateState {
  var s = AggregateState(kind: spec.kind)
  for (t, v) in events { s.apply(spec, at: t, value: v) }
  return s
}

extension AggregateState {
  /// The reading without the current event (probe given for `seen`).
  func before(_ spec: AggregateSpec, at t: Timestamp, probe: Value? = nil) -> [String] {
    show(read(spec, at: t, current: nil, probe: probe))
  }
}
