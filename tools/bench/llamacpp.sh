#!/usr/bin/env bash
# The llama.cpp half of the side-by-side benchmark, on one GGUF file.
#
#   LLAMA_CPP=/path/to/llama.cpp/build/bin tools/bench/llamacpp.sh MODEL.gguf OUTDIR
#
# 1. llama-bench -m MODEL -p $PP -n $TG -t $THREADS -r $REPS -o json  -> OUTDIR/<stem>.llamacpp.bench.json
# 2. the SSA-sized request: llama-completion on $PROMPT ($N_PROMPT tokens), greedy, exactly $N_GEN
#    generated tokens (--ignore-eos), one process per run, wall time and peak RSS from /usr/bin/time -v
#                                                           -> OUTDIR/<stem>.llamacpp.request.json
# 3. only if PPL_TEXT is set: llama-perplexity -m MODEL -f $PPL_TEXT -c $PPL_CTX -t $THREADS
#                                                           -> OUTDIR/<stem>.llamacpp.ppl.json
#
# Environment (defaults): THREADS=2 PP=512,2048 TG=128 REPS=3 REQUEST_REPS=$REPS N_PROMPT=3529
# N_GEN=128 PROMPT=OUTDIR/ssa-prompt-$N_PROMPT.txt (made by make-ssa-prompt.py from TOKENIZER, a
# tokenizer.json, when it does not exist) PPL_TEXT= PPL_CTX=512 PPL_CHUNKS= (all).
# llama.cpp is not part of this repository: see tools/bench/README.md for how to build it.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
die() { echo "llamacpp.sh: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: LLAMA_CPP=DIR $0 MODEL.gguf OUTDIR"
model=$1
outdir=$2
[ -n "${LLAMA_CPP:-}" ] || die "set LLAMA_CPP to llama.cpp's build/bin directory"
for tool in llama-bench llama-completion; do
    [ -x "$LLAMA_CPP/$tool" ] || die "$LLAMA_CPP/$tool not found or not executable"
done
[ -f "$model" ] || die "no model file $model"
if [ -n "${PPL_TEXT:-}" ]; then  # checked before the benchmarks run, not after
    [ -x "$LLAMA_CPP/llama-perplexity" ] || die "$LLAMA_CPP/llama-perplexity not found (PPL_TEXT is set)"
    [ -f "$PPL_TEXT" ] || die "no perplexity text $PPL_TEXT"
fi

THREADS=${THREADS:-2}
PP=${PP:-512,2048}
TG=${TG:-128}
REPS=${REPS:-3}
REQUEST_REPS=${REQUEST_REPS:-$REPS}
N_PROMPT=${N_PROMPT:-3529}
N_GEN=${N_GEN:-128}
PPL_CTX=${PPL_CTX:-512}

mkdir -p "$outdir"
stem=$(basename "$model" .gguf)
PROMPT=${PROMPT:-$outdir/ssa-prompt-$N_PROMPT.txt}
if [ ! -f "$PROMPT" ]; then
    [ -n "${TOKENIZER:-}" ] || die "no prompt file $PROMPT: set PROMPT, or TOKENIZER (a tokenizer.json) to make one"
    python3 "$here/make-ssa-prompt.py" "$PROMPT" --tokenizer "$TOKENIZER" --tokens "$N_PROMPT"
fi

echo "== llama.cpp: $model ($(uptime | sed 's/.*load average/load average/'))" >&2

"$LLAMA_CPP/llama-bench" -m "$model" -p "$PP" -n "$TG" -t "$THREADS" -r "$REPS" -o json \
    > "$outdir/$stem.llamacpp.bench.json" 2> "$outdir/$stem.llamacpp.bench.log" \
    || die "llama-bench failed, see $outdir/$stem.llamacpp.bench.log"

# The context holds the prompt and the answer; batch sizes are llama-bench's defaults (2048/512).
ctx=$(( N_PROMPT + N_GEN + 16 ))
python3 "$here/request.py" --tool llama.cpp --model "$model" --n-prompt "$N_PROMPT" --n-gen "$N_GEN" \
    --threads "$THREADS" --reps "$REQUEST_REPS" \
    --out "$outdir/$stem.llamacpp.request.json" --log "$outdir/$stem.llamacpp.request.log" -- \
    "$LLAMA_CPP/llama-completion" -m "$model" -f "$PROMPT" -n "$N_GEN" -t "$THREADS" -c "$ctx" \
    -b 2048 -ub 512 --temp 0 --ignore-eos -no-cnv --no-warmup --no-display-prompt

if [ -n "${PPL_TEXT:-}" ]; then
    [ -x "$LLAMA_CPP/llama-perplexity" ] || die "$LLAMA_CPP/llama-perplexity not found"
    chunks=()
    [ -n "${PPL_CHUNKS:-}" ] && chunks=(--chunks "$PPL_CHUNKS")
    "$LLAMA_CPP/llama-perplexity" -m "$model" -f "$PPL_TEXT" -c "$PPL_CTX" -t "$THREADS" "${chunks[@]}" \
        > "$outdir/$stem.llamacpp.ppl.log" 2>&1 || die "llama-perplexity failed, see $outdir/$stem.llamacpp.ppl.log"
    python3 "$here/ppl-record.py" --tool llama.cpp --model "$model" --ctx "$PPL_CTX" --text "$PPL_TEXT" \
        --log "$outdir/$stem.llamacpp.ppl.log" --out "$outdir/$stem.llamacpp.ppl.json"
fi
