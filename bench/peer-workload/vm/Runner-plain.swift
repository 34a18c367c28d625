// The VM API of trees without a reusable register file: one register array per run.
import SentinelModel
import SentinelVM
import SentinelVerifier

struct Runner {
  let program: VerifiedProgram
  let vm = VM()
  var results: [Value] = []

  init(_ program: VerifiedProgram) { self.program = program }

  /// The length of the code the VM runs (the bundle's own code in this tree).
  var executedInstructions: Int { program.program.code.count }

  mutating func run(_ slots: [Value?]) -> [Value] {
    _ = vm.run(program, variables: slots, results: &results)
    return results
  }
}
