# One wrk run's figures, read from its `--latency` output: shared by bench/http.sh and
# bench/http-pair.sh (each prints them its own way).
import re


def ms(v):
    n, u = re.match(r"([\d.]+)(us|ms|s)", v).groups()
    return float(n) * {"us": 0.001, "ms": 1, "s": 1000}[u]


def parse(text):
    """requests/s, p50 and p99 in ms, the request count, and why the run does not count (None
    when every answer was 2xx and no socket failed)."""
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = re.search(r"Socket errors: (.*)", text)
    refused = " ".join(m.group(0) for m in (bad, errors) if m) or None
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),
        "p50": ms(re.search(r"\s50%\s+(\S+)", text).group(1)),
        "p99": ms(re.search(r"\s99%\s+(\S+)", text).group(1)),
        "total": int(re.search(r"(\d+) requests in", text).group(1)),
        "refused": refused,
    }
