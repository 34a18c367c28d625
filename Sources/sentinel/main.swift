// The `sentinel` executable: only the entry point; commands live in SentinelCommands.
import SentinelCommands

await Sentinel.main()
