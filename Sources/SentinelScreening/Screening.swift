// SentinelScreening: sanctions screening of names against a list such as OFAC's SDN list.
//
// Pipeline (each stage a file, each artifact immutable and `Sendable`):
//   OFACCSV (records with line numbers) → SanctionsLoader (SanctionsList + LoadIssues)
//   → NameNormalizer (text → NameTokens: folding, homoglyphs, punctuation, particles, lexicon)
//   → ScreeningIndex (built once: vocabulary, token postings, trigram / phonetic / OCR blocking keys)
//   → Screener (query → candidate names via the index → NameScorer → ranked ScreeningMatches).
//
// Runtime side: depends only on SentinelModel and SentinelBuiltins (the `screen` builtin it
// implements), so a daemon can screen without the compiler.

/// The default score at or above which a name is reported as a match (see docs/screening.md).
public let defaultScreeningThreshold = 0.86
