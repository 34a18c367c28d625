# Sourced by the base-vs-new bench scripts (vm.sh, peer-workload/vm.sh, decode-peer.sh): sets
# BASE_TREE to a copy of BASE_REF's files (`git archive` into OUT/base-src), unless BASE_TREE is
# already set to a checkout. Needs ROOT (this repository), OUT and BASE_REF.
if [ -z "${BASE_TREE:-}" ]; then
  BASE_TREE=$OUT/base-src
  rm -rf "$BASE_TREE" && mkdir -p "$BASE_TREE"
  git -C "$ROOT" archive "$BASE_REF" | tar -x -C "$BASE_TREE"
fi
