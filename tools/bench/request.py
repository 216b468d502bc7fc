#!/usr/bin/env python3
"""Time one SSA-sized request (a whole process: load, prompt, generation) and write a JSON record.

Runs COMMAND under `/usr/bin/time -v` REPS times and records each run's wall time and peak RSS, so
llama.cpp's `llama-completion` and our `ssa` are measured the same way, process start to exit.

Usage: request.py --tool NAME --model M.gguf --n-prompt 3529 --n-gen 128 --threads 2 [--reps 3]
                  --out RECORD.json [--log RUN.log] -- COMMAND ARGS...

The record (one JSON object, field names as in llama-bench's where they exist):
  tool, model_filename, model_size (bytes of the file), n_prompt, n_gen, n_threads, reps,
  samples_wall_s, avg_wall_s, min_wall_s, stddev_wall_s, samples_peak_rss_bytes, peak_rss_bytes,
  and, when the command's stderr has llama.cpp's timing lines, llama_prompt_tokens and
  llama_gen_tokens (what llama.cpp says it processed: the check that the prompt really was n_prompt).
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys

TIME = "/usr/bin/time"


def parse_time_v(text):
    wall = rss_kb = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("Elapsed (wall clock) time"):
            clock = line.rsplit(" ", 1)[-1]  # [h:]mm:ss.ss
            seconds = 0.0
            for part in clock.split(":"):
                seconds = seconds * 60 + float(part)
            wall = seconds
        elif line.startswith("Maximum resident set size (kbytes):"):
            rss_kb = int(line.rsplit(" ", 1)[-1])
    if wall is None or rss_kb is None:
        raise ValueError("no /usr/bin/time -v summary in the output")
    return wall, rss_kb * 1024


def parse_llama_timings(text):
    """Token counts from llama.cpp's perf summary ("prompt eval time = ... / N tokens")."""
    out = {}
    m = re.findall(r"prompt eval time =.*?/\s*(\d+) tokens", text)
    if m:
        out["llama_prompt_tokens"] = int(m[-1])
    m = re.findall(r"\beval time =.*?/\s*(\d+) runs", text)
    if m:
        # llama.cpp counts decode calls; the first generated token comes from the prompt's logits.
        out["llama_gen_tokens"] = int(m[-1]) + 1
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tool", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--n-prompt", type=int, required=True)
    ap.add_argument("--n-gen", type=int, required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--out", required=True)
    ap.add_argument("--log", help="append every run's stdout/stderr here")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not cmd:
        ap.error("no command after --")
    if not os.access(TIME, os.X_OK):
        sys.exit(f"request.py: {TIME} is missing (Debian: apt-get install time)")

    walls, rsss, extra = [], [], {}
    log = open(args.log, "a", encoding="utf-8") if args.log else None
    for rep in range(args.reps):
        proc = subprocess.run([TIME, "-v", *cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, errors="replace")
        if log:
            log.write(f"==== {args.tool} run {rep + 1}/{args.reps}: {' '.join(cmd)}\n")
            log.write(proc.stdout)
            log.write("\n---- stderr\n")
            log.write(proc.stderr)
            log.write("\n")
            log.flush()
        if proc.returncode != 0:
            tail = "\n".join(proc.stderr.splitlines()[-25:])
            sys.exit(f"request.py: {args.tool} exited with status {proc.returncode}:\n{tail}")
        wall, rss = parse_time_v(proc.stderr)
        walls.append(wall)
        rsss.append(rss)
        extra = parse_llama_timings(proc.stderr) or extra
        print(f"{args.tool} request run {rep + 1}/{args.reps}: {wall:.2f} s, peak RSS {rss / 1e6:.0f} MB",
              file=sys.stderr)

    record = {
        "tool": args.tool,
        "test": "request",
        "model_filename": os.path.abspath(args.model),
        "model_size": os.path.getsize(args.model),
        "n_prompt": args.n_prompt,
        "n_gen": args.n_gen,
        "n_threads": args.threads,
        "reps": args.reps,
        "samples_wall_s": walls,
        "avg_wall_s": statistics.fmean(walls),
        "min_wall_s": min(walls),
        "stddev_wall_s": statistics.stdev(walls) if len(walls) > 1 else 0.0,
        "samples_peak_rss_bytes": rsss,
        "peak_rss_bytes": max(rsss),
        **extra,
    }
    for key, want in (("llama_prompt_tokens", args.n_prompt), ("llama_gen_tokens", args.n_gen)):
        if key in record and record[key] != want:
            print(f"request.py: warning: {key} = {record[key]}, expected {want}", file=sys.stderr)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(record, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    # a file that is missing or not what it should be: one line, not a traceback
    try:
        main()
    except (OSError, ValueError, KeyError, StopIteration) as e:
        sys.exit(f"request.py: {type(e).__name__}: {e}")
