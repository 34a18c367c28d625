// The `sentinel` executable: only the entry point; commands live in SentinelCommands.
import SentinelCommands

Sentinel.main()
