#!/usr/bin/env python3
"""Golden files for the C kernel tests, computed with the `gguf` package (the reference).

Writes into Tests/SSAKitTests/Fixtures/kernels/:
  dequant_default_model.json  SHA-256 of the fp32 bytes of every tensor of the default model,
                              dequantized with gguf.quants.dequantize (with its type and shape).
  dequant_<TYPE>.bin          for each type the default model lacks (and F16/BF16): blocks, then
  dequant_<TYPE>.f32          gguf's dequantization of them. Blocks come from gguf's own quantizer
                              on real weights where gguf has one, else from random bytes (every bit
                              pattern of a K-quant block is valid) with finite fp16 scales.
  quantize_<TYPE>.f32/.bin    inputs (real weights and edge cases) and gguf's Q8_0/Q4_0 blocks,
                              bit-exact with ggml's quantize_row_*_ref.

Usage: python3 tools/kernel_goldens.py [--model models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf]
"""
import argparse
import hashlib
import json
import os
import sys

import numpy as np
from gguf import GGUFReader, GGMLQuantizationType as T
from gguf.constants import GGML_QUANT_SIZES
from gguf.quants import dequantize, quantize

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "SSAKitTests", "Fixtures", "kernels")


def tensor_bytes(t):
    return np.ascontiguousarray(t.data).view(np.uint8).reshape(-1)


def model_hashes(reader):
    out = []
    for t in reader.tensors:
        qtype = T(t.tensor_type)
        values = dequantize(np.ascontiguousarray(t.data), qtype).astype(np.float32, copy=False)
        digest = hashlib.sha256(np.ascontiguousarray(values).tobytes()).hexdigest()
        out.append({"name": t.name, "type": qtype.name, "type_id": int(qtype),
                    "shape": [int(d) for d in t.shape], "elements": int(values.size), "sha256": digest})
    return out


def real_rows(reader, name, rows):
    t = next(t for t in reader.tensors if t.name == name)
    values = dequantize(np.ascontiguousarray(t.data[:rows]), T(t.tensor_type))
    return values.astype(np.float32).reshape(-1)


def random_blocks(qtype, n_blocks, rng):
    """Random bytes as blocks of `qtype`, with every fp16 scale field made finite."""
    _, size = GGML_QUANT_SIZES[qtype]
    raw = rng.integers(0, 256, size=(n_blocks, size), dtype=np.uint8)
    # byte offsets of the fp16 fields of each layout (ggml-common.h)
    fp16_at = {T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2], T.Q8_0: [0],
               T.Q2_K: [80, 82], T.Q3_K: [108], T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208]}[qtype]
    for off in fp16_at:
        scale = (rng.standard_normal(n_blocks) * 0.01).astype(np.float16)
        raw[:, off:off + 2] = scale.view(np.uint8).reshape(n_blocks, 2)
    return raw


def write_dequant_fixture(qtype, blocks):
    values = dequantize(blocks, qtype).astype(np.float32, copy=False)
    blocks.tofile(os.path.join(OUT, f"dequant_{qtype.name}.bin"))
    np.ascontiguousarray(values).tofile(os.path.join(OUT, f"dequant_{qtype.name}.f32"))
    return values.size


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"))
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20250611)
    reader = GGUFReader(args.model)

    hashes = model_hashes(reader)
    with open(os.path.join(OUT, "dequant_default_model.json"), "w") as f:
        json.dump({"model": os.path.basename(args.model), "tensors": hashes}, f, indent=1)
        f.write("\n")
    print(f"hashed {len(hashes)} tensors")

    # Real weights (2 rows of 896 of an attention projection) quantized by gguf, plus random blocks.
    weights = real_rows(reader, "blk.0.attn_q.weight", 2)
    for qtype in (T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0):
        real = quantize(weights.reshape(1, -1), qtype).reshape(-1, GGML_QUANT_SIZES[qtype][1])
        blocks = np.concatenate([real, random_blocks(qtype, 16, rng)])
        print(qtype.name, write_dequant_fixture(qtype, blocks), "values")
    for qtype in (T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K):
        print(qtype.name, write_dequant_fixture(qtype, random_blocks(qtype, 12, rng)), "values")

    # F16 and BF16: every class of value (normal, subnormal, zero, inf, NaN) from random bit patterns.
    bits = rng.integers(0, 1 << 16, size=4096, dtype=np.uint16)
    bits[:8] = [0x0000, 0x8000, 0x0001, 0x03ff, 0x7c00, 0xfc00, 0x7e00, 0x7bff]
    for qtype in (T.F16, T.BF16):
        bits.view(np.uint8).tofile(os.path.join(OUT, f"dequant_{qtype.name}.bin"))
        if qtype == T.F16:
            values = bits.view(np.float16).astype(np.float32)
        else:
            values = dequantize(bits.view(np.uint8).reshape(-1, 2), qtype).astype(np.float32).reshape(-1)
        values.tofile(os.path.join(OUT, f"dequant_{qtype.name}.f32"))

    # Quantizer inputs: real weights (scaled copies too) and blocks that probe the rounding rules.
    edge = np.zeros((6, 32), dtype=np.float32)
    edge[1, :] = 1.0                                   # constant block
    edge[2, :] = np.linspace(-1, 1, 32)                # both signs, max reached twice in magnitude
    edge[3, :] = (np.arange(32) - 16) * (127 / 16.0) / 127 * 2.5  # values near rounding ties
    edge[4, ::2] = -3.0                                # negative maximum first
    edge[4, 1::2] = 3.0
    edge[5, :] = rng.standard_normal(32).astype(np.float32) * 1e-6
    inputs = np.concatenate([weights, weights * 37.0, edge.reshape(-1),
                             rng.standard_normal(32 * 64).astype(np.float32)]).astype(np.float32)
    for qtype in (T.Q8_0, T.Q4_0):
        inputs.tofile(os.path.join(OUT, f"quantize_{qtype.name}.f32"))
        quantize(inputs.reshape(1, -1), qtype).reshape(-1).tofile(os.path.join(OUT, f"quantize_{qtype.name}.bin"))
    print("quantizer inputs:", inputs.size)


if __name__ == "__main__":
    # a file that is missing or not what it should be: one line, not a traceback
    try:
        main()
    except (OSError, ValueError, KeyError, StopIteration) as e:
        sys.exit(f"kernel_goldens.py: {type(e).__name__}: {e}")
