-- wrk script for bench/http.sh: POSTs reference-corpus events, each with a fresh event id, to the
-- path given after `--` (`wrk … -s bench/http.lua URL -- /v1/decisions RUN`). The events file
-- (one JSON event per line with "event_id":"__ID__") is named by the BENCH_EVENTS variable.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local events = {}
local counter = 0
local path = "/v1/decisions"
local run = "r"
local headers = { ["Content-Type"] = "application/json" }

function init(args)
  path = args[1] or path
  run = args[2] or run
  for line in io.lines(os.getenv("BENCH_EVENTS")) do
    events[#events + 1] = line
  end
  if os.getenv("BENCH_KEY") then
    headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")
  end
end

function request()
  counter = counter + 1
  local event = events[(counter % #events) + 1]
  local body = string.gsub(event, "__ID__", run .. "-" .. tid .. "-" .. counter, 1)
  return wrk.format("POST", path, headers, body)
end
