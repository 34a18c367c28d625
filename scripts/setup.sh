#!/usr/bin/env bash
# Installs the system packages SentinelIQ needs, when missing (Debian; run as root or with sudo).
set -euo pipefail
# `--test`: also what the tests run against (a real redis-server, started by the tests themselves).
packages=(tzdata libssl-dev libsqlite3-dev pkg-config libhiredis-dev)
[ "${1:-}" = "--test" ] && packages+=(redis-server)
need=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi
command -v swift >/dev/null || { echo "setup: the Swift toolchain (6.1+) must be on PATH" >&2; exit 1; }
