#!/usr/bin/env python3
"""Write the GSM8K perplexity text that `llama-perplexity` and `ssa perplexity` both score.

Recipe (so anyone can rebuild the same bytes): read the dev JSONL line by line in file order; for
each record emit its question, then each of its samples in order, every piece followed by one blank
line ("\n\n"); pieces are the raw JSON strings, untouched (calculator annotations `<<a=b>>` and the
final "A: ..." lines stay). The file is UTF-8 and ends with "\n\n". Nothing else: no headers, no
shuffling, no deduplication.

Usage: make-perplexity-text.py OUT.txt [--data gsm8k-samples-dev.jsonl] [--rows N]
"""
import argparse
import hashlib
import json
import os
import sys

DEFAULT_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "SSAKitTests", "Fixtures", "aggregation", "gsm8k-samples-dev.jsonl")


def pieces(path, rows):
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            if rows is not None and i >= rows:
                break
            if not line.strip():
                continue
            record = json.loads(line)
            yield record["question"]
            yield from record["samples"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", help="output text file (keep it outside the repo)")
    ap.add_argument("--data", default=DEFAULT_DATA, help=f"dev JSONL (default {DEFAULT_DATA})")
    ap.add_argument("--rows", type=int, default=None, help="only the first N records (default: all)")
    args = ap.parse_args()

    text = "".join(p + "\n\n" for p in pieces(args.data, args.rows))
    data = text.encode("utf-8")
    with open(args.out, "wb") as f:
        f.write(data)
    print(f"{args.out}: {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}", file=sys.stderr)


if __name__ == "__main__":
    # a file that is missing or not what it should be: one line, not a traceback
    try:
        main()
    except (OSError, ValueError, KeyError, StopIteration) as e:
        sys.exit(f"make-perplexity-text.py: {type(e).__name__}: {e}")
