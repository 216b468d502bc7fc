#!/usr/bin/env python3
"""N concurrent clients sending the aggregation prompts of a JSONL file to a llama.cpp `llama-server`
(`/completion`, greedy, the same token limit), as `ssa aggregate --parallel N` runs them: records/s.

The prompts are rendered byte for byte as `ssa` renders them (tools/qwen_fixture_common.py, the SSA
interface's formats); generation stops at `</answer>` and at end of text, as ssa's does. Standard
library only (threads + urllib), so it runs wherever the server does.

Usage: server-clients.py --url http://127.0.0.1:8090 --input dev.jsonl --limit 16 --clients 8
           [--format ssa] [--max-tokens 256]
Prints one JSON object: records, seconds, records_per_second, prompt and generated tokens, failures.
"""
import argparse
import json
import os
import queue
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from qwen_fixture_common import render_prompt  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--limit", type=int, default=16)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--format", default="ssa", choices=["ssa", "chat", "answer"])
    ap.add_argument("--max-tokens", type=int, default=256)
    args = ap.parse_args()

    with open(args.input, encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()][: args.limit]
    # the chat format's control tokens are in the text: llama-server parses them as special tokens
    prompts = ["".join(text for text, _ in render_prompt(args.format, r["question"], r["samples"])) for r in records]
    work = queue.Queue()
    for p in prompts:
        work.put(p)
    stats = {"prompt_tokens": 0, "generated_tokens": 0, "failures": 0}
    lock = threading.Lock()
    stops = ["</answer>", "<|endoftext|>", "<|im_end|>"]

    def client():
        while True:
            try:
                prompt = work.get_nowait()
            except queue.Empty:
                return
            body = json.dumps({"prompt": prompt, "n_predict": args.max_tokens, "temperature": 0, "top_k": 1,
                               "stop": stops, "cache_prompt": True}).encode()
            req = urllib.request.Request(args.url.rstrip("/") + "/completion", data=body,
                                         headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(req, timeout=3600) as resp:
                    out = json.loads(resp.read())
                with lock:
                    stats["prompt_tokens"] += out.get("tokens_evaluated", 0)
                    stats["generated_tokens"] += out.get("tokens_predicted", 0)
            except Exception as e:  # a failed request counts, the run goes on
                print(f"server-clients.py: request failed: {e}", file=sys.stderr)
                with lock:
                    stats["failures"] += 1

    start = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.monotonic() - start
    print(json.dumps({"records": len(prompts), "clients": args.clients, "seconds": round(seconds, 3),
                      "records_per_second": round(len(prompts) / seconds, 4), **stats}))


if __name__ == "__main__":
    main()
