# Sourced by bench/http.sh, bench/http-pair.sh and bench/http-threads.sh: the daemon as the HTTP
# benchmarks run it.
#
# start_bench_daemon BINARY DIR: `BINARY serve` with $work/rules.sbc and DIR/state.db on a free
# loopback port, the constant route on, $BENCH_KEY as its key, the rate limit out of the way (the
# limiter still runs on every request), the access log off (warning) and $DAEMON_ARGS; output in
# DIR/out.txt and DIR/err.txt. Sets daemon_pid and daemon_url, or exits 1 with the daemon's errors.
start_bench_daemon() {
  local bin=$1 dir=$2 port
  "$bin" serve --rules "$work/rules.sbc" --db "$dir/state.db" --listen 127.0.0.1:0 --bench-constant-route \
    --demo-key "$BENCH_KEY" --rate-limit 100000000 --rate-burst 100000000 --log-level warning \
    ${DAEMON_ARGS:-} >"$dir/out.txt" 2>"$dir/err.txt" &
  daemon_pid=$!
  for _ in $(seq 1 100); do grep -q "listening on" "$dir/out.txt" 2>/dev/null && break; sleep 0.1; done
  port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$dir/out.txt")
  [ -n "$port" ] || { echo "the daemon did not start:" >&2; cat "$dir/err.txt" >&2; exit 1; }
  daemon_url="http://127.0.0.1:$port"
}
