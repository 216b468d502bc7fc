#!/usr/bin/env python3
"""Reads a GGUF file with llama.cpp's `gguf` Python package and prints what it sees as one JSON object:
metadata (key -> [type name, value]) and tensors (name, type, shape in GGML order, data offset, bytes,
sha256 of the bytes). The tests compare this with our own reader, so every file our writer and
converter produce is checked against llama.cpp's reader.

Run: python3 tools/check-gguf.py FILE   (needs `pip install gguf`, which needs only numpy)
"""
import hashlib
import json
import sys

import numpy as np
import gguf


def value(field):
    types = [gguf.GGUFValueType(t).name for t in field.types]
    if types and types[0] == "ARRAY":
        items = [field.parts[i] for i in field.data]
        if types[1] == "STRING":
            return ["ARRAY", [bytes(x).decode("utf-8") for x in items]]
        return ["ARRAY", [x.tolist()[0] for x in items]]
    if types[0] == "STRING":
        return ["STRING", bytes(field.parts[field.data[0]]).decode("utf-8")]
    return [types[0], field.parts[field.data[0]].tolist()[0]]


if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
    sys.exit("usage: python3 tools/check-gguf.py FILE")
try:
    reader = gguf.GGUFReader(sys.argv[1])
except (OSError, ValueError) as e:  # missing, or not a GGUF: one line, not a traceback
    sys.exit(f"check-gguf.py: {sys.argv[1]}: {e}")
metadata = {}
for name, field in reader.fields.items():
    if name.startswith("GGUF."):
        continue
    metadata[name] = value(field)
tensors = []
for t in reader.tensors:
    data = np.asarray(t.data).tobytes()
    tensors.append({
        "name": t.name,
        "type": t.tensor_type.name,
        "shape": [int(x) for x in t.shape],
        "offset": int(t.data_offset),
        "bytes": int(t.n_bytes),
        "sha256": hashlib.sha256(data).hexdigest(),
    })
json.dump({"metadata": metadata, "tensors": tensors}, sys.stdout)
