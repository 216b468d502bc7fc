#!/usr/bin/env python3
"""Write the SSA-sized benchmark prompt: one request in the "ssa" prompt format of exactly N tokens.

An SSA request is one long prompt (a question and k candidate solutions) and a short answer. The
benchmark request is 3,529 prompt tokens (the size the kernels issue measures) + 128 generated tokens.

Recipe (deterministic; see /work/shared/ssa-interface.md for the format):
  - Q is the question of the first record of the dev JSONL.
  - The candidate pool is every sample of every record, in file order (record 0's four samples, then
    record 1's, ...). The dev data has four samples per question, far fewer tokens than a large-k
    request, so later candidates belong to other questions: for speed only the token count matters.
  - Candidates are appended ("Answer i:\\n{S}") while the whole prompt stays <= N tokens; the next
    candidate is then cut to the longest character prefix at which the prompt is exactly N tokens
    (if no prefix hits N exactly, the next one and so on; the script fails if none does).
  - Tokens are counted with the model's HF tokenizer.json (no BOS: the "ssa" format has none, and
    Qwen2 GGUFs set add_bos_token = false, so llama.cpp counts the same tokens).
The text is written without a trailing newline (the format ends with "<think>").

Usage: make-ssa-prompt.py OUT.txt --tokenizer tokenizer.json [--tokens 3529] [--data JSONL]
"""
import argparse
import hashlib
import json
import os
import sys

from tokenizers import Tokenizer

DEFAULT_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "SSAKitTests", "Fixtures", "aggregation", "gsm8k-samples-dev.jsonl")

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from qwen_fixture_common import render_prompt  # noqa: E402  (the prompt formats, byte for byte)


def render(question, samples):
    return render_prompt("ssa", question, samples)[0][0]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--tokenizer", required=True, help="the model's HF tokenizer.json")
    ap.add_argument("--tokens", type=int, default=3529)
    ap.add_argument("--data", default=DEFAULT_DATA)
    args = ap.parse_args()

    tok = Tokenizer.from_file(args.tokenizer)

    def count(text):
        return len(tok.encode(text, add_special_tokens=False).ids)

    with open(args.data, encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    question = records[0]["question"]
    pool = [s for r in records for s in r["samples"]]

    chosen = []
    for s in pool:
        if count(render(question, chosen + [s])) > args.tokens:
            break
        chosen.append(s)
    text = render(question, chosen)
    answers = len(chosen)
    if count(text) != args.tokens:
        text = None
        for s in pool[len(chosen):]:
            # Longest prefix first: the prompt's token count grows (almost) monotonically with the prefix.
            lo, hi = 1, len(s)
            while lo < hi:  # largest prefix length with count <= target
                mid = (lo + hi + 1) // 2
                if count(render(question, chosen + [s[:mid]])) <= args.tokens:
                    lo = mid
                else:
                    hi = mid - 1
            for n in range(lo, 0, -1):
                c = count(render(question, chosen + [s[:n]]))
                if c == args.tokens:
                    text = render(question, chosen + [s[:n]])
                    answers += 1
                    break
                if c < args.tokens - 2:
                    break
            if text is not None:
                break
        if text is None:
            sys.exit(f"make-ssa-prompt: no prompt of exactly {args.tokens} tokens")

    data = text.encode("utf-8")
    with open(args.out, "wb") as f:
        f.write(data)
    print(f"{args.out}: {count(text)} tokens, {answers} answers, {len(data)} bytes, "
          f"sha256 {hashlib.sha256(data).hexdigest()}", file=sys.stderr)


if __name__ == "__main__":
    # a file that is missing or not what it should be: one line, not a traceback
    try:
        main()
    except (OSError, ValueError, KeyError, StopIteration) as e:
        sys.exit(f"make-ssa-prompt.py: {type(e).__name__}: {e}")
