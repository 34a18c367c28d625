// A compiled CEL program: code, constant pool, variable table, builtin imports, and a source
// map. It is an untrusted artifact until `Verifier` turns it into a `VerifiedProgram`.

import SentinelModel

/// A variable the program reads, by qualified name, with its declared type.
public struct VariableSlot: Sendable, Hashable {
  public var name: String
  public var type: CELType
  public init(name: String, type: CELType) {
    self.name = name
    self.type = type
  }
}

/// A function called by dynamic dispatch (`call.dyn`): its name and call style.
public struct FunctionRef: Sendable, Hashable {
  public var name: String
  public var receiver: Bool
  public init(name: String, receiver: Bool) {
    self.name = name
    self.receiver = receiver
  }
}

/// Where an instruction came from in the source.
public struct SourceMapEntry: Sendable, Hashable {
  public var pc: Int
  public var span: Span
  public init(pc: Int, span: Span) {
    self.pc = pc
    self.span = span
  }
}

/// A program as the compiler emits it and the decoder reads it. Not runnable until verified.
public struct Program: Sendable {
  /// The bytecode format version this build reads and writes. 2: operand a is 16-bit and b, c,
  /// d are 32-bit (15 bytes per instruction); `jump` and `loop` take their target in b.
  public static let formatVersion: UInt16 = 2
  /// Most registers the format allows: register operands must fit operand a (16 bits).
  public static let maxRegisterCount = Int(UInt16.max) + 1
  /// Most entries of any table (constants, variables, builtins, functions, rules) and most
  /// instructions the format allows; every index fits a 32-bit operand.
  public static let maxTableCount = 1 << 22

  public var constants: [Value]
  public var variables: [VariableSlot]
  /// Overload ids (`add_int64`…) that `call` instructions index.
  public var builtins: [String]
  /// Function names that `call.dyn` instructions index.
  public var functions: [FunctionRef]
  public var registerCount: Int
  /// Number of rule results the program writes (`rule` instructions); 0 for an expression.
  public var ruleCount: Int
  public var code: [Instruction]
  public var sourceMap: [SourceMapEntry]

  public init(
    constants: [Value] = [], variables: [VariableSlot] = [], builtins: [String] = [],
    functions: [FunctionRef] = [], registerCount: Int = 0, ruleCount: Int = 0, code: [Instruction] = [],
    sourceMap: [SourceMapEntry] = []
  ) {
    self.constants = constants
    self.variables = variables
    self.builtins = builtins
    self.functions = functions
    self.registerCount = registerCount
    self.ruleCount = ruleCount
    self.code = code
    self.sourceMap = sourceMap
  }
}
