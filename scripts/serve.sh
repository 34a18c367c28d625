#!/usr/bin/env bash
# `make run`: the scoring daemon on its embedded defaults — the reference rules in rules/, state
# in sentinel.db, listening on 127.0.0.1:8080. Pass other `sentinel serve` options after the
# executable (scripts/serve.sh .build/release/sentinel --listen 0.0.0.0:9000).
set -euo pipefail
cd "$(dirname "$0")/.."
S=${1:-.build/release/sentinel}
shift || true
echo "try (KEY: the demo API key printed below): curl -s localhost:8080/v1/decisions -H \"Authorization: Bearer \$KEY\" -d '{\"event_id\":\"e-1\",\"type\":\"transaction\",\"ts\":\"2026-11-25T10:00:00Z\",\"user_id\":\"u-42\",\"amount\":9500,\"country_code\":\"GB\",\"card_country\":\"KP\",\"merchant_category\":\"6051\"}'"
exec "$S" serve "$@"
