// SentinelIQ: placeholder until this stage lands.
