// The resource limits a program is verified under.

/// Bounds on program size, loop trip counts and worst-case cost.
public struct Limits: Sendable, Hashable {
  /// Most registers a program may declare (the format allows at most 65 536).
  public var maxRegisters: Int
  /// Most instructions in a program. The format addresses 2²² (32-bit jump targets, counts
  /// capped by the decoder); the default, 2²⁰, holds about 80,000 generated rules (≈ 13
  /// instructions each) while keeping the verifier's per-pc arrays under ~50 MiB.
  public var maxInstructions: Int
  /// Most elements (or entries) a loop may iterate over; the cost bound multiplies each loop
  /// level by this plus one, and the VM stops a run with a `limit` error on a larger collection.
  public var maxCollectionSize: Int
  /// Largest accepted worst-case cost bound, in the opcode table's and catalog's cost units.
  public var maxCost: Int
  /// Deepest loop nesting accepted.
  public var maxLoopDepth: Int
  /// Budget of the dataflow analysis, in instructions and register-state cells visited (keeps a
  /// hostile program from making verification itself slow or large, as eBPF's complexity limit
  /// does). The stored states take at most 8 bytes per unit: 128 MiB at the default 2²⁴.
  public var maxAnalysisWork: Int

  /// Limits with defaults suited to rule conditions: 4 096 registers, 2²⁰ (1 048 576)
  /// instructions, collections of 10 000, a cost of 10⁹, loops nested 8 deep, 2²⁴ units of
  /// analysis.
  public init(
    maxRegisters: Int = 4096, maxInstructions: Int = 1 << 20, maxCollectionSize: Int = 10_000,
    maxCost: Int = 1_000_000_000, maxLoopDepth: Int = 8, maxAnalysisWork: Int = 1 << 24
  ) {
    self.maxRegisters = maxRegisters
    self.maxInstructions = maxInstructions
    self.maxCollectionSize = maxCollectionSize
    self.maxCost = maxCost
    self.maxLoopDepth = maxLoopDepth
    self.maxAnalysisWork = maxAnalysisWork
  }
}
