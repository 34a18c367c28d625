import Testing

@Test func placeholderConformance() { #expect(1 + 1 == 2) }
