// The VM API of trees without a reusable register file: one register array per run.
import SentinelModel
import SentinelVM
import SentinelVerifier

struct Runner {
  let program: VerifiedProgram
  let vm = VM()
  var results: [Value] = []

  init(_ program: VerifiedProgram) { self.program = program }

  mutating func run(_ slots: [Value?]) -> [Value] {
    _ = vm.run(program, variables: slots, results: &results)
    return results
  }
}
