// The VM API with a register file kept between runs (`VM.Registers`) and load-time fused code
// (`VerifiedProgram.executedProgram`, SentinelVerifier/Fusion.swift).
import SentinelModel
import SentinelVM
import SentinelVerifier

struct Runner {
  let program: VerifiedProgram
  let vm = VM()
  var results: [Value] = []
  var registers = VM.Registers()

  init(_ program: VerifiedProgram) { self.program = program }

  /// The length of the code the VM runs: the fused code.
  var executedInstructions: Int { program.executedProgram.code.count }

  mutating func run(_ slots: [Value?]) -> [Value] {
    _ = vm.run(program, variables: slots, results: &results, registers: &registers)
    return results
  }
}
