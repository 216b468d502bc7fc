# Shared helpers for the fixture scripts in tools/ (make-*.py). Not a script itself.
#
# Holds what several scripts must agree on: Qwen2's pre-tokenizer regex, how an HF tokenizer folder is
# written (tokenizer.json, vocab.json, merges.txt, tokenizer_config.json in the layout of Qwen's own
# hub checkpoints), the transformers 4.x config.json form, and the SSA prompt formats of
# /work/shared/ssa-interface.md.

import json
import os

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

# Qwen2's pre-tokenizer split (identical to transformers' models/qwen2/tokenization_qwen2.py and to
# llama.cpp's LLAMA_VOCAB_PRE_TYPE_QWEN2).
QWEN2_PRETOKENIZE_REGEX = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
)


def qwen2_tokenizer(vocab, merges, added, nfc=True):
    """A byte-level BPE tokenizer laid out like Qwen's hub tokenizer.json.

    vocab: dict token -> id for the BPE tokens (ids 0..n-1); merges: list of (a, b);
    added: list of (id, content, special) in id order, ids n, n+1, ... .
    """
    tok = Tokenizer(
        models.BPE(
            vocab=vocab,
            merges=merges,
            dropout=None,
            unk_token=None,
            continuing_subword_prefix="",
            end_of_word_suffix="",
            fuse_unk=False,
            byte_fallback=False,
        )
    )
    if nfc:
        tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(QWEN2_PRETOKENIZE_REGEX), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tok.decoder = decoders.ByteLevel()
    for tid, content, special in added:
        # One at a time, so each gets the next id; check that it did.
        at = AddedToken(content, special=special, normalized=False, lstrip=False, rstrip=False, single_word=False)
        if special:
            tok.add_special_tokens([at])
        else:
            tok.add_tokens([at])
        got = tok.token_to_id(content)
        if got != tid:
            raise RuntimeError(f"added token {content!r} got id {got}, wanted {tid}")
    return tok


def write_tokenizer_folder(out_dir, tok, vocab, merges, added, chat_template, eos_token, pad_token,
                           model_max_length, bos_token=None, jinja_file=False):
    """Writes tokenizer.json, vocab.json, merges.txt and a transformers 4.x tokenizer_config.json
    (chat template inside it, as on Qwen's hub repos). jinja_file also writes chat_template.jinja
    (the transformers 5.x place for the template)."""
    os.makedirs(out_dir, exist_ok=True)
    tok.save(os.path.join(out_dir, "tokenizer.json"))
    with open(os.path.join(out_dir, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(out_dir, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")
    cfg = {
        "add_prefix_space": False,
        "added_tokens_decoder": {
            str(tid): {
                "content": content,
                "lstrip": False,
                "normalized": False,
                "rstrip": False,
                "single_word": False,
                "special": special,
            }
            for tid, content, special in added
        },
        "additional_special_tokens": [c for _, c, s in added if s and c not in (eos_token, pad_token)],
        "bos_token": bos_token,
        "chat_template": chat_template,
        "clean_up_tokenization_spaces": False,
        "eos_token": eos_token,
        "errors": "replace",
        "model_max_length": model_max_length,
        "pad_token": pad_token,
        "split_special_tokens": False,
        "tokenizer_class": "Qwen2Tokenizer",
        "unk_token": None,
    }
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=2, ensure_ascii=False)
        f.write("\n")
    if jinja_file:
        with open(os.path.join(out_dir, "chat_template.jinja"), "w", encoding="utf-8") as f:
            f.write(chat_template)


def config_v4(cfg, torch_dtype, transformers_version="4.45.2"):
    """The transformers 4.x form of a Qwen2 config.json (top-level rope_theta, rope_scaling null,
    torch_dtype), from a transformers 5.x Qwen2Config."""
    rp = cfg.rope_parameters or {}
    if rp.get("rope_type", "default") != "default":
        raise RuntimeError(f"only default RoPE is handled here, got {rp}")
    return {
        "architectures": ["Qwen2ForCausalLM"],
        "attention_dropout": 0.0,
        "bos_token_id": cfg.bos_token_id,
        "eos_token_id": cfg.eos_token_id,
        "hidden_act": cfg.hidden_act,
        "hidden_size": cfg.hidden_size,
        "initializer_range": cfg.initializer_range,
        "intermediate_size": cfg.intermediate_size,
        "max_position_embeddings": cfg.max_position_embeddings,
        "max_window_layers": cfg.num_hidden_layers,
        "model_type": "qwen2",
        "num_attention_heads": cfg.num_attention_heads,
        "num_hidden_layers": cfg.num_hidden_layers,
        "num_key_value_heads": cfg.num_key_value_heads,
        "rms_norm_eps": cfg.rms_norm_eps,
        "rope_scaling": None,
        "rope_theta": float(rp["rope_theta"]),
        "sliding_window": cfg.max_position_embeddings,
        "tie_word_embeddings": bool(cfg.tie_word_embeddings),
        "torch_dtype": torch_dtype,
        "transformers_version": transformers_version,
        "use_cache": True,
        "use_sliding_window": False,
        "vocab_size": cfg.vocab_size,
    }


def write_json(path, obj, indent=2):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=indent, ensure_ascii=False)
        f.write("\n")


# ---- SSA prompt formats, byte for byte from /work/shared/ssa-interface.md ----

SSA_PREFIX = (
    "A conversation between User and Assistant. The user provide a question and some proposed answers. "
    "The Assistant first evaluate each answers individually,check whether each answer directly addresses "
    "the original question, assess the correctness of each answer based on logical reasoning, calculations, "
    "and accuracy relative to the question. After thorough evaluation, identify one correct answer. If the "
    "correct answer is not in the provided proposed answers, the Assistant will combine the correct answer "
    "with the proposed answers and provide the correct answer.The reasoning process and answer are enclosed "
    "within <think></think> and <answer></answer> tags, respectively, i.e., <think>reasoning process "
    "here</think> <answer>answer here</answer>. User: "
)
SSA_SUFFIX = ". Assistant: <think>"

CHAT_SYSTEM = (
    "You are a helpful assistant. The user provide a question and some proposed answers. The Assistant first "
    "evaluate each answers individually,check whether each answer directly addresses the original question, "
    "assess the correctness of each answer based on logical reasoning, calculations, and accuracy relative to "
    "the question. After thorough evaluation, identify one correct answer based on majority consensus. The "
    "reasoning process and answer are enclosed within <think></think> and <answer></answer> tags, "
    "respectively, i.e., <think>reasoning process here</think> <answer>answer here</answer>."
)

ANSWER_PREFIX = (
    "A conversation between User and Assistant. The user provide a question and some proposed answers. "
    "The Assistant answer the question based on the proposed answers. The answer is enclosed within "
    "<answer></answer> tag, i.e., <answer>answer here</answer>. User: "
)
ANSWER_SUFFIX = ". Assistant: <answer>"


def user_content(question, samples):
    parts = [f"Question: {question}\n\nBelow are the proposed answers:"]
    for i, s in enumerate(samples, 1):
        parts.append(f"Answer {i}:\n{s}")
    return "\n\n".join(parts)


def render_prompt(fmt, question, samples):
    """Returns a list of (text, is_control) segments. Control segments are chat-template tokens that
    must be tokenized as special tokens; every other segment is plain text (specials never parsed)."""
    u = user_content(question, samples)
    if fmt == "ssa":
        return [(SSA_PREFIX + u + SSA_SUFFIX, False)]
    if fmt == "answer":
        return [(ANSWER_PREFIX + u + ANSWER_SUFFIX, False)]
    if fmt == "chat":
        return [
            ("<|im_start|>", True), ("system\n" + CHAT_SYSTEM, False), ("<|im_end|>", True), ("\n", False),
            ("<|im_start|>", True), ("user\n" + u, False), ("<|im_end|>", True), ("\n", False),
            ("<|im_start|>", True), ("assistant\n", False),
        ]
    raise ValueError(f"unknown prompt format {fmt!r}")


def tokenize_segments(hf_tokenizer, segments):
    """Token ids of rendered segments: control segments by their single special-token id, plain text
    with special-token parsing switched off, each plain segment encoded on its own."""
    ids = []
    for text, control in segments:
        if control:
            tid = hf_tokenizer.convert_tokens_to_ids(text)
            if tid is None or hf_tokenizer.convert_ids_to_tokens(tid) != text:
                raise RuntimeError(f"{text!r} is not a single token")
            ids.append(tid)
        else:
            ids.extend(encode_plain(hf_tokenizer, text))
    return ids


def encode_plain(hf_tokenizer, text):
    """Text to ids with added/special tokens NOT recognised inside the text (split_special_tokens)."""
    backend = hf_tokenizer.backend_tokenizer if hasattr(hf_tokenizer, "backend_tokenizer") else hf_tokenizer
    prev = backend.encode_special_tokens
    backend.encode_special_tokens = True
    try:
        return backend.encode(text, add_special_tokens=False).ids
    finally:
        backend.encode_special_tokens = prev
