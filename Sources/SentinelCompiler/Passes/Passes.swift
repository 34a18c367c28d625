// The optimization pipeline over the IR. Each pass is one file; each must preserve every
// decision (translation validation in the tests compares optimized and unoptimized programs).

import SentinelBuiltins

/// Runs the IR passes in order.
public enum Passes {
  /// The default pipeline: constant folding, then constant lists to hash sets.
  public static func run(_ ir: IRFunction, catalog: Catalog) -> IRFunction {
    ListsToSets.run(ConstantFolding.run(ir, catalog: catalog), catalog: catalog)
  }
}
