// `sentinel`: the command-line entry point; one command per file in this target.

import ArgumentParser

/// The root command; subcommands register here.
public struct Sentinel: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "sentinel",
    abstract: "SentinelIQ — a fraud and risk rule compiler and verified decision runtime.",
    subcommands: [
      CheckCommand.self, CompileCommand.self, FmtCommand.self, ExplainCommand.self, EvalCommand.self,
      DisasmCommand.self, KeygenCommand.self, ConformanceCommand.self, ReplayCommand.self, TestCommand.self,
      DiffCommand.self,
      ScreenCommand.self, ServeCommand.self, KeysCommand.self, AuditCommand.self, BenchCommand.self,
      ConsumeCommand.self, ProduceCommand.self,
    ]
  )
  public init() {}
}
