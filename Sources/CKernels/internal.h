// Private to the kernels: GGML block layouts, the kernel table the dispatcher fills, and the entry
// points each instruction-set file provides. Nothing here is visible to Swift.
#ifndef CKERNELS_INTERNAL_H
#define CKERNELS_INTERNAL_H

#include "include/ckernels.h"

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

// ---- GGML blocks (ggml-common.h), byte for byte ----------------------------------------------------
#define QK 32     // elements of a Q4_0/Q4_1/Q5_0/Q5_1/Q8_0 block
#define QK_K 256  // elements of a K-quant super-block

typedef struct { uint16_t d; uint8_t qs[QK / 2]; } block_q4_0;               // 18 bytes
typedef struct { uint16_t d, m; uint8_t qs[QK / 2]; } block_q4_1;            // 20 bytes
typedef struct { uint16_t d; uint8_t qh[4]; uint8_t qs[QK / 2]; } block_q5_0;  // 22 bytes
typedef struct { uint16_t d, m; uint8_t qh[4]; uint8_t qs[QK / 2]; } block_q5_1;  // 24 bytes
typedef struct { uint16_t d; int8_t qs[QK]; } block_q8_0;                    // 34 bytes
typedef struct { uint8_t scales[QK_K / 16]; uint8_t qs[QK_K / 4]; uint16_t d, dmin; } block_q2_K;  // 84
typedef struct { uint8_t hmask[QK_K / 8]; uint8_t qs[QK_K / 4]; uint8_t scales[12]; uint16_t d; } block_q3_K;  // 110
typedef struct { uint16_t d, dmin; uint8_t scales[12]; uint8_t qs[QK_K / 2]; } block_q4_K;  // 144
typedef struct { uint16_t d, dmin; uint8_t scales[12]; uint8_t qh[QK_K / 8]; uint8_t qs[QK_K / 2]; } block_q5_K;  // 176
typedef struct { uint8_t ql[QK_K / 2]; uint8_t qh[QK_K / 4]; int8_t scales[QK_K / 16]; uint16_t d; } block_q6_K;  // 210

// Repacked layouts: per group of 8 rows and per 32-block, fp16 d[8] then the 8 rows' quants in
// 4-byte groups: group k holds bytes 4k..4k+3 of each row's qs, row after row (Q4_0: k < 4, the low
// nibbles are elements 4k.., the high ones 16+4k..; Q8_0: k < 8, elements 4k..4k+3).
typedef struct { uint16_t d[8]; uint8_t qs[8 * QK / 2]; } block_q4_0_r8;  // 144 bytes
typedef struct { uint16_t d[8]; int8_t qs[8 * QK]; } block_q8_0_r8;       // 272 bytes
// The same with 16 rows (group k: 64 bytes, 4 of each row): one 512-bit register per group, and the
// Q8_0 quants of a block are exactly an AMX B tile (8 rows of 64 bytes: 4 consecutive k of 16 rows).
typedef struct { uint16_t d[16]; uint8_t qs[16 * QK / 2]; } block_q4_0_r16;  // 288 bytes
typedef struct { uint16_t d[16]; int8_t qs[16 * QK]; } block_q8_0_r16;       // 544 bytes

// Rows a repacked type interleaves (8 or 16), 0 for other types; nonzero `q4` when it holds Q4_0.
static inline int repacked_rows(int type) {
  return type == SSA_TYPE_Q4_0_R8 || type == SSA_TYPE_Q8_0_R8 ? 8 : type == SSA_TYPE_Q4_0_R16 || type == SSA_TYPE_Q8_0_R16 ? 16 : 0;
}

// ---- int8 activations ------------------------------------------------------------------------------
// Quantized weights multiply activations quantized per 32-block right before the matmul. One row of
// `cols` activations is laid out as: int8 q[cols], then float d[cols/32] (scale), then int32
// s[cols/32] (8 times the sum of the block's q: the Q4_0 offset of 8), padded to 64 bytes. Every ISA's
// quantizer produces the same bytes: d = amax/127, q = round-half-even(x * (1/d)).
size_t ssa_act_q8_row_bytes(int64_t cols);
static inline float *act_q8_d(void *row, int64_t cols) { return (float *)((int8_t *)row + cols); }
static inline int32_t *act_q8_s(void *row, int64_t cols) {
  return (int32_t *)((int8_t *)row + cols + cols / QK * 4);
}

// ---- the kernel table ------------------------------------------------------------------------------
// Everything a matmul kernel reads. For float weights `act` is x itself (act_stride = ldx * 4).
typedef struct {
  const void *w;
  size_t w_stride;  // bytes per weight row
  int64_t cols;
  const void *act;
  size_t act_stride;  // bytes per activation row
  float *y;
  int64_t ldy;
  // Kernels with pad_tokens: every activation scale again, token-tile-major for loading 16 tokens'
  // scales as one vector: the scale of block b of token t at [((t / 16) * (cols / 32) + b) * 16 + t % 16].
  const float *act_scales;
} ssa_mm_args;

typedef struct {
  // Activation conversion: bytes per converted row (0: the kernel reads x as floats) and the
  // converter of one row.
  size_t (*act_row_bytes)(int64_t cols);
  void (*convert_act)(const float *x, void *dst, int64_t cols);
  // y[t][r] for r in [r0, r1), t in [t0, t1). Each output element is computed by the same sequence
  // of operations whatever the range, so results do not depend on how work is split.
  void (*gemm)(const ssa_mm_args *a, int64_t r0, int64_t r1, int64_t t0, int64_t t1);
  // Prefill work items of this many rows x tokens (0: the driver's defaults), for kernels that
  // amortize a per-token-block step over many rows.
  int64_t item_rows, item_tokens;
  // Kernels that read activations in whole tiles of this many tokens (AMX: 16) get that many rows
  // of scratch past the last token, zeroed, so a tile never reads outside the buffer (0: none).
  int64_t pad_tokens;
} ssa_mm_kernel;

// Attention over one KV head group: query tokens [t0, t1) of the heads that read KV head g.
typedef struct {
  const void *k, *v;  // the cache of one layer
  int64_t capacity;
  int n_heads, n_kv_heads, head_dim;
  float scale;
  const float *q;
  int64_t ld_q, pos0;
  float *out;
  int64_t ld_out;
  void *prep;           // the cache converted by the table's attn_prep (prefill kernels), else NULL
  int64_t prep_blocks;  // blocks of ATTN_PREP_KEYS keys per KV head in prep
  int64_t n_ctx;        // keys in the cache: pos0 + the chunk's tokens
} ssa_attn_args;

// Keys per block of a converted cache (attn_prep).
#define ATTN_PREP_KEYS 32

// Query rows (tokens x heads of a group) an attention item may hold.
#define ATTN_MAX_QUERIES 128

typedef void (*ssa_attn_fn)(const ssa_attn_args *a, int g, int64_t t0, int64_t t1);

typedef struct {
  const char *name;
  ssa_mm_kernel mm[256];  // indexed by the weight type; gemm NULL where unsupported
  ssa_attn_fn attn[SSA_TYPE_F16 + 1];   // indexed by the cache type (F32, F16)
  // Optional prefill attention (chunks of 2 tokens or more) over a form of the cache converted for
  // it: attn_prep_bytes (0: not for this shape) sizes it, attn_prep converts one block of
  // ATTN_PREP_KEYS keys of KV head g, and every block is converted before attn_prefill runs.
  ssa_attn_fn attn_prefill[SSA_TYPE_F16 + 1];
  void (*attn_prep[SSA_TYPE_F16 + 1])(const ssa_attn_args *a, int g, int64_t block);
  size_t (*attn_prep_bytes)(int64_t n_ctx, int n_kv_heads, int head_dim);
  void (*swiglu)(float *gate, const float *up, int64_t len);
} ssa_kernel_table;

extern ssa_kernel_table ssa_kernels;  // filled once by dispatch.c

// Each ISA file fills a table, starting from a copy of the scalar one (so it falls back per entry).
void ssa_fill_scalar(ssa_kernel_table *t);
void ssa_fill_avx2(ssa_kernel_table *t);
void ssa_fill_avx512(ssa_kernel_table *t);
void ssa_fill_neon(ssa_kernel_table *t);
void ssa_fill_amx(ssa_kernel_table *t);  // on top of the AVX-512 table

void ssa_swiglu_ref(float *gate, const float *up, int64_t len);

// AArch64: nonzero when the CPU has the Armv8.2 dot-product instructions (set by dispatch.c).
int ssa_cpu_has_dotprod(void);
// x86: nonzero when the tile unit also multiplies bf16 (AMX-BF16) and AVX512-BF16 converts to it.
int ssa_cpu_has_amx_bf16(void);

void ssa_fill_repack_scalar(ssa_kernel_table *t);

// Threads the kernels use (set by ssa_set_threads).
int ssa_threads(void);

// Dynamic work sharing inside an OpenMP parallel region (a hand-rolled schedule(dynamic): Debian's
// libomp 14 lacks the dispatch entry points newer clang emits for it). Each thread claims the next
// `grain` items; every item is computed the same way whichever thread takes it.
typedef _Atomic int64_t ssa_counter;
static inline int64_t ssa_claim(ssa_counter *next, int64_t grain) {
  return atomic_fetch_add_explicit(next, grain, memory_order_relaxed);
}

// The scalar activation quantizer, shared by the references and by ISA files for odd tails.
void ssa_quantize_act_q8_ref(const float *x, void *dst, int64_t cols);

static inline float fp16_to_fp32(uint16_t h) { return ssa_fp16_to_fp32(h); }

#endif
