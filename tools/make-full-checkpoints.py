#!/usr/bin/env python3
# Makes full-size HF checkpoints of the default model (Qwen2.5-Coder-0.5B-Instruct) for the converter
# and the benchmarks, OUTSIDE the repo (they are GBs):
#   OUT/qwen-coder-0.5b-f32/           fp32, transformers 4.x config.json (top-level rope_theta), 1 file
#   OUT/qwen-coder-0.5b-bf16/          bf16, 4.x config, single model.safetensors
#   OUT/qwen-coder-0.5b-bf16-v5/       bf16, config.json as transformers 5.x writes it (rope_parameters)
#   OUT/qwen-coder-0.5b-bf16-sharded/  bf16, 4.x config, model-0000N-of-0000M.safetensors + index json
# Weights: transformers loads the GGUF (dequantized by the `gguf` package, fp32); the untied
# output.weight (Q8_0) becomes lm_head.weight. Each folder gets tokenizer.json, vocab.json, merges.txt
# and tokenizer_config.json (chat template inside) rebuilt from the GGUF's tokenizer metadata in the
# layout of Qwen's hub repos (151,643 BPE tokens + 22 added tokens; llama.cpp's [PADn] filler rows of
# the GGUF vocabulary are not tokens of the HF tokenizer, as on the hub).
# Checks: lm_head == dequantized output.weight, embed == dequantized token_embd; every saved folder
# reloads with transformers and gives logits identical (f32) / equal to the bf16-rounded model (bf16)
# on a short prompt; the rebuilt tokenizer encodes like the one transformers builds from the GGUF.
#
# Run:  nice -n 10 python3 tools/make-full-checkpoints.py /work/ckpt [--gguf models/...gguf] [--only f32,bf16]
# Deterministic: no randomness involved. Takes a few minutes and ~8 GB RAM on 2 cores.

import argparse
import json
import os
import shutil
import sys
import time

import gguf
import numpy as np
try:
    import torch
except ImportError:  # tools/setup installs no torch: these generators need it (DEVELOPERS.md)
    import sys
    sys.exit("%s: needs torch: pip install torch transformers tokenizers gguf safetensors accelerate" % __file__.rsplit("/", 1)[-1])
from transformers import AutoModelForCausalLM, AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qwen_fixture_common import config_v4, qwen2_tokenizer, write_json, write_tokenizer_folder  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_GGUF = os.path.join(REPO, "models", "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")
VARIANTS = ["f32", "bf16", "bf16-v5", "bf16-sharded"]
CHECK_TEXT = "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n"
TOKENIZER_CHECK_TEXTS = [
    CHECK_TEXT,
    "Janet’s ducks lay 16 eggs per day. She eats three for breakfast... 12,345.67$ <think>x</think>",
    "  leading spaces\n\n\ttabs and ünïcödé, 中文字符, emoji 🤖, numbers 1234567890\r\n",
    "<|im_start|>user\nhi<|im_end|>\n<tool_call>",
]


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def field(reader, key):
    f = reader.fields[key]
    return f.contents()


def tokenizer_from_gguf(reader):
    tokens = field(reader, "tokenizer.ggml.tokens")
    types = field(reader, "tokenizer.ggml.token_type")
    merges = [tuple(m.split(" ")) for m in field(reader, "tokenizer.ggml.merges")]
    for m in merges:
        if len(m) != 2:
            raise RuntimeError(f"bad merge {m}")
    normal = [i for i, t in enumerate(types) if t == gguf.TokenType.NORMAL]
    n = len(normal)
    if normal != list(range(n)):
        raise RuntimeError("normal tokens are not ids 0..n-1")
    vocab = {tokens[i]: i for i in range(n)}
    added = []
    for i in range(n, len(tokens)):
        if types[i] == gguf.TokenType.CONTROL:
            added.append((i, tokens[i], True))
        elif types[i] == gguf.TokenType.USER_DEFINED:
            added.append((i, tokens[i], False))
        elif types[i] == gguf.TokenType.UNUSED:
            continue  # llama.cpp's [PADn] filler up to the embedding's row count
        else:
            raise RuntimeError(f"unexpected token type {types[i]} for id {i}")
    if [a[0] for a in added] != list(range(n, n + len(added))):
        raise RuntimeError("added tokens are not contiguous after the BPE vocabulary")
    return {
        "vocab": vocab,
        "merges": merges,
        "added": added,
        "chat_template": field(reader, "tokenizer.chat_template"),
        "eos": tokens[int(field(reader, "tokenizer.ggml.eos_token_id"))],
        "pad": tokens[int(field(reader, "tokenizer.ggml.padding_token_id"))],
        "context_length": int(field(reader, "qwen2.context_length")),
    }


def clean_config(cfg):
    """A fresh Qwen2Config with the GGUF model's shapes and no GGUF quantization_config."""
    return Qwen2Config(
        vocab_size=cfg.vocab_size,
        hidden_size=cfg.hidden_size,
        intermediate_size=cfg.intermediate_size,
        num_hidden_layers=cfg.num_hidden_layers,
        num_attention_heads=cfg.num_attention_heads,
        num_key_value_heads=cfg.num_key_value_heads,
        hidden_act="silu",
        max_position_embeddings=cfg.max_position_embeddings,
        initializer_range=0.02,
        rms_norm_eps=1e-6,  # the GGUF's f32 1e-6 reads back as 9.99999997e-07; same f32 value
        use_cache=True,
        tie_word_embeddings=False,
        rope_parameters={"rope_type": "default", "rope_theta": float(cfg.rope_parameters["rope_theta"])},
        use_sliding_window=False,
        max_window_layers=cfg.num_hidden_layers,
        bos_token_id=cfg.bos_token_id,
        eos_token_id=cfg.eos_token_id,
        pad_token_id=cfg.pad_token_id,
    )


def save_variant(out_dir, cfg, state, dtype, style, max_shard_size, tk):
    tmp = out_dir + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    with torch.device("meta"):
        model = Qwen2ForCausalLM(cfg)
    model.load_state_dict({k: v.to(dtype) for k, v in state.items()}, assign=True, strict=True)
    model.config.dtype = dtype
    model.save_pretrained(tmp, max_shard_size=max_shard_size)
    del model
    if style == "v4":
        write_json(os.path.join(tmp, "config.json"), config_v4(cfg, str(dtype).replace("torch.", "")))
    tok = qwen2_tokenizer(tk["vocab"], tk["merges"], tk["added"])
    write_tokenizer_folder(tmp, tok, tk["vocab"], tk["merges"], tk["added"], tk["chat_template"],
                           eos_token=tk["eos"], pad_token=tk["pad"], model_max_length=tk["context_length"],
                           jinja_file=(style == "v5"))
    shutil.rmtree(out_dir, ignore_errors=True)
    os.rename(tmp, out_dir)


@torch.no_grad()
def last_logits(model, ids):
    return model(torch.tensor([ids])).logits[0].float()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out", help="output root, e.g. /work/ckpt")
    ap.add_argument("--gguf", default=DEFAULT_GGUF)
    ap.add_argument("--only", default=",".join(VARIANTS), help="comma list of " + ",".join(VARIANTS))
    args = ap.parse_args()
    only = args.only.split(",")
    for v in only:
        if v not in VARIANTS:
            ap.error(f"unknown variant {v}")
    torch.manual_seed(0)
    os.makedirs(args.out, exist_ok=True)
    gdir, gname = os.path.split(os.path.realpath(args.gguf))

    t0 = time.time()
    reader = gguf.GGUFReader(args.gguf)
    tk = tokenizer_from_gguf(reader)
    log(f"tokenizer from GGUF metadata: {len(tk['vocab'])} BPE tokens, {len(tk['merges'])} merges, "
        f"{len(tk['added'])} added tokens, eos {tk['eos']!r}, pad {tk['pad']!r}")
    hf_tok = AutoTokenizer.from_pretrained(gdir, gguf_file=gname)
    mine = qwen2_tokenizer(tk["vocab"], tk["merges"], tk["added"])
    for text in TOKENIZER_CHECK_TEXTS:
        a = hf_tok(text, add_special_tokens=False)["input_ids"]
        b = mine.encode(text, add_special_tokens=False).ids
        if a != b:
            raise RuntimeError(f"rebuilt tokenizer differs from transformers' GGUF tokenizer on {text!r}")
    log("rebuilt tokenizer encodes like transformers' GGUF tokenizer on the check texts")

    model = AutoModelForCausalLM.from_pretrained(gdir, gguf_file=gname, dtype=torch.float32,
                                                 attn_implementation="eager").eval()
    log(f"GGUF model loaded in {time.time() - t0:.1f} s; tie_word_embeddings={model.config.tie_word_embeddings}")
    tensors = {t.name: t for t in reader.tensors}
    for gname_t, param in [("output.weight", model.lm_head.weight), ("token_embd.weight", model.model.embed_tokens.weight)]:
        t = tensors[gname_t]
        ref = torch.from_numpy(np.ascontiguousarray(gguf.dequantize(t.data, t.tensor_type)))
        if not torch.equal(ref, param.detach()):
            raise RuntimeError(f"{gname_t} ({t.tensor_type.name}) is not what transformers loaded")
        log(f"{gname_t} ({t.tensor_type.name}) == transformers' parameter, bit for bit")
    if model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr():
        raise RuntimeError("lm_head is tied to the embedding")

    ids = hf_tok(CHECK_TEXT, add_special_tokens=False)["input_ids"]
    ref_logits = last_logits(model, ids)
    cfg = clean_config(model.config)
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    del model

    plan = {
        "f32": (torch.float32, "v4", "50GB"),
        "bf16": (torch.bfloat16, "v4", "50GB"),
        "bf16-v5": (torch.bfloat16, "v5", "50GB"),
        "bf16-sharded": (torch.bfloat16, "v4", "700MB"),
    }
    bf16_logits = None
    for v in VARIANTS:
        if v not in only:
            continue
        dtype, style, shard = plan[v]
        out_dir = os.path.join(args.out, f"qwen-coder-0.5b-{v}")
        t1 = time.time()
        save_variant(out_dir, cfg, state, dtype, style, shard, tk)
        log(f"wrote {out_dir} in {time.time() - t1:.1f} s: {sorted(os.listdir(out_dir))}")
        m = AutoModelForCausalLM.from_pretrained(out_dir, dtype=torch.float32, attn_implementation="eager").eval()
        if m.config.tie_word_embeddings:
            raise RuntimeError(f"{out_dir} reloads tied")
        if float(m.config.rope_parameters["rope_theta"]) != 1e6:
            raise RuntimeError(f"{out_dir}: rope_theta not read")
        got = last_logits(m, ids)
        for k, w in m.state_dict().items():
            want = state[k].to(dtype).float()
            if not torch.equal(w, want):
                raise RuntimeError(f"{out_dir}: tensor {k} differs from the GGUF model's (as {dtype})")
        if dtype == torch.float32:
            if not torch.equal(got, ref_logits):
                raise RuntimeError(f"{out_dir}: logits differ from the GGUF-loaded model's")
            log(f"{v}: all tensors and the logits of a {len(ids)}-token prompt identical to the GGUF model")
        else:
            if bf16_logits is None:
                bf16_logits = got
            elif not torch.equal(got, bf16_logits):
                raise RuntimeError(f"{out_dir}: logits differ from the other bf16 checkpoint")
            diff = (got - ref_logits).abs().max().item()
            same_top = int(got[-1].argmax()) == int(ref_logits[-1].argmax())
            log(f"{v}: all tensors == bf16(GGUF model); logits max |diff| vs fp32 {diff:.4f}, "
                f"same argmax at last position: {same_top}")
        del m
    log(f"done in {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
