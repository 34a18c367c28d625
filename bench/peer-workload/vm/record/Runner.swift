import SentinelModel
import SentinelVM
import SentinelVerifier

struct Runner {
  let program: VerifiedProgram
  let vm = VM()
  var results: [Value] = []
  var registers = VM.Registers()

  init(_ program: VerifiedProgram) { self.program = program }

  var executedInstructions: Int { program.executedProgram.code.count }

  mutating func run(_ slots: [Value?]) -> [Value] {
    _ = vm.run(program, variables: slots, results: &results, registers: &registers)
    return results
  }

  mutating func run(_ record: EventRecord) -> [Value] {
    _ = vm.run(program, record: record, results: &results, registers: &registers)
    return results
  }
}
