#!/usr/bin/env python3
"""Print the side-by-side table (markdown) of llama.cpp and ssa benchmark records, with ratios.

Usage: compare.py PATH... (files, or directories whose *.json are read)

Inputs, all JSON:
  - speed: llama-bench `-o json` arrays and `ssa bench --json` arrays. Both are read by the same
    fields: n_prompt, n_gen, n_threads, avg_ts, stddev_ts (and n_depth when present). A record with
    n_gen = 0 is the prompt test ppN, with n_prompt = 0 the generation test tgN.
  - request: records of request.py (whole-process wall time and peak RSS of the SSA-sized request).
  - perplexity: records of ppl-record.py.
Which tool and model a file belongs to comes from its name, `<model-stem>.<tool>.<kind>.json`
(tool `llamacpp` or `ssa`, as side-by-side.sh and llamacpp.sh write them); failing that, from the
records' `tool` field (llama-bench records, with `build_commit`, count as llama.cpp) and the
basename of `model_filename`.

Ratios are ssa / llama.cpp. Goals (kernels issue): pp2048 >= 2.0x, tg >= 1.0x, request wall <= 0.5x,
request peak RSS <= model file + F16 KV cache for n_prompt + n_gen tokens + 64 MiB (the KV size is
read from the GGUF with the `gguf` package when it is installed), perplexity equal within noise
(Q8_0 within +0.05% of F16 is checked by reading the F16 row).
"""
import json
import os
import statistics
import sys

TOOLS = {"llamacpp": "llama.cpp", "llama.cpp": "llama.cpp", "ssa": "ssa"}
MIB = 1024 * 1024


def load(path):
    with open(path, encoding="utf-8") as f:
        text = f.read().strip()
    if not text:
        return []
    data = json.loads(text)
    return data if isinstance(data, list) else [data]


def identify(path, record):
    """(model stem, tool) for one record."""
    parts = os.path.basename(path).split(".")
    if len(parts) >= 4 and parts[-1] == "json" and parts[-3] in TOOLS:
        return ".".join(parts[:-3]), TOOLS[parts[-3]]
    tool = record.get("tool") or ("llama.cpp" if "build_commit" in record else None)
    model = record.get("model_filename")
    if tool is None or model is None:
        raise ValueError(f"{path}: cannot tell the tool/model (name it <model>.<llamacpp|ssa>.<kind>.json)")
    stem = os.path.basename(model)
    return (stem[:-5] if stem.endswith(".gguf") else stem), TOOLS.get(tool, tool)


def test_name(r):
    p, g, d = int(r.get("n_prompt", 0)), int(r.get("n_gen", 0)), int(r.get("n_depth", 0) or 0)
    name = f"pp{p}" if g == 0 else f"tg{g}" if p == 0 else f"pp{p}+tg{g}"
    return name + (f" @ d{d}" if d else "")


def kv_bytes(model_path, n_tokens):
    """F16 K and V for n_tokens, from the GGUF's shapes; None when unknown."""
    try:
        from gguf import GGUFReader
    except ImportError:
        return None
    try:
        reader = GGUFReader(model_path)
        fields = reader.fields

        def value(key):
            f = fields.get(key)
            return None if f is None else int(f.parts[f.data[0]][0])

        arch = bytes(fields["general.architecture"].parts[-1]).decode()
        layers = value(f"{arch}.block_count")
        heads = value(f"{arch}.attention.head_count")
        kv_heads = value(f"{arch}.attention.head_count_kv") or heads
        head_dim = value(f"{arch}.attention.key_length") or value(f"{arch}.embedding_length") // heads
        return 2 * 2 * layers * kv_heads * head_dim * n_tokens
    except (OSError, KeyError, TypeError, ValueError):
        return None


def fmt(x, digits=1):
    return "—" if x is None else f"{x:.{digits}f}"


def ratio(ours, theirs):
    return None if ours is None or theirs in (None, 0) else ours / theirs


def main(argv):
    paths = []
    for arg in argv:
        if os.path.isdir(arg):
            paths += sorted(os.path.join(arg, n) for n in os.listdir(arg) if n.endswith(".json"))
        else:
            paths.append(arg)
    if not paths:
        sys.exit("usage: compare.py PATH... (benchmark JSON files or directories)")

    speed, request, ppl = {}, {}, {}   # (model, test) -> {tool: record}
    models, threads, info = [], set(), {}
    for path in paths:
        for r in load(path):
            model, tool = identify(path, r)
            if model not in models:
                models.append(model)
            if "build_commit" in r:
                info.setdefault("llama.cpp build", r["build_commit"])
                info.setdefault("cpu", r.get("cpu_info"))
            if r.get("test") == "request":
                request.setdefault(model, {})[tool] = r
            elif r.get("test") == "perplexity":
                ppl.setdefault(model, {})[tool] = r
            else:
                speed.setdefault((model, test_name(r)), {})[tool] = r
            if "n_threads" in r:
                threads.add(int(r["n_threads"]))

    print("| model | test | llama.cpp | ssa | ssa / llama.cpp | goal | met |")
    print("|---|---|---|---|---|---|---|")
    for model in models:
        label = model
        tests = sorted((t for (m, t) in speed if m == model),
                       key=lambda t: (t.startswith("tg"), int("".join(c for c in t[2:] if c.isdigit()) or 0)))
        for t in tests:
            row = speed[(model, t)]
            ll, ss = row.get("llama.cpp"), row.get("ssa")
            cell = lambda r: "—" if r is None else f"{r['avg_ts']:.1f} ± {r.get('stddev_ts', 0):.1f}"
            q = ratio(ss and ss["avg_ts"], ll and ll["avg_ts"])
            goal = 2.0 if t == "pp2048" else 1.0 if t.startswith("tg") else None
            met = "" if q is None or goal is None else ("yes" if q >= goal else "no")
            print(f"| {label} | {t} (tok/s) | {cell(ll)} | {cell(ss)} | {fmt(q, 2)}{'x' if q else ''} "
                  f"| {'>= %.1fx' % goal if goal else ''} | {met} |")
            label = ""
        if model in request:
            ll, ss = request[model].get("llama.cpp"), request[model].get("ssa")
            any_r = ll or ss
            shape = f"request {any_r['n_prompt']}+{any_r['n_gen']}"
            cell = lambda r: "—" if r is None else (
                f"{r['avg_wall_s']:.2f} ± {r['stddev_wall_s']:.2f}" if r["reps"] > 1 else f"{r['avg_wall_s']:.2f}")
            q = ratio(ss and ss["avg_wall_s"], ll and ll["avg_wall_s"])
            met = "" if q is None else ("yes" if q <= 0.5 else "no")
            print(f"| {label} | {shape}, wall (s) | {cell(ll)} | {cell(ss)} | {fmt(q, 2)}{'x' if q else ''} "
                  f"| <= 0.5x | {met} |")
            label = ""
            kv = kv_bytes(any_r["model_filename"], any_r["n_prompt"] + any_r["n_gen"])
            limit = None if kv is None else any_r["model_size"] + kv + 64 * MIB
            mb = lambda r: None if r is None else r["peak_rss_bytes"] / 1e6
            q = ratio(mb(ss), mb(ll))
            met = "" if ss is None or limit is None else ("yes" if ss["peak_rss_bytes"] <= limit else "no")
            goal = "file + KV + 64 MiB" + ("" if limit is None else f" = {limit / 1e6:.0f}")
            print(f"|  | {shape}, peak RSS (MB) | {fmt(mb(ll), 0)} | {fmt(mb(ss), 0)} | "
                  f"{fmt(q, 2)}{'x' if q else ''} | {goal} | {met} |")
        if model in ppl:
            ll, ss = ppl[model].get("llama.cpp"), ppl[model].get("ssa")
            any_r = ll or ss
            cell = lambda r: "—" if r is None else (
                f"{r['ppl']:.4f}" + (f" ± {r['ppl_stderr']:.4f}" if r.get("ppl_stderr") else ""))
            q = ratio(ss and ss["ppl"], ll and ll["ppl"])
            diff = "—" if q is None else f"{(q - 1) * 100:+.3f}%"
            print(f"| {label} | perplexity, ctx {any_r['n_ctx']} | {cell(ll)} | {cell(ss)} | {diff} "
                  f"| equal within noise | |")
    base = next((m for m in models if m in ppl and ("f16" in m.lower() or "f32" in m.lower())), None)
    if base:
        notes = []
        for model in models:
            if model == base or model not in ppl:
                continue
            for tool, r in sorted(ppl[model].items()):
                ref = ppl[base].get(tool)
                if ref:
                    notes.append(f"{model} {tool} {(r['ppl'] / ref['ppl'] - 1) * 100:+.3f}%")
        if notes:
            print()
            print(f"perplexity vs {base}, same tool (goal for Q8_0: within +0.05%): " + "; ".join(notes))
    print()
    print(f"threads: {', '.join(map(str, sorted(threads))) or '?'}; "
          + "; ".join(f"{k}: {v}" for k, v in info.items() if v))


if __name__ == "__main__":
    # a file that is missing or not what it should be: one line, not a traceback
    try:
        main(sys.argv[1:])
    except (OSError, ValueError, KeyError, StopIteration) as e:
        sys.exit(f"compare.py: {type(e).__name__}: {e}")
