#!/usr/bin/env python3
"""Turn a perplexity run's log into a JSON record for compare.py.

llama-perplexity ends with "Final estimate: PPL = 3.7762 +/- 0.02585". `ssa perplexity` is read the
same way: the last line holding "PPL = X [+/- E]" (or "perplexity: X", "perplexity = X"); a JSON
object with a "ppl" field is accepted too.

Usage: ppl-record.py --tool NAME --model M.gguf --ctx 512 --text TEXT --log RUN.log --out RECORD.json
"""
import argparse
import json
import os
import re
import sys

PATTERNS = [
    re.compile(r"PPL\s*=\s*([0-9]+(?:\.[0-9]+)?)(?:\s*\+/-\s*([0-9]+(?:\.[0-9]+)?))?"),
    re.compile(r"perplexity\s*[:=]\s*([0-9]+(?:\.[0-9]+)?)(?:\s*\+/-\s*([0-9]+(?:\.[0-9]+)?))?", re.I),
]


def parse(text):
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                obj = json.loads(line)
                if "ppl" in obj:
                    return float(obj["ppl"]), obj.get("ppl_stderr")
            except ValueError:
                pass
        for pattern in PATTERNS:
            m = pattern.search(line)
            if m:
                return float(m.group(1)), float(m.group(2)) if m.group(2) else None
    return None, None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tool", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--ctx", type=int, required=True)
    ap.add_argument("--text", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    with open(args.log, encoding="utf-8", errors="replace") as f:
        text = f.read()
    ppl, err = parse(text)
    if ppl is None:
        sys.exit(f"ppl-record.py: no perplexity estimate in {args.log}")
    chunks = re.findall(r"calculating perplexity over (\d+) chunks", text)
    record = {
        "tool": args.tool,
        "test": "perplexity",
        "model_filename": os.path.abspath(args.model),
        "model_size": os.path.getsize(args.model),
        "n_ctx": args.ctx,
        "text": os.path.abspath(args.text),
        "ppl": ppl,
        "ppl_stderr": err,
    }
    if chunks:
        record["n_chunks"] = int(chunks[-1])
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(record, f, indent=2)
        f.write("\n")
    print(f"{args.tool} perplexity of {os.path.basename(args.model)}: {ppl}", file=sys.stderr)


if __name__ == "__main__":
    # a file that is missing or not what it should be: one line, not a traceback
    try:
        main()
    except (OSError, ValueError, KeyError, StopIteration) as e:
        sys.exit(f"ppl-record.py: {type(e).__name__}: {e}")
