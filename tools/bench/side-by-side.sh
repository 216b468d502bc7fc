#!/usr/bin/env bash
# ssa and llama.cpp on the same GGUF files, in one session, then the comparison table.
#
#   LLAMA_CPP=/path/to/llama.cpp/build/bin SSA=.build/release/ssa \
#       tools/bench/side-by-side.sh OUTDIR MODEL.gguf [MODEL.gguf...]
#
# For each model, in turn (so both tools see the same machine state as far as possible):
#   llama.cpp: tools/bench/llamacpp.sh (llama-bench, the SSA-sized request, perplexity if PPL_TEXT)
#   ssa:       ssa bench --model M -p $PP -n $TG -t $THREADS -r $REPS --json
#              the SSA-sized request: $SSA_REQUEST_CMD under /usr/bin/time -v (request.py)
#              perplexity if PPL_TEXT: $SSA_PPL_CMD
# then tools/bench/compare.py OUTDIR, which prints the markdown table (also saved as OUTDIR/table.md).
#
# Environment: as llamacpp.sh (THREADS=2 PP=512,2048 TG=128 REPS=3 REQUEST_REPS N_PROMPT=3529 N_GEN=128
# PROMPT TOKENIZER PPL_TEXT PPL_CTX=512 PPL_CHUNKS), plus
#   SSA              our binary; unset or without a `bench` subcommand: the ssa half is skipped
#   SSA_REQUEST_CMD  shell command for our request; sees $SSA $MODEL $PROMPT $N_GEN $THREADS
#                    (default below: `ssa generate`, greedy, exactly N_GEN tokens)
#   SSA_PPL_CMD      shell command for our perplexity; sees $SSA $MODEL $PPL_TEXT $PPL_CTX $PPL_CHUNKS $THREADS
# OMP_NUM_THREADS is set to $THREADS for ssa.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
die() { echo "side-by-side.sh: $*" >&2; exit 1; }

[ $# -ge 2 ] || die "usage: LLAMA_CPP=DIR SSA=BIN $0 OUTDIR MODEL.gguf [MODEL.gguf...]"
outdir=$1
shift

export THREADS=${THREADS:-2} PP=${PP:-512,2048} TG=${TG:-128} REPS=${REPS:-3}
export REQUEST_REPS=${REQUEST_REPS:-$REPS} N_PROMPT=${N_PROMPT:-3529} N_GEN=${N_GEN:-128}
export PPL_CTX=${PPL_CTX:-512} PPL_TEXT=${PPL_TEXT:-} PPL_CHUNKS=${PPL_CHUNKS:-}
mkdir -p "$outdir"
export PROMPT=${PROMPT:-$outdir/ssa-prompt-$N_PROMPT.txt}
if [ ! -f "$PROMPT" ]; then
    [ -n "${TOKENIZER:-}" ] || die "no prompt file $PROMPT: set PROMPT, or TOKENIZER (a tokenizer.json) to make one"
    python3 "$here/make-ssa-prompt.py" "$PROMPT" --tokenizer "$TOKENIZER" --tokens "$N_PROMPT"
fi

DEFAULT_SSA_REQUEST_CMD='"$SSA" generate --model "$MODEL" --prompt-file "$PROMPT" --max-tokens "$N_GEN" --temperature 0 --threads "$THREADS" --ignore-eos > /dev/null'
DEFAULT_SSA_PPL_CMD='"$SSA" perplexity --model "$MODEL" --file "$PPL_TEXT" --ctx "$PPL_CTX" ${PPL_CHUNKS:+--chunks "$PPL_CHUNKS"}'
export SSA_REQUEST_CMD=${SSA_REQUEST_CMD:-$DEFAULT_SSA_REQUEST_CMD}
export SSA_PPL_CMD=${SSA_PPL_CMD:-$DEFAULT_SSA_PPL_CMD}

ssa_ok=0
if [ -n "${SSA:-}" ] && [ -x "$SSA" ] && "$SSA" bench --help > /dev/null 2>&1; then
    ssa_ok=1
    export SSA
elif [ -n "${SSA:-}" ] && [ ! -x "$SSA" ]; then
    die "SSA='$SSA' is not an executable (unset SSA to run only llama.cpp's half)"
else
    echo "side-by-side.sh: ssa half skipped (SSA='${SSA:-}' unset, or has no 'bench' subcommand)" >&2
fi

{
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); host: $(hostname); cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
    echo "before: $(uptime)"
} > "$outdir/session.txt"

for model in "$@"; do
    [ -f "$model" ] || die "no model file $model"
    stem=$(basename "$model" .gguf)
    "$here/llamacpp.sh" "$model" "$outdir"
    [ $ssa_ok = 1 ] || continue

    echo "== ssa: $model ($(uptime | sed 's/.*load average/load average/'))" >&2
    OMP_NUM_THREADS=$THREADS "$SSA" bench --model "$model" -p "$PP" -n "$TG" -t "$THREADS" -r "$REPS" --json \
        > "$outdir/$stem.ssa.bench.json" 2> "$outdir/$stem.ssa.bench.log" \
        || die "ssa bench failed, see $outdir/$stem.ssa.bench.log"
    MODEL=$model OMP_NUM_THREADS=$THREADS python3 "$here/request.py" --tool ssa --model "$model" \
        --n-prompt "$N_PROMPT" --n-gen "$N_GEN" --threads "$THREADS" --reps "$REQUEST_REPS" \
        --out "$outdir/$stem.ssa.request.json" --log "$outdir/$stem.ssa.request.log" -- \
        bash -c "$SSA_REQUEST_CMD"
    if [ -n "$PPL_TEXT" ]; then
        MODEL=$model OMP_NUM_THREADS=$THREADS bash -c "$SSA_PPL_CMD" > "$outdir/$stem.ssa.ppl.log" 2>&1 \
            || die "ssa perplexity failed, see $outdir/$stem.ssa.ppl.log"
        python3 "$here/ppl-record.py" --tool ssa --model "$model" --ctx "$PPL_CTX" --text "$PPL_TEXT" \
            --log "$outdir/$stem.ssa.ppl.log" --out "$outdir/$stem.ssa.ppl.json"
    fi
done

echo "after: $(uptime)" >> "$outdir/session.txt"
python3 "$here/compare.py" "$outdir" | tee "$outdir/table.md"
cat "$outdir/session.txt"
