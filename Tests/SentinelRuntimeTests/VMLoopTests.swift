// VM loops: iter.init / iter.next / iter.next2 / loop over lists and maps, nested loops, break,
// non-collection ranges, and the run-time collection-size limit that makes the cost bound hold.

import SentinelBuiltins
import SentinelBytecode
import SentinelModel
import SentinelVM
import SentinelVerifier
import Testing

private func ints(_ xs: [Int64]) -> Value { .list(xs.map { .int($0) }) }

private func stringMap(_ pairs: [(String, Int64)]) -> Value {
  var m = MapValue()
  for (k, v) in pairs { m.insert(.string(k), .int(v)) }
  return .map(m)
}

/// Collects what `iter.next` (or `iter.next2`) binds for each element of variable `xs` into a
/// list; the second variable (if any) is appended after the first. A non-collection range gives
/// the `cond.error` result.
private func collect(pair: Bool) -> Program {
  program(
    [
      .loadVar(0, 0),
      Instruction(.makeList, 1, 0, 0),  // r1 = []
      .iterInit(2, 0, 9),
      pair ? .iterNext2(2, 0, 3, 8) : .iterNext(2, 0, 3, 8),
      Instruction(.listAppend, 1, 3),
      pair ? Instruction(.listAppend, 1, 4) : Instruction(.nop),
      Instruction(.nop),
      .loop(3),
      .ret(1),
      Instruction(.conditionError, 1, 0),  // 9: range is not a collection
      .ret(1),
    ], registers: 5, variables: [VariableSlot(name: "xs", type: .dyn)])
}

@Suite struct VMLoopTests {
  @Test func iterNextOverAList() {
    #expect(render(run(collect(pair: false), [ints([5, 6, 7])])) == "[5, 6, 7]")
    #expect(render(run(collect(pair: false), [ints([])])) == "[]")
  }

  @Test func iterNextOverAMapBindsKeysInInsertionOrder() {
    #expect(render(run(collect(pair: false), [stringMap([("b", 1), ("a", 2)])])) == "[\"b\", \"a\"]")
  }

  @Test func iterNext2OverAListBindsIndexAndElement() {
    #expect(
      render(run(collect(pair: true), [.list([.string("x"), .string("y")])])) == "[0, \"x\", 1, \"y\"]")
  }

  @Test func iterNext2OverAMapBindsKeyAndValue() {
    #expect(render(run(collect(pair: true), [stringMap([("b", 1), ("a", 2)])])) == "[\"b\", 1, \"a\", 2]")
  }

  @Test func iterInitOnANonCollectionJumpsToItsTarget() {
    let r = run(collect(pair: false), [.int(3)])
    #expect(errorKind(r) == .noMatchingOverload)
    #expect(errorKind(run(collect(pair: false), [.error(CELError(.overflow, "x"))])) == .overflow)
  }

  @Test func accumulatingLoop() {
    // Σ xs via add_int64 on a guarded (dyn element) argument.
    let sum = program(
      [
        .loadVar(0, 0), .loadConst(3, 0),
        .iterInit(1, 0, 7),
        .iterNext(1, 0, 4, 7),
        .call(5, 0, 3, 2),
        .move(3, 5),
        .loop(3),
        .ret(3),
      ], registers: 6, constants: [.int(0)], variables: [VariableSlot(name: "xs", type: .list(.int))],
      builtins: ["add_int64"])
    #expect(render(run(sum, [ints([1, 2, 3, 4])])) == "10")
    #expect(errorKind(run(sum, [ints([.max, 1])])) == .overflow)
    #expect(errorKind(run(sum, [.list([.int(1), .string("2")])])) == .noMatchingOverload)
  }

  @Test func nestedLoopsSumEveryPair() {
    // Σ over xs of Σ ys = |xs| × Σ ys.
    #expect(render(run(nestedLoops, [ints([1, 2, 3]), ints([10, 20])])) == "90")
    #expect(render(run(nestedLoops, [ints([]), ints([10, 20])])) == "0")
    #expect(render(run(nestedLoops, [ints([1, 2]), ints([])])) == "0")
  }

  @Test func breakOutOfALoopWithAConditionalJump() {
    #expect(render(run(existsGreaterThanTwo, [ints([1, 5, 2])])) == "true")
    #expect(render(run(existsGreaterThanTwo, [ints([1, 2])])) == "false")
    #expect(render(run(existsGreaterThanTwo, [ints([])])) == "false")
  }

  @Test func breakStopsIterating() {
    // Sums the elements visited until the first one > 2: 1 + 5 = 6; 9 is never visited.
    let p = program(
      [
        .loadVar(0, 0), .loadConst(5, 0), .loadConst(4, 1),
        .iterInit(1, 0, 11),
        .iterNext(1, 0, 6, 11),  // r6 = x
        .call(7, 0, 5, 2),  // r7 = acc + x
        .move(5, 7),
        .move(3, 6),
        .call(2, 1, 3, 2),  // r2 = x > 2
        Instruction(.jumpIfTrue, 2, 11),
        .loop(4),
        .ret(5),
      ], registers: 8, constants: [.int(0), .int(2)],
      variables: [VariableSlot(name: "xs", type: .list(.int))],
      builtins: ["add_int64", "greater_int64"])
    #expect(render(run(p, [ints([1, 5, 9])])) == "6")
    #expect(render(run(p, [ints([1, 2])])) == "3")
  }

  @Test func collectionsLargerThanTheLimitStopTheRun() {
    let limits = Limits(maxCollectionSize: 3)
    #expect(render(run(collect(pair: false), [ints([1, 2, 3])], limits: limits)) == "[1, 2, 3]")
    let r = run(collect(pair: false), [ints([1, 2, 3, 4])], limits: limits)
    #expect(errorKind(r) == .limit)
    #expect(
      errorKind(
        run(collect(pair: true), [stringMap([("a", 1), ("b", 2), ("c", 3), ("d", 4)])], limits: limits))
        == .limit)
  }

  @Test func buildingALargeListInALoopIsLinear() {
    // 10 000 appends: quadratic copying would take seconds even in a debug build.
    let xs = ints(Array(0..<10_000))
    let clock = ContinuousClock()
    var result = Value.null
    let elapsed = clock.measure { result = run(collect(pair: false), [xs]) }
    if case .list(let out) = result {
      #expect(out.count == 10_000)
    } else {
      Issue.record("not a list: \(result)")
    }
    #expect(elapsed < .seconds(5))
  }
}
