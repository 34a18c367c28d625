import Testing

@Test func placeholderRules() { #expect(1 + 1 == 2) }
