// The optimization pipeline over the IR. Each pass is one file; each must preserve every
// decision (translation validation in the tests compares optimized and unoptimized programs).

import SentinelBuiltins

/// Runs the IR passes in order.
public enum Passes {
  /// The default pipeline.
  public static func run(_ ir: IRFunction, catalog: Catalog) -> IRFunction {
    ConstantFolding.run(ir, catalog: catalog)
  }
}
