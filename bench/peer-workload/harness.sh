# Sourced by vm.sh and ablation.sh: build_eval_harness PKG TREE builds, in PKG, the release
# evaluation harness (vm/main.swift, vm/Common.swift) from TREE's Model, Builtins, Bytecode, Verifier and VM, with
# the runner for that tree's VM API (fused code and a register file kept between runs, where they
# exist). The binary is PKG/.build/release/evalbench. Needs HERE (this folder) and ROOT.
build_eval_harness() { # pkg tree
  local pkg=$1 tree=$2
  mkdir -p "$pkg/Sources/evalbench"  # kept between runs: its .build makes reruns incremental
  rm -f "$pkg/Sources/evalbench/"*.swift  # files an older version of the harness left
  cp "$HERE/vm/Package.swift.in" "$pkg/Package.swift"
  cp "$HERE/vm/main.swift" "$pkg/Sources/evalbench/main.swift"
  cp "$HERE/vm/Common.swift" "$pkg/Sources/evalbench/Common.swift"
  if grep -q "executedProgram" "$tree/Sources/SentinelVerifier/VerifiedProgram.swift"; then
    cp "$HERE/vm/Runner-fused.swift" "$pkg/Sources/evalbench/Runner.swift"
  elif grep -q "struct Registers" "$tree/Sources/SentinelVM/VM.swift"; then
    cp "$HERE/vm/Runner-registers.swift" "$pkg/Sources/evalbench/Runner.swift"
  else
    cp "$HERE/vm/Runner-plain.swift" "$pkg/Sources/evalbench/Runner.swift"
  fi
  for t in SentinelModel SentinelBuiltins SentinelBytecode SentinelVerifier SentinelVM; do
    ln -sfn "$tree/Sources/$t" "$pkg/Sources/$t"
  done
  if [ -d "$tree/Sources/CMallocCounter" ]; then
    ln -sfn "$tree/Sources/CMallocCounter" "$pkg/Sources/CMallocCounter"
  else
    ln -sfn "$ROOT/Sources/CMallocCounter" "$pkg/Sources/CMallocCounter"
  fi
  (cd "$pkg" && swift build -c release >/dev/null)
}
