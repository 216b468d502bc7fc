#!/usr/bin/env bash
# Records/s of `ssa aggregate` at --parallel 1 and N on the first LIMIT records of a JSONL file,
# alternating the two ROUNDS times (this machine drifts within minutes), and, with LLAMA_CPP set to a
# llama.cpp build/bin holding llama-server, the same prompts through `llama-server -np N -cb` fed by
# N concurrent clients (tools/bench/server-clients.py), same GGUF file, greedy, same token limit.
#
#   SSA=.build/release/ssa MODEL=models/qwen2.5-coder-0.5b-instruct-q8_0.gguf \
#   INPUT=../shared/data/gsm8k-samples-dev-shuffled.jsonl LIMIT=16 N=8 FORMAT=ssa MAX_TOKENS=256 \
#   [LLAMA_CPP=/path/to/build/bin] tools/bench/parallel.sh OUTFILE
#
# FORMAT=ssa runs `--method generate --prompt-format ssa` (a trained SSA's reasoning then answer);
# FORMAT=answer runs the default method of the default model. THREADS (default 2) for both tools.
# OUTFILE gets one line per run (JSON); the summary (median records/s of each, their ratios) is printed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
die() { echo "parallel.sh: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: SSA=BIN MODEL=GGUF INPUT=JSONL [LIMIT N FORMAT MAX_TOKENS ROUNDS THREADS LLAMA_CPP] $0 OUTFILE"
out=$1
SSA=${SSA:-.build/release/ssa}; MODEL=${MODEL:?set MODEL to a GGUF file}; INPUT=${INPUT:?set INPUT to a JSONL file}
LIMIT=${LIMIT:-16}; N=${N:-8}; FORMAT=${FORMAT:-ssa}; MAX_TOKENS=${MAX_TOKENS:-256}; ROUNDS=${ROUNDS:-3}; THREADS=${THREADS:-2}
[ -x "$SSA" ] || die "SSA=$SSA is not an executable"
[ -f "$MODEL" ] || die "MODEL=$MODEL is not a file"
[ -f "$INPUT" ] || die "INPUT=$INPUT is not a file"
for v in LIMIT N MAX_TOKENS ROUNDS THREADS; do [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"; done
tmp=$(mktemp -d); trap 'rm -rf "$tmp"; [ -n "${server:-}" ] && kill "$server" 2>/dev/null || true' EXIT
head -n "$LIMIT" "$INPUT" > "$tmp/in.jsonl"
: > "$out"
method=(); [ "$FORMAT" = ssa ] && method=(--method generate)

run_ssa() {  # $1 = parallel
  local start end
  start=$(date +%s.%N)
  "$SSA" aggregate --model "$MODEL" -i "$tmp/in.jsonl" -o "$tmp/out-$1.jsonl" -q --threads "$THREADS" \
      --prompt-format "$FORMAT" --max-tokens "$MAX_TOKENS" "${method[@]}" --parallel "$1" || die "ssa aggregate failed"
  end=$(date +%s.%N)
  python3 -c "import json,sys; s=float(sys.argv[2])-float(sys.argv[1]); print(json.dumps({'tool':'ssa','parallel':int(sys.argv[3]),'records':int(sys.argv[4]),'seconds':round(s,3),'records_per_second':round(int(sys.argv[4])/s,4)}))" \
      "$start" "$end" "$1" "$LIMIT" >> "$out"
}

if [ -n "${LLAMA_CPP:-}" ]; then
  [ -x "$LLAMA_CPP/llama-server" ] || die "no llama-server in LLAMA_CPP=$LLAMA_CPP"
  port=$((20000 + RANDOM % 20000))
  "$LLAMA_CPP/llama-server" -m "$MODEL" -t "$THREADS" -np "$N" -cb -c $((N * 4096)) --port "$port" --host 127.0.0.1 \
      > "$tmp/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/health" > /dev/null && break; sleep 1; done
  curl -sf "http://127.0.0.1:$port/health" > /dev/null || die "llama-server did not start (see its log: $(tail -2 "$tmp/server.log"))"
fi

for r in $(seq 1 "$ROUNDS"); do
  run_ssa 1
  run_ssa "$N"
  if [ -n "${server:-}" ]; then
    python3 "$here/server-clients.py" --url "http://127.0.0.1:$port" --input "$tmp/in.jsonl" --limit "$LIMIT" \
        --clients "$N" --format "$FORMAT" --max-tokens "$MAX_TOKENS" | python3 -c "import json,sys; d=json.load(sys.stdin); d['tool']='llama-server'; d['parallel']=d['clients']; print(json.dumps(d))" >> "$out"
  fi
  cmp -s "$tmp/out-1.jsonl" "$tmp/out-$N.jsonl" 2>/dev/null || python3 - "$tmp/out-1.jsonl" "$tmp/out-$N.jsonl" <<'PY' || die "records differ between --parallel 1 and N"
import json, sys
a = [{k: v for k, v in json.loads(l).items() if k != "seconds"} for l in open(sys.argv[1])]
b = [{k: v for k, v in json.loads(l).items() if k != "seconds"} for l in open(sys.argv[2])]
sys.exit(0 if a == b else 1)
PY
done
python3 - "$out" "$N" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
n = int(sys.argv[2])
def med(tool, p): 
    xs = [r["records_per_second"] for r in runs if r["tool"] == tool and r["parallel"] == p]
    return statistics.median(xs) if xs else None
one, many, server = med("ssa", 1), med("ssa", n), med("llama-server", n)
print(f"ssa --parallel 1: {one:.3f} records/s; --parallel {n}: {many:.3f} records/s; ratio {many / one:.2f}x (medians of {len(runs)} runs)")
if server:
    print(f"llama-server -np {n} -cb, {n} clients: {server:.3f} records/s; ssa --parallel {n} / llama-server: {many / server:.2f}x")
PY
