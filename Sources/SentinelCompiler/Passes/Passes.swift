// The optimization pipeline over the IR. Each pass is one file; each must preserve every
// decision (translation validation in the tests compares optimized and unoptimized programs).

import SentinelBuiltins

/// Runs the IR passes in order.
public enum Passes {
  /// One pass: its name (in `sentinel compile --stats`) and what it does to an IR.
  public struct Pass: Sendable {
    public let name: String
    public let run: @Sendable (IRFunction, Catalog) -> IRFunction
  }

  /// The default pipeline, in order: constant folding, then constant lists to hash sets.
  public static let pipeline: [Pass] = [
    Pass(name: "constant-folding", run: { ConstantFolding.run($0, catalog: $1) }),
    Pass(name: "lists-to-sets", run: { ListsToSets.run($0, catalog: $1) }),
  ]

  /// Runs the default pipeline.
  public static func run(_ ir: IRFunction, catalog: Catalog) -> IRFunction {
    pipeline.reduce(ir) { $1.run($0, catalog) }
  }
}
