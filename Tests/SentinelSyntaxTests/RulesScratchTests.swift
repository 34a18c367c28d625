import Foundation
import SentinelModel
import SentinelSyntax
import Testing

@Test func rulesScratch() throws {
  let path = "/tmp/dslplay/in.rules"
  guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return }
  let source = Source(name: "in.rules", text: text)
  let (file, diags) = RuleParser.parse(source)
  var out = ""
  for d in diags { out += d.render(in: source) }
  if let file {
    out += "---- dump\n" + RuleFileDump.dump(file)
    let f = RuleFormatter.format(file)
    out += "---- fmt\n" + f
    let (file2, d2) = RuleParser.parse(Source(name: "fmt", text: f))
    out += "---- reparse errors: \(d2.count)\n"
    if let file2 {
      out += "dump equal: \(RuleFileDump.dump(file2) == RuleFileDump.dump(file))\n"
      out += "idempotent: \(RuleFormatter.format(file2) == f)\n"
    }
  }
  try out.write(toFile: "/tmp/dslplay/out.txt", atomically: true, encoding: .utf8)
}
