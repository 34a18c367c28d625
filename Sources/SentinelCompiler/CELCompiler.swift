// The compiler facade for single CEL expressions: parse → check → lower → (passes) → codegen.
// Each stage's artifact is kept on the result so that tools can dump any of them.

import SentinelBuiltins
import SentinelBytecode
import SentinelModel
import SentinelSyntax

/// Options for compiling one expression.
public struct CompileOptions: Sendable {
  /// Type-check before lowering (off only to evaluate expressions a checker would reject).
  public var typeCheck = true
  /// Run the optimization passes.
  public var optimize = true
  public var parse = ParseOptions()
  public init() {}
}

/// Everything the compiler produced for one expression.
public struct CompiledExpression: Sendable {
  public let source: Source
  public let ast: AST
  public let checked: CheckedAST?
  public let ir: IRFunction
  public let program: Program
  /// Warnings (errors make `compile` fail instead).
  public let diagnostics: [Diagnostic]

  /// The checker's type for the whole expression (`dyn` when unchecked).
  public var resultType: CELType { checked?.resultType ?? .dyn }
}

/// A failed compilation: the diagnostics, with the source to render them against.
public struct CompileFailure: Error, Sendable, CustomStringConvertible {
  public let source: Source
  public let diagnostics: [Diagnostic]
  /// Which stage failed.
  public let stage: Stage

  public enum Stage: String, Sendable { case parse, check, codegen }

  public var description: String { diagnostics.map { $0.render(in: source) }.joined() }
}

/// Compiles CEL expressions to verified-bytecode-ready programs.
public enum CELCompiler {
  /// Compiles `text` against `environment`.
  public static func compile(
    _ text: String, name: String = "<expr>", environment: Environment,
    options: CompileOptions = CompileOptions()
  ) -> Result<CompiledExpression, CompileFailure> {
    let source = Source(name: name, text: text)
    let (parsed, parseDiagnostics) = CELParser.parse(source, options: options.parse)
    guard let ast = parsed, !parseDiagnostics.hasErrors else {
      return .failure(CompileFailure(source: source, diagnostics: parseDiagnostics, stage: .parse))
    }
    var diagnostics = parseDiagnostics
    var checked: CheckedAST?
    if options.typeCheck {
      let (c, checkDiagnostics) = Checker(environment: environment).check(ast)
      diagnostics += checkDiagnostics
      guard let c else {
        return .failure(CompileFailure(source: source, diagnostics: diagnostics, stage: .check))
      }
      checked = c
    }
    var ir = Lowering(environment: environment, checked: checked).lower(ast)
    if options.optimize { ir = Passes.run(ir, catalog: environment.catalog) }
    let variableTypes = environment.variables
    do {
      let program = try Codegen(catalog: environment.catalog, variableTypes: variableTypes).emit(ir)
      return .success(
        CompiledExpression(
          source: source, ast: ast, checked: checked, ir: ir, program: program, diagnostics: diagnostics))
    } catch {
      let d = Diagnostic.error("E0901", error.message, at: Span(0, source.utf8.count))
      return .failure(CompileFailure(source: source, diagnostics: diagnostics + [d], stage: .codegen))
    }
  }
}
