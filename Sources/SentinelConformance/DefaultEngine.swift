// The engine `sentinel conformance` and the threshold test run: the production pipeline,
// parse → check → lower → optimize → codegen → verify → VM, with nothing skipped.

import SentinelBuiltins
import SentinelBytecode
import SentinelCompiler
import SentinelModel
import SentinelReference
import SentinelSyntax
import SentinelVM
import SentinelVerifier

/// The engine the conformance command and the conformance threshold test use.
public func makeDefaultEngine() -> any ConformanceEngine {
  PipelineEngine(mode: .vm)
}

/// The reference evaluator as a conformance engine (for differential runs).
public func makeReferenceEngine() -> any ConformanceEngine {
  PipelineEngine(mode: .reference)
}

/// Runs conformance tests through the compiler and the VM (or the reference evaluator).
public struct PipelineEngine: ConformanceEngine {
  public enum Mode: Sendable {
    /// Compile to bytecode, verify, run on the VM.
    case vm
    /// Walk the checked AST with the reference evaluator.
    case reference
  }

  public let mode: Mode

  public init(mode: Mode) { self.mode = mode }

  public var supportedExtensions: Set<String> { ["string", "math", "encoders", "bindings"] }

  /// The environment a test declares: its identifiers, its functions and its container.
  public static func environment(for test: ConformanceTest) -> Environment {
    var catalog = Builtins.all
    var variables: [String: CELType] = [:]
    for decl in test.typeEnv {
      switch decl {
      case .ident(let d):
        variables[d.name] = d.typeTree.supported ?? .dyn
      case .function(let f):
        for o in f.overloads where catalog.index(ofID: o.overloadID) == nil {
          let params = o.paramTypes.map { $0.supported ?? .dyn }
          let name = f.name
          catalog.add(
            Overload(
              o.overloadID, name, receiver: o.isInstanceFunction, params, o.resultTypeTree.supported ?? .dyn,
              .nary { _ in
                .error(CELError(.other, "function `\(name)` is declared but has no implementation"))
              }))
        }
      }
    }
    if test.disableCheck {
      for name in test.bindings.keys where variables[name] == nil { variables[name] = .dyn }
    }
    return Environment(variables: variables, catalog: catalog, container: test.container)
  }

  public func run(_ test: ConformanceTest, extensions: Set<String>) -> EngineOutcome {
    let env = Self.environment(for: test)
    var options = CompileOptions()
    options.typeCheck = !test.disableCheck
    options.parse.enableMacros = !test.disableMacros
    options.parse.enableBlockExtension = extensions.contains("block")
    let compiled: CompiledExpression
    switch CELCompiler.compile(test.expr, environment: env, options: options) {
    case .failure(let f):
      let text = f.diagnostics.map(\.description).joined(separator: "; ")
      return f.stage == .parse ? .parseError(text) : .checkError(text)
    case .success(let c):
      compiled = c
    }
    let type = compiled.checked?.resultType
    if test.checkOnly, let type { return .checked(type: type) }
    switch mode {
    case .reference:
      let evaluator = ReferenceEvaluator(environment: env)
      let value =
        compiled.checked.map { evaluator.evaluate($0, bindings: test.bindingValues) }
        ?? evaluator.evaluate(compiled.ast, bindings: test.bindingValues)
      return .evaluated(value: value, type: type)
    case .vm:
      do {
        let verified = try Verifier(catalog: env.catalog).verify(compiled.program)
        return .evaluated(value: VM().run(verified, bindings: test.bindingValues), type: type)
      } catch {
        return .unsupported("the compiled program failed verification: \(error)")
      }
    }
  }
}
