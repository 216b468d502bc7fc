#!/usr/bin/env python3
"""Writes Tests/SSAKitTests/Fixtures/gguf/reference.gguf with llama.cpp's `gguf` Python package.

The file holds a metadata value of every GGUF type (arrays, arrays of strings, a nested array, an
empty array, non-ASCII strings), a custom alignment, and tensors of several types and shapes.
`GGUFTests` reads it back with our reader, and writes the same content with our writer and expects
the very same bytes. Also prints what gguf's GGUFReader reads, as a check.

Run: python3 tools/make-gguf-fixture.py   (needs `pip install gguf numpy`)
"""
import os
import sys

if len(sys.argv) > 1:  # it takes no arguments: --help must not write the fixture
    print(__doc__.strip().splitlines()[0])
    sys.exit(0 if sys.argv[1] in ("-h", "--help") else f"make-gguf-fixture.py: takes no arguments, got {sys.argv[1]!r}")

import numpy as np
import gguf

out = os.path.join(os.path.dirname(__file__), "..", "Tests", "SSAKitTests", "Fixtures", "gguf", "reference.gguf")
w = gguf.GGUFWriter(out, arch="qwen2")
w.add_custom_alignment(64)
w.add_uint8("test.u8", 200)
w.add_int8("test.i8", -100)
w.add_uint16("test.u16", 60000)
w.add_int16("test.i16", -30000)
w.add_uint32("test.u32", 4_000_000_000)
w.add_int32("test.i32", -2_000_000_000)
w.add_float32("test.f32", 0.15625)
w.add_bool("test.bool", True)
w.add_string("test.string", "héllo wörld ✓ 中文 🙂")
w.add_string("test.empty_string", "")
w.add_uint64("test.u64", 18_000_000_000_000_000_000)
w.add_int64("test.i64", -9_000_000_000_000_000_000)
w.add_float64("test.f64", -2.5e-300)
w.add_array("test.array_i32", [1, -2, 3])
w.add_array("test.array_f32", [0.5, -1.25])
w.add_array("test.array_strings", ["a", "Ġb", "", "<|im_end|>"])
w.add_array("test.array_bool", [True, False, True])
w.add_array("test.array_nested", [[1, 2], [3]])
w.add_array("test.array_empty", [])

rng = np.random.default_rng(7)
w.add_tensor("t.f32", rng.standard_normal((3, 5)).astype(np.float32))
w.add_tensor("t.f16", rng.standard_normal((2, 64)).astype(np.float16))
w.add_tensor("t.vec", rng.standard_normal(7).astype(np.float32))
q8 = gguf.quants.quantize(rng.standard_normal((4, 64)).astype(np.float32), gguf.GGMLQuantizationType.Q8_0)
w.add_tensor("t.q8_0", q8, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
w.add_tensor("t.i32", np.arange(6, dtype=np.int32).reshape(2, 3))

w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()

r = gguf.GGUFReader(out)
for f in r.fields.values():
    print(f.name, gguf.GGUFValueType(f.types[0]).name if f.types else "", f.contents() if f.name != "GGUF.kv_count" else "")
for t in r.tensors:
    print(t.name, t.tensor_type.name, list(t.shape), t.data_offset, t.n_bytes)
print("wrote", os.path.normpath(out), os.path.getsize(out), "bytes", file=sys.stderr)
