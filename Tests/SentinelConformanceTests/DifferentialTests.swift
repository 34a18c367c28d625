// Differential tests: the VM (compiled, optimized, verified bytecode) against the reference
// evaluator (tree walking over the checked AST), and optimized against unoptimized programs —
// on every conformance case and on thousands of random well-typed expressions.

import Foundation
import SentinelBuiltins
import SentinelBytecode
import SentinelCompiler
import SentinelConformance
import SentinelModel
import SentinelReference
import SentinelVM
import SentinelVerifier
import Testing

/// Two results agree when both are errors, or both are values that match strictly.
func agree(_ a: Value, _ b: Value) -> Bool {
  if a.isError || b.isError { return a.isError && b.isError }
  return ConformanceMatching.valuesMatch(expected: a, actual: b)
}

@Suite struct DifferentialTests {
  static func fixturesDirectory() -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("fixtures/cel-conformance").path
  }

  /// Every conformance test the VM engine runs gives the same outcome on the reference engine.
  @Test func vmAgreesWithReferenceOnConformanceSuite() throws {
    let files = try loadConformanceFiles(paths: [Self.fixturesDirectory()])
    let vm = makeDefaultEngine()
    let reference = makeReferenceEngine()
    var compared = 0
    var disagreements: [String] = []
    for file in files {
      for section in file.sections {
        for test in section.tests where !test.needsProto && test.unsupportedReasons.isEmpty {
          let ext: Set<String> = test.ext.map { [$0] } ?? []
          guard ext.isSubset(of: vm.supportedExtensions) else { continue }
          let a = vm.run(test, extensions: ext)
          let b = reference.run(test, extensions: ext)
          compared += 1
          switch (a, b) {
          case (.evaluated(let x, _), .evaluated(let y, _)):
            if !agree(x, y) { disagreements.append("\(test.id): vm \(x) vs reference \(y)") }
          case (.checked(let x), .checked(let y)):
            if x != y { disagreements.append("\(test.id): types \(x) vs \(y)") }
          case (.parseError, .parseError), (.checkError, .checkError): break
          default: disagreements.append("\(test.id): \(a) vs \(b)")
          }
        }
      }
    }
    #expect(compared > 1000)
    #expect(
      disagreements.isEmpty,
      "\(disagreements.count) disagreements:\n\(disagreements.prefix(20).joined(separator: "\n"))")
  }

  /// Random well-typed expressions: VM (optimized), VM (unoptimized) and reference agree.
  @Test(arguments: 0..<4)
  func randomExpressions(batch: Int) throws {
    var gen = ExpressionGenerator(seed: 0x5EED_0000 + UInt64(batch))
    let env = Environment(variables: ExpressionGenerator.variables, catalog: Builtins.all)
    // Nested loops over variables of unknown size exceed the default cost bound; the generated
    // collections are small, so verify under a small collection limit and no cost cap.
    let verifier = Verifier(catalog: env.catalog, limits: Limits(maxCollectionSize: 1000, maxCost: .max))
    let unfused = Verifier(catalog: env.catalog, limits: verifier.limits, fusion: false)
    var fusedPrograms = 0
    var typedPrograms = 0
    // Its own generator for the broken bindings, so `gen` draws the same expressions as before.
    var breaker = ExpressionGenerator(seed: 0xB0CE_0000 + UInt64(batch))
    let typedOpcodes: Set<Opcode> = [.testVarConst, .andTestVarConst, .testVarVar, .moveJumpIfFalse]
    var unoptimizedOptions = CompileOptions()
    unoptimizedOptions.optimize = false
    var checked = 0
    var values = 0
    for n in 0..<500 {
      let type: CELType = gen.pick([.bool, .int, .double, .string, .list(.int), .uint])
      let text = gen.expr(type)
      let bindings = gen.bindings()
      guard case .success(let optimized) = CELCompiler.compile(text, environment: env) else {
        Issue.record("generated expression #\(n) does not compile: \(text)")
        continue
      }
      guard
        case .success(let plain) = CELCompiler.compile(text, environment: env, options: unoptimizedOptions)
      else {
        Issue.record("unoptimized compile failed: \(text)")
        continue
      }
      let p1 = try verifier.verify(optimized.program)
      let p2 = try verifier.verify(plain.program)
      let v1 = VM().run(p1, bindings: bindings)
      let v2 = VM().run(p2, bindings: bindings)
      let r = ReferenceEvaluator(environment: env).evaluate(
        try #require(optimized.checked), bindings: bindings)
      #expect(agree(v1, r), "VM \(v1) vs reference \(r) for \(text) with \(bindings)")
      #expect(agree(v1, v2), "optimized \(v1) vs unoptimized \(v2) for \(text)")
      // The loader's fused code (Fusion.swift) computes exactly what the compiled code does,
      // error messages included.
      let v3 = VM().run(try unfused.verify(optimized.program), bindings: bindings)
      #expect(v1.description == v3.description, "fused \(v1) vs unfused \(v3) for \(text)")
      if p1.executedProgram.code.count < optimized.program.code.count { fusedPrograms += 1 }
      // The typed instructions (TypedTest.swift) fall back to the call when a slot is unbound or
      // holds another kind: the same error as the unfused code, message included.
      if p1.executedProgram.code.contains(where: { typedOpcodes.contains($0.opcode) }) {
        typedPrograms += 1
        let names = bindings.keys.sorted()
        var broken = bindings
        broken[breaker.pick(names)] = nil
        broken[breaker.pick(names)] = breaker.pick([Value.string("x"), .int(1), .double(.nan), .bool(true)])
        let v4 = VM().run(p1, bindings: broken)
        let v5 = VM().run(try unfused.verify(optimized.program), bindings: broken)
        #expect(v4.description == v5.description, "typed \(v4) vs unfused \(v5) for \(text) with \(broken)")
      }
      checked += 1
      if !v1.isError { values += 1 }
    }
    #expect(checked == 500)
    #expect(fusedPrograms > 100, "only \(fusedPrograms) of 500 programs had a fused sequence")
    #expect(typedPrograms > 10, "only \(typedPrograms) of 500 programs had a typed instruction")
    // Most generated expressions must produce values, not errors, or the comparison is weak.
    #expect(values > 250, "only \(values) of 500 expressions produced a value")
  }

  /// Random rule-like conditions (a field against a literal, `in` a literal list, `matches` a
  /// literal pattern, two string fields; `&&`/`||`): the loader turns most of them into typed
  /// instructions (`test.vk`, `and.test.vk`, `test.vv`, TypedTest.swift), which must agree with
  /// the unfused code — error messages included — and with the reference evaluator, also when a
  /// variable is unbound or bound to another kind.
  @Test(arguments: 0..<2)
  func randomTypedComparisons(batch: Int) throws {
    var gen = ExpressionGenerator(seed: 0x7E57_0000 + UInt64(batch))
    let env = Environment(variables: ExpressionGenerator.variables, catalog: Builtins.all)
    let verifier = Verifier(catalog: env.catalog)
    let unfused = Verifier(catalog: env.catalog, fusion: false)
    let typedOpcodes: Set<Opcode> = [.testVarConst, .andTestVarConst, .testVarVar]
    var typedPrograms = 0
    for n in 0..<500 {
      let text = gen.typedComparison()
      guard case .success(let compiled) = CELCompiler.compile(text, environment: env) else {
        Issue.record("generated expression #\(n) does not compile: \(text)")
        continue
      }
      let fused = try verifier.verify(compiled.program)
      let plain = try unfused.verify(compiled.program)
      if fused.executedProgram.code.contains(where: { typedOpcodes.contains($0.opcode) }) {
        typedPrograms += 1
      }
      var bindings = gen.bindings()
      for round in 0..<3 {
        let v1 = VM().run(fused, bindings: bindings)
        let v2 = VM().run(plain, bindings: bindings)
        #expect(v1.description == v2.description, "typed \(v1) vs unfused \(v2) for \(text) with \(bindings)")
        if round == 0 {
          let r = ReferenceEvaluator(environment: env).evaluate(
            try #require(compiled.checked), bindings: bindings)
          #expect(agree(v1, r), "VM \(v1) vs reference \(r) for \(text) with \(bindings)")
        }
        // Then unbind one variable and bind another to a value of another kind.
        bindings[gen.pick(["i", "j", "d", "s", "t"])] = nil
        bindings[gen.pick(["i", "j", "d", "s", "t", "e"])] = gen.pick([
          Value.string("x"), .int(1), .double(.nan), .bool(true), .uint(3),
        ])
      }
    }
    #expect(typedPrograms > 400, "only \(typedPrograms) of 500 conditions had a typed instruction")
  }
}
