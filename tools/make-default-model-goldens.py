#!/usr/bin/env python3
# Makes Tests/SSAKitTests/Fixtures/default-model-greedy.json: greedy continuations of the default model
# (models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf) computed by transformers from the GGUF, every weight
# dequantized to fp32 by the `gguf` package, eager attention, fp32, model.eval(), torch.no_grad().
# lm_head is the file's own untied output.weight (Q8_0), checked bit for bit against gguf.dequantize.
# Prompts: short plain text, a chat-template prompt, a code prompt, a math prompt, and the SSA
# aggregation prompt of the first GSM8K dev record whose "ssa" rendering exceeds 1,000 tokens, in the
# "ssa", "answer" and "chat" formats of /work/shared/ssa-interface.md. For each: the prompt text and ids,
# 64 greedy tokens (no stop at end-of-text: exactly 64 are generated), the top-1/top-2 margin at every
# step, the top-10 logits of the first 4 generated positions; for the first prompt also the top-100 of
# the full last-position logit vector. Format: Tests/SSAKitTests/Fixtures/README.md.
#
# Run (from the repo root):  nice -n 10 python3 tools/make-default-model-goldens.py
#     [--gguf models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf] [--data /work/shared/data/gsm8k-samples-dev.jsonl]
# Deterministic (greedy, fixed inputs). Takes several minutes on 2 cores; ~6 GB RAM.

import argparse
import hashlib
import importlib.metadata
import json
import os
import sys
import time
import unicodedata

import gguf
import numpy as np
try:
    import torch
except ImportError:  # tools/setup installs no torch: these generators need it (DEVELOPERS.md)
    import sys
    sys.exit("%s: needs torch: pip install torch transformers tokenizers gguf safetensors accelerate" % __file__.rsplit("/", 1)[-1])
from transformers import AutoModelForCausalLM, AutoTokenizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qwen_fixture_common import encode_plain, render_prompt, tokenize_segments, write_json  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_GGUF = os.path.join(REPO, "models", "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")
OUT = os.path.join(REPO, "Tests", "SSAKitTests", "Fixtures", "default-model-greedy.json")
NEW_TOKENS = 64
TOPK_POSITIONS = 4

PLAIN_PROMPTS = [
    ("plain-short", "The capital of France is"),
    ("code", "def is_prime(n: int) -> bool:\n"),
    ("math", "Question: A train travels 60 km in 45 minutes. What is its average speed in km/h?\nAnswer:"),
]
CHAT_MESSAGES = [{"role": "user", "content": "Write a haiku about the sea."}]


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def f32(x):
    return float(str(np.float32(x)))


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@torch.no_grad()
def run(model, ids):
    t0 = time.time()
    out = model(torch.tensor([ids]), use_cache=True)
    t_prefill = time.time() - t0
    cache, logits = out.cache, out.logits[0, -1].float()
    first_logits = logits.clone()
    gen, margins, top10 = [], [], []
    t0 = time.time()
    for step in range(NEW_TOKENS):
        top = torch.topk(logits, 10)
        nxt = int(top.indices[0])
        gen.append(nxt)
        margins.append(f32(top.values[0] - top.values[1]))
        if step < TOPK_POSITIONS:
            top10.append({"ids": [int(i) for i in top.indices], "logits": [f32(v) for v in top.values]})
        if step + 1 == NEW_TOKENS:
            break
        out = model(torch.tensor([[nxt]]), cache=cache, use_cache=True)
        cache, logits = out.cache, out.logits[0, -1].float()
    t_decode = time.time() - t0
    # Same tokens by one uncached forward over prompt + continuation (catches near-ties).
    full = model(torch.tensor([ids + gen[:-1]])).logits[0]
    recomputed = [int(full[len(ids) - 1 + j].argmax()) for j in range(NEW_TOKENS)]
    disagree = [j for j in range(NEW_TOKENS) if recomputed[j] != gen[j]]
    return {
        "gen": gen, "margins": margins, "top10": top10, "first_logits": first_logits,
        "prefill_s": t_prefill, "decode_s": t_decode, "uncached_disagree": disagree,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gguf", default=DEFAULT_GGUF)
    ap.add_argument("--data", default=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Tests", "SSAKitTests", "Fixtures", "aggregation", "gsm8k-samples-dev.jsonl"))
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args()
    torch.manual_seed(0)
    t_start = time.time()
    path = os.path.realpath(args.gguf)
    gdir, gname = os.path.split(path)

    tok = AutoTokenizer.from_pretrained(gdir, gguf_file=gname)
    t0 = time.time()
    model = AutoModelForCausalLM.from_pretrained(gdir, gguf_file=gname, dtype=torch.float32,
                                                 attn_implementation="eager").eval()
    t_load = time.time() - t0
    log(f"model loaded in {t_load:.1f} s, tie_word_embeddings={model.config.tie_word_embeddings}")

    # The file has output.weight (Q8_0) and token_embd.weight (Q5_0): the head must be output.weight.
    reader = gguf.GGUFReader(path)
    tensors = {t.name: t for t in reader.tensors}
    checks = {}
    for name, param in (("output.weight", model.lm_head.weight), ("token_embd.weight", model.model.embed_tokens.weight)):
        t = tensors[name]
        ref = torch.from_numpy(np.ascontiguousarray(gguf.dequantize(t.data, t.tensor_type)))
        checks[name] = {"type": t.tensor_type.name, "equal_bit_for_bit": bool(torch.equal(ref, param.detach()))}
        if not checks[name]["equal_bit_for_bit"]:
            raise RuntimeError(f"transformers' parameter for {name} is not gguf.dequantize({name})")
    if model.config.tie_word_embeddings or model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr():
        raise RuntimeError("lm_head is tied to the embedding")
    with torch.no_grad():
        for p in model.parameters():  # fresh aligned copies: same bits on every run (see README)
            p.data = p.data.clone()
    log(f"lm_head == output.weight: {checks}")

    prompts = []
    for name, text in PLAIN_PROMPTS[:1]:
        prompts.append({"name": name, "format": "plain", "text": text, "parse_special": False,
                        "input_ids": encode_plain(tok, text)})
    chat = tok.apply_chat_template(CHAT_MESSAGES, tokenize=False, add_generation_prompt=True)
    prompts.append({"name": "chat", "format": "chat-template", "text": chat, "parse_special": True,
                    "messages": CHAT_MESSAGES, "input_ids": tok(chat, add_special_tokens=False)["input_ids"]})
    for name, text in PLAIN_PROMPTS[1:]:
        prompts.append({"name": name, "format": "plain", "text": text, "parse_special": False,
                        "input_ids": encode_plain(tok, text)})
    with open(args.data, encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    for index, rec in enumerate(records):
        if len(tokenize_segments(tok, render_prompt("ssa", rec["question"], rec["samples"]))) > 1000:
            break
    else:
        raise RuntimeError("no record renders to over 1,000 tokens")
    for fmt in ("ssa", "answer", "chat"):
        segs = render_prompt(fmt, rec["question"], rec["samples"])
        prompts.append({
            "name": f"ssa-{fmt}", "format": f"ssa-interface:{fmt}", "text": "".join(s for s, _ in segs),
            "parse_special": fmt == "chat", "record": {"file": os.path.basename(args.data), "line": index + 1, "id": rec["id"]},
            "input_ids": tokenize_segments(tok, segs)})
    for p in prompts:
        if unicodedata.normalize("NFC", p["text"]) != p["text"]:
            raise RuntimeError(f"{p['name']}: text is not NFC; the GGUF tokenizer would not normalize it")
    log("prompts: " + ", ".join(f"{p['name']} ({len(p['input_ids'])} tokens)" for p in prompts))

    full_top100 = None
    for i, p in enumerate(prompts):
        r = run(model, p["input_ids"])
        p["generated_ids"] = r["gen"]
        p["generated_text"] = tok.decode(r["gen"], skip_special_tokens=False)
        eos = [j for j, t in enumerate(r["gen"]) if t in (151643, 151645)]
        p["first_end_of_text_at"] = eos[0] if eos else None
        p["step_margins"] = r["margins"]
        p["min_margin"] = min(r["margins"])
        p["top10_first_positions"] = r["top10"]
        p["uncached_argmax_disagrees_at"] = r["uncached_disagree"]
        p["seconds"] = {"prefill": round(r["prefill_s"], 2), "decode_64": round(r["decode_s"], 2)}
        if i == 0:
            top = torch.topk(r["first_logits"], 100)
            full_top100 = {"prompt": p["name"], "position": "last prompt position (predicts generated_ids[0])",
                           "ids": [int(x) for x in top.indices], "logits": [f32(v) for v in top.values]}
        log(f"{p['name']}: {len(p['input_ids'])} prompt tokens, prefill {r['prefill_s']:.1f} s, 64 tokens "
            f"{r['decode_s']:.1f} s, min margin {p['min_margin']:.4f}, uncached disagreements {r['uncached_disagree']}; "
            f"{p['generated_text'][:80]!r}")

    out = {
        "model": {"file": gname, "bytes": os.path.getsize(path), "sha256": sha256(path)},
        "generated_by": "tools/make-default-model-goldens.py",
        "reference": "transformers AutoModelForCausalLM.from_pretrained(dir, gguf_file=..., dtype=float32, "
                     "attn_implementation='eager'); weights dequantized by gguf.dequantize; model.eval(), "
                     "torch.no_grad(); prompt in one forward, then one token at a time with the KV cache; greedy "
                     "(argmax), no repetition penalty, no stop tokens: exactly 64 new tokens",
        "tokenizer": "transformers' tokenizer built from the GGUF metadata (no NFC normalizer; every prompt here is "
                     "NFC already); add_special_tokens=False; special tokens parsed only in the chat-template parts",
        "lm_head_check": checks,
        "versions": {"transformers": importlib.metadata.version("transformers"), "torch": torch.__version__,
                     "gguf": importlib.metadata.version("gguf"), "tokenizers": importlib.metadata.version("tokenizers")},
        "new_tokens": NEW_TOKENS,
        "seconds": {"load": round(t_load, 1), "total": round(time.time() - t_start, 1), "threads": torch.get_num_threads()},
        "prompts": prompts,
        "full_logits_top100": full_top100,
    }
    write_json(args.out, out, indent=1)
    log(f"wrote {args.out} in {time.time() - t_start:.1f} s")


if __name__ == "__main__":
    main()
