import Foundation
import SentinelModel
import SentinelSyntax
import SentinelYAML
import Testing

@Test func yamlSmoke() throws {
  let text = try String(contentsOfFile: "fixtures/yaml/seed.yaml", encoding: .utf8)
  let source = Source(name: "seed.yaml", text: text)
  let (file, ds) = YAMLRuleParser.parse(source)
  for d in ds { print(d.render(in: source)) }
  guard let file else { Issue.record("no file"); return }
  for d in file.declarations {
    if case .rule(let r) = d {
      print(r.id, r.name as Any, r.category as Any, r.action as Any)
      if let w = r.when {
        print(w.text, w.ast.debugString)
        for (id, s) in w.ast.spans.sorted(by: { $0.key < $1.key }) {
          print(id, String(decoding: source.utf8[s.start..<s.end], as: UTF8.self))
        }
      }
    }
  }
}
