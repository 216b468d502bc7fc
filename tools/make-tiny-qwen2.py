#!/usr/bin/env python3
# Makes the tiny random Qwen2 fixtures in Tests/SSAKitTests/Fixtures/tiny-qwen2/ (format: see the
# README.md there):
#   tied/, untied/           HF folders (transformers 4.x config.json, fp32 model.safetensors, tokenizer
#                            files) + tiny-qwen2-{tied,untied}-f32.gguf as llama.cpp's convert_hf_to_gguf.py
#                            would write it (tensor names, metadata keys, tokenizer metadata via gguf.SpecialVocab)
#   tied-v5/                 the tied model with config.json in transformers 5.x form (rope_parameters)
#   untied-sharded/          the untied model in 2 safetensors shards + model.safetensors.index.json
#   tied-bf16/               the tied model's weights rounded to bf16 (4.x config, torch_dtype bfloat16)
#   goldens-{tied,untied,tied-bf16}.json   fp32 logits and greedy continuations from transformers
# Model: 2 layers, hidden 64, 4 query / 2 KV heads (head_dim 16), MLP 128, RMSNorm eps 1e-6, RoPE theta
# 1e6, 512 embedding rows; tokenizer: byte-level BPE (Qwen2 split regex) trained with HF `tokenizers` on
# the GSM8K dev texts to 493 tokens, + <|endoftext|> <|im_start|> <|im_end|> (493..495); rows 496..511
# are unused padding rows, written to GGUF as [PADn] like llama.cpp does for Qwen's padded vocabulary.
# All weights random (fixed seed), including q/k/v biases and every RMSNorm weight.
#
# Run (from the repo root):  python3 tools/make-tiny-qwen2.py [--data /work/shared/data/gsm8k-samples-dev.jsonl]
#                            [--llama-cpp /path/to/llama.cpp]   (also diff our GGUFs against its converter)
# Deterministic (fixed seeds, no threads-dependent ops in what is stored); takes well under a minute.

import argparse
import importlib.metadata
import json
import os
import shutil
import sys

import gguf
import numpy as np
try:
    import torch
except ImportError:  # tools/setup installs no torch: these generators need it (DEVELOPERS.md)
    import sys
    sys.exit("%s: needs torch: pip install torch transformers tokenizers gguf safetensors accelerate" % __file__.rsplit("/", 1)[-1])
from safetensors import safe_open
from tokenizers import Regex, Tokenizer, models, pre_tokenizers, trainers
from transformers import AutoModelForCausalLM, AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qwen_fixture_common import (  # noqa: E402
    QWEN2_PRETOKENIZE_REGEX, config_v4, qwen2_tokenizer, write_json, write_tokenizer_folder)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "Tests", "SSAKitTests", "Fixtures", "tiny-qwen2")

BPE_SIZE = 493
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
VOCAB_ROWS = 512
MAX_POS = 512
GREEDY_NEW = 24
SEED = 20250609

CHAT_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

MIN_MARGIN = 0.01
TEXT_PROMPTS = [  # candidates, first qualifying one used (see make_prompts)
    "Janet’s ducks lay 16 eggs per day.  She eats 3 for breakfast!\n\nHow many are left? "
    "Café: 12,345.67 dollars — they're OK, isn't it?\tDone.\n",
    "Tom has 12 apples and gives 5 away.  How many remain?\n\nAnswer: 12 - 5 = 7 apples — naïve? No!\n",
    "The train leaves at 3:45 p.m. and travels 120 km in 1.5 hours; what's its speed?\n  Résumé: 80 km/h.\n",
    "Sam’s 3 cats eat 2 cans each per day.\r\nOver 7 days that's 42 cans!  Don't forget: ½ can spare.\n",
]
CHAT_USER_TEXTS = [
    "What is 7 * 8? Answer with <answer></answer> tags.",
    "A shop sells pens at $3 each. How much do 12 pens cost?",
    "Compute 15 + 27, then explain in one sentence.",
    "If x = 4, what is 3x + 2? Reply briefly.",
]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- tokenizer

def train_tokenizer(data_path):
    texts = []
    with open(data_path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            texts.append(r["question"])
            texts.extend(r["samples"])
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_PRETOKENIZE_REGEX), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    trainer = trainers.BpeTrainer(vocab_size=BPE_SIZE, min_frequency=2, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), special_tokens=[])
    tok.train_from_iterator(texts, trainer=trainer)
    model = json.loads(tok.to_str())["model"]
    vocab = model["vocab"]
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    if len(vocab) != BPE_SIZE or sorted(vocab.values()) != list(range(BPE_SIZE)):
        raise RuntimeError(f"trained vocabulary has {len(vocab)} tokens, wanted ids 0..{BPE_SIZE - 1}")
    added = [(BPE_SIZE + i, s, True) for i, s in enumerate(SPECIALS)]
    return vocab, merges, added


# ---------------------------------------------------------------- model

def make_config(tied):
    return Qwen2Config(
        vocab_size=VOCAB_ROWS, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, hidden_act="silu", max_position_embeddings=MAX_POS,
        initializer_range=0.02, rms_norm_eps=1e-6, use_cache=True, tie_word_embeddings=tied,
        rope_parameters={"rope_type": "default", "rope_theta": 1e6}, use_sliding_window=False,
        max_window_layers=2, bos_token_id=BPE_SIZE, eos_token_id=BPE_SIZE + 2, pad_token_id=BPE_SIZE,
    )


def random_state(cfg_untied):
    """Random weights for every parameter, scaled so attention is far from uniform (so RoPE and masking
    errors show), every bias and norm weight non-trivial. Keys sorted: same draws on every run."""
    g = torch.Generator().manual_seed(SEED)
    with torch.device("meta"):
        shapes = {k: v.shape for k, v in Qwen2ForCausalLM(cfg_untied).state_dict().items()}
    state = {}
    for k in sorted(shapes):
        shape = shapes[k]
        if k.endswith("norm.weight"):
            t = 0.5 + torch.rand(shape, generator=g)                      # U(0.5, 1.5)
        elif k.endswith(".bias"):
            t = 0.5 * torch.randn(shape, generator=g)
        elif k == "model.embed_tokens.weight":
            # Small next to the layers' outputs, so a tied head does not just echo the last token.
            t = 0.3 * torch.randn(shape, generator=g)
        elif k == "lm_head.weight":
            t = 0.5 * torch.randn(shape, generator=g)
        elif k.endswith(("q_proj.weight", "k_proj.weight")):
            t = 0.25 * torch.randn(shape, generator=g)
        else:
            t = torch.randn(shape, generator=g) / (shape[1] ** 0.5)
        state[k] = t.float().contiguous()
    return state


def build_model(cfg, state, dtype=torch.float32):
    model = Qwen2ForCausalLM(cfg)  # default init, then every parameter overwritten below
    wanted = set(model.state_dict().keys())
    sd = {k: v.to(dtype) for k, v in state.items() if k in wanted}
    if cfg.tie_word_embeddings:
        sd.pop("lm_head.weight", None)
    model.set_attn_implementation("eager")
    model = model.to(dtype)
    res = model.load_state_dict(sd, strict=False)
    if res.unexpected_keys or [k for k in res.missing_keys if not (cfg.tie_word_embeddings and k == "lm_head.weight")]:
        raise RuntimeError(f"state dict mismatch: {res}")
    if cfg.tie_word_embeddings and model.lm_head.weight.data_ptr() != model.model.embed_tokens.weight.data_ptr():
        raise RuntimeError("lm_head is not tied")
    model.config.dtype = dtype
    return model.eval()


def save_hf(out_dir, model, cfg, tk, style="v4", max_shard_size="50GB"):
    shutil.rmtree(out_dir, ignore_errors=True)
    model.save_pretrained(out_dir, max_shard_size=max_shard_size)
    dtype = str(next(model.parameters()).dtype).replace("torch.", "")
    if style == "v4":
        write_json(os.path.join(out_dir, "config.json"), config_v4(cfg, dtype))
    os.remove(os.path.join(out_dir, "generation_config.json"))
    write_tokenizer_folder(out_dir, tk["tok"], tk["vocab"], tk["merges"], tk["added"], CHAT_TEMPLATE,
                           eos_token="<|im_end|>", pad_token="<|endoftext|>", model_max_length=MAX_POS,
                           jinja_file=(style == "v5"))


# ---------------------------------------------------------------- GGUF, as convert_hf_to_gguf.py writes Qwen2

def write_gguf(path, hf_dir, state, cfg, name):
    n_layers = cfg.num_hidden_layers
    hf_tok = AutoTokenizer.from_pretrained(hf_dir)
    reverse = {i: t for t, i in hf_tok.get_vocab().items()}
    added = hf_tok.get_added_vocab()
    tokens, types = [], []
    for i in range(cfg.vocab_size):  # llama.cpp's get_vocab_base()
        if i not in reverse:
            tokens.append(f"[PAD{i}]")
            types.append(gguf.TokenType.UNUSED)
        elif reverse[i] in added:
            tokens.append(reverse[i])
            special = hf_tok.added_tokens_decoder[i].special
            types.append(gguf.TokenType.CONTROL if special else gguf.TokenType.USER_DEFINED)
        else:
            tokens.append(reverse[i])
            types.append(gguf.TokenType.NORMAL)

    w = gguf.GGUFWriter(path, gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.QWEN2])
    # Keys in the order llama.cpp's convert_hf_to_gguf.py (2025) writes them for Qwen2 with --outtype f32.
    keys = sorted(k for k in state if not (cfg.tie_word_embeddings and k == "lm_head.weight"))
    w.add_type(gguf.GGUFType.MODEL)
    w.add_name(name)
    w.add_size_label(gguf.size_label(sum(state[k].numel() for k in keys), 0, 0, 0))
    w.add_block_count(n_layers)
    w.add_context_length(cfg.max_position_embeddings)
    w.add_embedding_length(cfg.hidden_size)
    w.add_feed_forward_length(cfg.intermediate_size)
    w.add_head_count(cfg.num_attention_heads)
    w.add_head_count_kv(cfg.num_key_value_heads)
    w.add_rope_freq_base(float(cfg.rope_parameters["rope_theta"]))
    w.add_layer_norm_rms_eps(cfg.rms_norm_eps)
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("qwen2")
    w.add_token_list(tokens)
    w.add_token_types(types)
    sv = gguf.SpecialVocab(hf_dir, load_merges=True, n_vocab=len(tokens))
    template, sv.chat_template = sv.chat_template, None
    sv.add_to_gguf(w, quiet=True)
    w.add_add_bos_token(False)  # what llama.cpp's converter writes for Qwen2's ByteLevel post-processor
    w.add_add_eos_token(False)
    w.add_chat_template(template)

    tmap = gguf.get_tensor_name_map(gguf.MODEL_ARCH.QWEN2, n_layers)
    for k in keys:  # safetensors order (sorted), as convert_hf_to_gguf.py reads them
        new = tmap.get_name(k, try_suffixes=(".weight", ".bias"))
        if new is None:
            raise RuntimeError(f"no GGUF name for {k}")
        # numpy (rows, cols) row-major: GGUF ne0 = cols, ne1 = rows. No Q/K permutation for Qwen2.
        w.add_tensor(new, state[k].numpy().astype(np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


# ---------------------------------------------------------------- goldens

def f32_list(t):
    # Shortest decimal that round-trips the float32 value.
    return [float(str(np.float32(v))) for v in t.tolist()]


@torch.no_grad()
def greedy(model, ids, n):
    out = model(torch.tensor([ids]), use_cache=True)
    cache, logits = out.cache, out.logits[0, -1]
    seq, steps = list(ids), []
    for _ in range(n):
        top = torch.topk(logits, 2)
        nxt = int(top.indices[0])
        steps.append({"id": nxt, "logit": float(str(np.float32(top.values[0]))),
                      "margin": float(str(np.float32(top.values[0] - top.values[1])))})
        seq.append(nxt)
        out = model(torch.tensor([[nxt]]), cache=cache, use_cache=True)
        cache, logits = out.cache, out.logits[0, -1]
    # The same tokens by full recomputation without a cache (guards against near-ties).
    full = model(torch.tensor([seq])).logits[0]
    for j in range(n):
        if int(full[len(ids) - 1 + j].argmax()) != seq[len(ids) + j]:
            raise RuntimeError("cached and uncached greedy differ: near-tie, choose another prompt or seed")
    return steps


def positions_for(n):
    if n <= 64:
        return list(range(n))
    return sorted(set(list(range(4)) + list(range(15, n, 16)) + list(range(n - 4, n))))


@torch.no_grad()
def goldens(model, model64, prompts, all_positions=True):
    recs = []
    for p in prompts:
        ids = p["input_ids"]
        logits = model(torch.tensor([ids])).logits[0]
        ref64 = model64(torch.tensor([ids])).logits[0]
        pos = positions_for(len(ids)) if all_positions else [len(ids) - 1]
        steps = greedy(model, ids, GREEDY_NEW)
        rec = dict(p)
        rec["logits_positions"] = pos
        rec["logits"] = [f32_list(logits[i]) for i in pos]
        rec["max_abs_diff_fp32_vs_fp64"] = float(f"{(logits.double() - ref64).abs().max().item():.3e}")
        rec["max_abs_logit"] = float(f"{logits.abs().max().item():.4f}")
        rec["greedy_ids"] = [s["id"] for s in steps]
        rec["greedy_steps"] = steps
        rec["greedy_min_margin"] = min(s["margin"] for s in steps)
        recs.append(rec)
    return recs


def min_margin(models, ids):
    """Smallest top-1 minus top-2 logit over the greedy steps of all models (0 on a near-tie)."""
    try:
        return min(s["margin"] for m in models for s in greedy(m, ids, GREEDY_NEW))
    except RuntimeError:
        return 0.0


def make_prompts(hf_tok, models):
    """Prompts whose greedy continuations have a clear winner at every step in every model (margin at
    least MIN_MARGIN), so that a correct implementation within tolerance reproduces them exactly. Random
    id prompts are redrawn, text prompts taken from the first candidate that qualifies, deterministically."""
    g = np.random.default_rng(SEED)
    n_tok = BPE_SIZE + len(SPECIALS)
    prompts = []
    for n in (1, 7, 33, 150):
        for draw in range(1000):
            ids = [int(x) for x in g.integers(0, n_tok, size=n)]
            if min_margin(models, ids) >= MIN_MARGIN:
                break
        else:
            raise RuntimeError(f"no {n}-token prompt with a clear greedy continuation")
        prompts.append({"name": f"ids-{n}", "text": None, "parse_special": None, "input_ids": ids})
    for text in TEXT_PROMPTS:
        ids = hf_tok(text, add_special_tokens=False, split_special_tokens=True)["input_ids"]
        if min_margin(models, ids) >= MIN_MARGIN:
            prompts.append({"name": "text-plain", "text": text, "parse_special": False, "input_ids": ids})
            break
    else:
        raise RuntimeError("no plain text prompt qualifies")
    for user in CHAT_USER_TEXTS:
        messages = [{"role": "system", "content": "You are a helpful assistant."}, {"role": "user", "content": user}]
        chat = hf_tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        ids = hf_tok(chat, add_special_tokens=False)["input_ids"]
        if min_margin(models, ids) >= MIN_MARGIN:
            prompts.append({"name": "text-chat", "text": chat, "parse_special": True, "input_ids": ids,
                            "messages": messages})
            break
    else:
        raise RuntimeError("no chat prompt qualifies")
    return prompts


@torch.no_grad()
def same_logits(a, b, prompts, what):
    for p in prompts:
        x = torch.tensor([p["input_ids"]])
        if not torch.equal(a(x).logits, b(x).logits):
            raise RuntimeError(f"{what}: logits differ on {p['name']}")


def header(variant, desc):
    import tokenizers
    import transformers
    return {
        "model": variant,
        "description": desc,
        "generated_by": "tools/make-tiny-qwen2.py",
        "reference": "transformers Qwen2ForCausalLM, float32, attn_implementation=eager, model.eval(), "
                     "torch.no_grad(), one forward over the whole prompt",
        "versions": {"transformers": transformers.__version__, "torch": torch.__version__,
                     "tokenizers": tokenizers.__version__, "gguf": importlib.metadata.version("gguf")},
        "vocab_rows": VOCAB_ROWS,
        "greedy_new_tokens": GREEDY_NEW,
    }


def compare_with_llama_cpp(llama_cpp, hf_dir, ours, tmp_path):
    """Runs llama.cpp's own convert_hf_to_gguf.py (--outtype f32) on hf_dir and checks that its file
    has the same metadata (keys, order, types, values; general.name aside) and the same tensors, bytes
    included, as ours. Its pre-tokenizer detection hashes the tokenizer's output on a fixed text and
    knows only published tokenizers, so it is told "qwen2", which is what this tokenizer implements."""
    import subprocess
    wrapper = (
        "import sys, runpy\n"
        f"sys.path.insert(0, {llama_cpp!r}); sys.path.insert(1, {llama_cpp + '/gguf-py'!r})\n"
        "import conversion.base as base\n"
        "base.TextModel.get_vocab_base_pre = lambda self, tokenizer: 'qwen2'\n"
        "sys.argv = ['convert_hf_to_gguf.py'] + sys.argv[1:]\n"
        f"runpy.run_path({llama_cpp + '/convert_hf_to_gguf.py'!r}, run_name='__main__')\n"
    )
    subprocess.run([sys.executable, "-c", wrapper, hf_dir, "--outtype", "f32", "--outfile", tmp_path],
                   check=True, capture_output=True)
    a, b = gguf.GGUFReader(ours), gguf.GGUFReader(tmp_path)
    fa = [(k, [int(t) for t in f.types], f.contents()) for k, f in a.fields.items() if k != "general.name"]
    fb = [(k, [int(t) for t in f.types], f.contents()) for k, f in b.fields.items() if k != "general.name"]
    if fa != fb:
        raise RuntimeError(f"{ours}: metadata differs from llama.cpp's converter output")
    ta = [(t.name, t.tensor_type, list(t.shape), t.data.tobytes()) for t in a.tensors]
    tb = [(t.name, t.tensor_type, list(t.shape), t.data.tobytes()) for t in b.tensors]
    if ta != tb:
        raise RuntimeError(f"{ours}: tensors differ from llama.cpp's converter output")
    os.remove(tmp_path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Tests", "SSAKitTests", "Fixtures", "aggregation", "gsm8k-samples-dev.jsonl"))
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--llama-cpp", default=None,
                    help="a llama.cpp source tree: also compare our GGUFs with its convert_hf_to_gguf.py output")
    args = ap.parse_args()
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    shutil.rmtree(args.out, ignore_errors=True)
    os.makedirs(args.out)

    vocab, merges, added = train_tokenizer(args.data)
    tk = {"vocab": vocab, "merges": merges, "added": added, "tok": qwen2_tokenizer(vocab, merges, added)}
    log(f"tokenizer: {len(vocab)} BPE tokens, {len(merges)} merges, specials {added}")

    cfg_u, cfg_t = make_config(False), make_config(True)
    state = random_state(cfg_u)
    built = {}
    for variant, cfg in (("tied", cfg_t), ("untied", cfg_u)):
        d = os.path.join(args.out, variant)
        m = build_model(cfg, state)
        save_hf(d, m, cfg, tk)
        with safe_open(os.path.join(d, "model.safetensors"), "pt") as f:
            keys = set(f.keys())
        if ("lm_head.weight" in keys) == cfg.tie_word_embeddings:
            raise RuntimeError(f"{variant}: lm_head.weight presence wrong in safetensors")
        gpath = os.path.join(d, f"tiny-qwen2-{variant}-f32.gguf")
        write_gguf(gpath, d, state, cfg, f"Tiny Random Qwen2 {variant}")
        built[variant] = m
        log(f"wrote {d}: {sorted(os.listdir(d))}")

    # Copies exercising the converter's other input paths.
    save_hf(os.path.join(args.out, "tied-v5"), built["tied"], cfg_t, tk, style="v5")
    save_hf(os.path.join(args.out, "untied-sharded"), built["untied"], cfg_u, tk, max_shard_size="300KB")
    m_bf16 = build_model(cfg_t, state, torch.bfloat16)
    save_hf(os.path.join(args.out, "tied-bf16"), m_bf16, cfg_t, tk)
    del m_bf16

    hf_tok = AutoTokenizer.from_pretrained(os.path.join(args.out, "tied"))
    bf16_as_f32 = build_model(cfg_t, {k: v.to(torch.bfloat16).float() for k, v in state.items()})
    prompts = make_prompts(hf_tok, [built["tied"], built["untied"], bf16_as_f32])
    log("prompts: " + ", ".join(f"{p['name']} ({len(p['input_ids'])} tokens)" for p in prompts))
    for p in prompts:
        if p["text"] is not None:
            direct = tk["tok"].encode(p["text"], add_special_tokens=False).ids
            if p["parse_special"] is False:
                tk["tok"].encode_special_tokens = True
                direct = tk["tok"].encode(p["text"], add_special_tokens=False).ids
                tk["tok"].encode_special_tokens = False
            if direct != p["input_ids"]:
                raise RuntimeError(f"tokenizers and transformers disagree on {p['name']}")

    # Every saved folder and GGUF, reloaded by transformers, must give the same logits.
    def load(d, **kw):
        m = AutoModelForCausalLM.from_pretrained(
            os.path.join(args.out, d), dtype=torch.float32, attn_implementation="eager", **kw).eval()
        # Tensors mmapped from safetensors sit at unaligned addresses, and torch's CPU GEMM then rounds
        # differently (~1e-5 abs here). Fresh aligned copies make every load compute the same bits.
        with torch.no_grad():
            for p in m.parameters():
                p.data = p.data.clone()
        return m
    for variant in ("tied", "untied"):
        ref = load(variant)
        same_logits(ref, built[variant], prompts, f"{variant} reload")
        gm = load(variant, gguf_file=f"tiny-qwen2-{variant}-f32.gguf")
        if gm.config.tie_word_embeddings != (variant == "tied"):
            raise RuntimeError(f"{variant}: GGUF reloads with tie_word_embeddings={gm.config.tie_word_embeddings}")
        same_logits(ref, gm, prompts, f"{variant} GGUF")
        gtok = AutoTokenizer.from_pretrained(os.path.join(args.out, variant), gguf_file=f"tiny-qwen2-{variant}-f32.gguf")
        for p in prompts:
            if p["text"] is not None:
                got = gtok(p["text"], add_special_tokens=False, split_special_tokens=not p["parse_special"])["input_ids"]
                if got != p["input_ids"]:
                    raise RuntimeError(f"{variant} GGUF tokenizer differs on {p['name']}")
        log(f"{variant}: safetensors and GGUF reload with identical logits and tokenization")
        if args.llama_cpp:
            compare_with_llama_cpp(args.llama_cpp, os.path.join(args.out, variant),
                                   os.path.join(args.out, variant, f"tiny-qwen2-{variant}-f32.gguf"),
                                   os.path.join("/tmp", f"llama-cpp-tiny-qwen2-{variant}.gguf"))
            log(f"{variant}: GGUF equals llama.cpp convert_hf_to_gguf.py's output (general.name aside)")
    same_logits(load("tied-v5"), built["tied"], prompts, "tied-v5")
    same_logits(load("untied-sharded"), built["untied"], prompts, "untied-sharded")
    log("tied-v5 and untied-sharded reload with identical logits")

    for variant, desc in (("tied", "tied/ (also tied-v5/)"), ("untied", "untied/ (also untied-sharded/)")):
        m = load(variant)
        m64 = load(variant).double()
        out = header(variant, desc)
        out["prompts"] = goldens(m, m64, prompts)
        write_json(os.path.join(args.out, f"goldens-{variant}.json"), out, indent=None)
        log(f"goldens-{variant}.json: min greedy margin "
            f"{min(r['greedy_min_margin'] for r in out['prompts'])}, fp32 vs fp64 max |diff| "
            f"{max(r['max_abs_diff_fp32_vs_fp64'] for r in out['prompts'])}")
    mb = load("tied-bf16")
    out = header("tied-bf16", "tied-bf16/: bf16 weights, computed in float32 after upcasting")
    out["prompts"] = goldens(mb, load("tied-bf16").double(), prompts, all_positions=False)
    write_json(os.path.join(args.out, "goldens-tied-bf16.json"), out, indent=None)
    log("goldens-tied-bf16.json written")


if __name__ == "__main__":
    main()
