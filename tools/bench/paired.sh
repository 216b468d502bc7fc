#!/usr/bin/env bash
# Paired runs: llama-bench and `ssa bench` alternate, one repetition each, ROUNDS times, on the same
# GGUF file and test, and each round's ratio ssa / llama.cpp is kept. On a machine whose speed drifts
# by 20-40% within minutes (a shared VM), the ratio of two runs taken seconds apart is steadier than
# the ratio of two averages taken minutes apart (side-by-side.sh runs all of one tool, then the other).
#
#   LLAMA_CPP=/path/to/llama.cpp/build/bin SSA=.build/release/ssa \
#       tools/bench/paired.sh OUTFILE MODEL.gguf [MODEL.gguf...]
#
# Environment: THREADS=2, TESTS="p2048 n128" (pN: prompt processing of N tokens, nN: generation of N
# tokens), ROUNDS=8. Writes one line per run to OUTFILE (model test round tool tok/s) and prints, per
# model and test, the median ratio with its range and both tools' medians.
set -euo pipefail

die() { echo "paired.sh: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: LLAMA_CPP=DIR SSA=BIN $0 OUTFILE MODEL.gguf [MODEL.gguf...]"
out=$1
shift
[ -x "${LLAMA_CPP:-}/llama-bench" ] || die "LLAMA_CPP must be llama.cpp's bin folder (with llama-bench)"
[ -x "${SSA:-}" ] || die "SSA must be the ssa binary"
THREADS=${THREADS:-2} TESTS=${TESTS:-"p2048 n128"} ROUNDS=${ROUNDS:-8}
case "$ROUNDS" in ''|*[!0-9]*|0) die "ROUNDS must be a whole number of at least 1, not '$ROUNDS'" ;; esac
case "$THREADS" in ''|*[!0-9]*|0) die "THREADS must be a whole number of at least 1, not '$THREADS'" ;; esac
for model in "$@"; do [ -f "$model" ] || die "no such model: $model"; done
for test in $TESTS; do
  case $test in p[0-9]*|n[0-9]*) ;; *) die "test \"$test\" is neither pN nor nN" ;; esac
done
: > "$out"
# each tool's stderr of the last run, shown when it fails
errors=$(mktemp)
trap 'rm -f "$errors"' EXIT

# tok/s of the one record of a llama-bench or ssa bench JSON array (same field names)
tps() { python3 -c 'import json, sys; r = json.load(sys.stdin); print(r[0]["avg_ts"])'; }

for model in "$@"; do
  stem=$(basename "$model" .gguf | tr ' \t' '__')  # one field of the space-separated OUTFILE
  for test in $TESTS; do
    case $test in
    p*) args=(-p "${test#p}" -n 0) ;;
    n*) args=(-p 0 -n "${test#n}") ;;
    *) die "test \"$test\" is neither pN nor nN" ;;
    esac
    for round in $(seq "$ROUNDS"); do
      l=$("$LLAMA_CPP/llama-bench" -m "$model" "${args[@]}" -t "$THREADS" -r 1 -o json 2>"$errors" | tps 2>/dev/null) \
        || die "llama-bench failed on $model $test: $(tail -n 1 "$errors")"
      s=$(OMP_NUM_THREADS=$THREADS "$SSA" bench --model "$model" "${args[@]}" -t "$THREADS" -r 1 --json 2>"$errors" | tps 2>/dev/null) \
        || die "ssa bench failed on $model $test: $(tail -n 1 "$errors")"
      echo "$stem $test $round llama.cpp $l" >> "$out"
      echo "$stem $test $round ssa $s" >> "$out"
      echo "$stem $test round $round: llama.cpp $l tok/s, ssa $s tok/s" >&2
    done
  done
done

python3 - "$out" <<'EOF'
import collections, statistics, sys
runs = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    model, test, rnd, tool, tps = line.split()
    runs[(model, test)].setdefault(rnd, {})[tool] = float(tps)
print("| model | test | llama.cpp median (tok/s) | ssa median (tok/s) | ratio median | ratio range | rounds |")
print("|---|---|---|---|---|---|---|")
for (model, test), rounds in runs.items():
    pairs = [r for r in rounds.values() if len(r) == 2]
    ratios = sorted(r["ssa"] / r["llama.cpp"] for r in pairs)
    print(f"| {model} | {test} | {statistics.median(r['llama.cpp'] for r in pairs):.1f} | "
          f"{statistics.median(r['ssa'] for r in pairs):.1f} | {statistics.median(ratios):.2f}x | "
          f"{ratios[0]:.2f}-{ratios[-1]:.2f}x | {len(pairs)} |")
EOF
