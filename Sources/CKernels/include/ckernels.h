// The one public header of the C kernels: dequantization, quantization, matmul, attention and the
// small per-token operations of a transformer. Swift validates every argument before calling;
// kernels never fail and never allocate on the hot path.
#ifndef CKERNELS_H
#define CKERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// GGML tensor type ids, as stored in GGUF tensor infos (ggml.h `enum ggml_type`).
enum ssa_type {
  SSA_TYPE_F32 = 0,
  SSA_TYPE_F16 = 1,
  SSA_TYPE_Q4_0 = 2,
  SSA_TYPE_Q4_1 = 3,
  SSA_TYPE_Q5_0 = 6,
  SSA_TYPE_Q5_1 = 7,
  SSA_TYPE_Q8_0 = 8,
  SSA_TYPE_Q8_1 = 9,
  SSA_TYPE_Q2_K = 10,
  SSA_TYPE_Q3_K = 11,
  SSA_TYPE_Q4_K = 12,
  SSA_TYPE_Q5_K = 13,
  SSA_TYPE_Q6_K = 14,
  SSA_TYPE_Q8_K = 15,
  SSA_TYPE_I8 = 24,
  SSA_TYPE_I16 = 25,
  SSA_TYPE_I32 = 26,
  SSA_TYPE_I64 = 27,
  SSA_TYPE_F64 = 28,
  SSA_TYPE_BF16 = 30,
  // Not GGML types: weights repacked at load time by ssa_repack (8 or 16 rows interleaved per
  // 32-block).
  SSA_TYPE_Q4_0_R8 = 200,
  SSA_TYPE_Q8_0_R8 = 201,
  SSA_TYPE_Q4_0_R16 = 202,
  SSA_TYPE_Q8_0_R16 = 203,
};

// ---- fp16 / bf16 scalar conversion ---------------------------------------------------------------
float ssa_fp16_to_fp32(uint16_t h);
uint16_t ssa_fp32_to_fp16(float f);  // round to nearest even, as ggml/numpy
float ssa_bf16_to_fp32(uint16_t h);
uint16_t ssa_fp32_to_bf16(float f);  // round to nearest even, NaN kept quiet, as ggml

// ---- type traits and reference (de)quantization ---------------------------------------------------
// Scalar references follow the GGML block layouts exactly (ggml-quants.c); they define correctness.

// Elements per block and bytes per block of a type; 0 for a type the kernels do not know.
int64_t ssa_type_block_elems(int type);
size_t ssa_type_block_bytes(int type);
// Nonzero when ssa_dequantize_row handles the type.
int ssa_can_dequantize(int type);
// dst[0..n) = src decoded; n is a multiple of the type's block size.
void ssa_dequantize_row(int type, const void *src, float *dst, int64_t n);
// GGML's reference quantizers (round to nearest), bit-exact with ggml's quantize_row_*_ref.
void ssa_quantize_row_q8_0(const float *x, void *dst, int64_t n);
void ssa_quantize_row_q4_0(const float *x, void *dst, int64_t n);
// Q4_0 for the converter: plain Q4_0 blocks whose scale is chosen per block by a small search to
// minimise the block's error weighted by (sigma^2 + x_j^2) (sigma^2: the block's mean square), so
// large weights count more; never worse than ssa_quantize_row_q4_0 on any block by that measure.
void ssa_quantize_row_q4_0_best(const float *x, void *dst, int64_t n);
// Q8_0 for the converter: the scale searched per block as for Q4_0 (the largest value at codes 127 ..
// 120, and the steps of a grid the block's values sit on); never worse than ssa_quantize_row_q8_0 on
// any block by that measure.
void ssa_quantize_row_q8_0_best(const float *x, void *dst, int64_t n);
// The same Q4_0 search with the weights also multiplied by importance[j] (n values >= 0, e.g. the mean
// square of the input that multiplies column j; NULL: all 1).
void ssa_quantize_row_q4_0_weighted(const float *x, void *dst, int64_t n, const float *importance);

// ---- threads and instruction sets ----------------------------------------------------------------
// Kernels split work across OpenMP threads; this sets how many (<= 0: all cores).
void ssa_set_threads(int n);
int ssa_get_threads(void);
// The instruction set the kernels picked at start-up: "amx" (AVX-512 VNNI plus AMX-INT8 tiles),
// "avx512vnni", "avx2", "neon" or "scalar".
const char *ssa_kernel_isa(void);
// Tests: use the named ISA's kernels (if this CPU has it); returns nonzero on success.
int ssa_force_isa(const char *isa);
// The environment variable SSA_ISA (scalar, avx2, avx512vnni, amx or neon), read once at start-up,
// caps the kernel sets: the named one is the best the process picks or can force (an AVX-512 machine
// runs its AVX2 kernels as an AVX2-only CPU would). What became of it, for the CLI to report:
enum {
  SSA_ISA_REQUEST_NONE = 0,      // unset
  SSA_ISA_REQUEST_HONOURED = 1,  // the named set is in use
  SSA_ISA_REQUEST_CAPPED = 2,    // this CPU (or build) lacks it: the best set below it is in use
  SSA_ISA_REQUEST_UNKNOWN = 3,   // not a set name: ignored
};
int ssa_isa_request(void);

// ---- matrix multiplication -------------------------------------------------------------------------
// y[t][r] = sum_c x[t][c] * w[r][c] for t < n, r < rows.
// w: `rows` rows of `cols` elements of type `wtype` in GGML layout (F32, F16, BF16, Q8_0 or Q4_0), or
// repacked by ssa_repack (Q4_0_R8, Q8_0_R8, Q4_0_R16, Q8_0_R16).
// x: n rows of `cols` floats, ldx floats apart; y: n rows of `rows` floats, ldy floats apart.
// Quantized weights pair with int8 activations quantized per 32-block inside the call; cols is then
// a multiple of 32. Every output is computed the same way whatever the thread count.
// scratch: at least ssa_matmul_scratch_size(wtype, cols, n) bytes, 64-byte aligned.
size_t ssa_matmul_scratch_size(int wtype, int64_t cols, int64_t n);
void ssa_matmul(int wtype, const void *w, int64_t rows, int64_t cols, const float *x, int64_t ldx,
                int64_t n, float *y, int64_t ldy, void *scratch);

// The int8 activations of one row of `cols` floats as the kernels in use convert them for `wtype`
// weights (the layout of internal.h: int8 values, scales, sums), or 0 bytes written and returned 0
// for types that read float activations. dst: ssa_act_row_bytes(wtype, cols) bytes. For tests.
size_t ssa_act_row_bytes(int wtype, int64_t cols);
size_t ssa_convert_act(int wtype, const float *x, void *dst, int64_t cols);

// The MLP block of n tokens, y = down(silu(gate(x)) * up(x)): w_gu holds gate's ffn rows, then up's
// (hidden columns each), w_down hidden rows of ffn columns; x and y are n rows of hidden floats.
// SwiGLU and the down projection's activation conversion run on each block of gate/up outputs while
// it is in cache, so the float gate/up outputs are never written out (y may be x); the results are the same bits
// as ssa_matmul (gate/up), ssa_swiglu_rows and ssa_matmul (down). Only for weight types whose
// kernels quantize activations (ssa_mlp_fusable, for the kernels in use).
// scratch: at least ssa_mlp_scratch_size(...) bytes, 64-byte aligned.
int ssa_mlp_fusable(int gu_type, int down_type, int64_t ffn);
size_t ssa_mlp_scratch_size(int gu_type, int down_type, int64_t hidden, int64_t ffn, int64_t n);
void ssa_mlp(int gu_type, const void *w_gu, int down_type, const void *w_down, int64_t hidden, int64_t ffn,
             const float *x, int64_t n, float *y, void *scratch);

// ---- weight repacking at load time -----------------------------------------------------------------
// Q4_0 and Q8_0 weights can be rearranged, in the same number of bytes, so that 8 rows (R8: one
// 256-bit register) or 16 rows (R16: one 512-bit register, or one AMX B tile) share each SIMD register:
// the rows' 32-blocks interleaved in 4-byte groups, their scales first. The int8 sums of 8 or 16 rows
// then finish in one vector; the AVX2 prefill GEMM runs 2.7x (Q4_0) and 1.7x (Q8_0) faster, AMX
// loads a block of 16 rows as one tile, and decode reads one stream instead of several.
// ssa_repack_type: the type to repack `wtype` weights of this shape into for the kernels in use
// (R16 with AMX, R8 with AVX2 or AVX-512), or wtype itself when repacking would not pay (other types,
// rows not a multiple of the group, no SIMD).
int ssa_repack_type(int wtype, int64_t rows, int64_t cols);
// dst (as many bytes as src) = src, Q4_0 or Q8_0 rows (a multiple of the group), rearranged into the
// layout of `packed` (Q4_0_R8, Q8_0_R8, Q4_0_R16 or Q8_0_R16; src is the GGML type it is made from).
// ssa_matmul takes the result with the repacked type; ssa_dequantize_row does not (rows are no
// longer contiguous): a tied embedding/output matrix can be repacked in place of the original and
// its rows read with ssa_dequantize_repacked_row, so it is held once.
void ssa_repack(int packed, const void *src, int64_t rows, int64_t cols, void *dst);
// dst[0..cols) = row `row` of repacked weights w (any repacked type), the values
// ssa_dequantize_row gives for that row of the original.
void ssa_dequantize_repacked_row(int type, const void *w, int64_t cols, int64_t row, float *dst);

// ---- transformer operations ------------------------------------------------------------------------
// out[t] = x[t] / sqrt(mean(x[t]^2) + eps) * weight, for n rows of `dim` (out may equal x).
void ssa_rmsnorm(float *out, const float *x, const float *weight, int64_t dim, int64_t n, float eps);
// y[t][i] += bias[i] for n rows of `dim`, rows ld floats apart.
void ssa_add_bias(float *y, int64_t ld, const float *bias, int64_t dim, int64_t n);
// x[i] += y[i].
void ssa_add(float *x, const float *y, int64_t len);
// gate[i] = silu(gate[i]) * up[i]  (SwiGLU).
void ssa_swiglu(float *gate, const float *up, int64_t len);
// ssa_swiglu on each of n rows of [gate (len floats) | up (len floats)], ld floats apart.
void ssa_swiglu_rows(float *x, int64_t ld, int64_t n, int64_t len);
// Rotate pairs (i, i + head_dim/2) of each head (the NEOX / half-split RoPE of Qwen2, as HF's
// rotate_half). x: n tokens of n_heads * head_dim floats, ld floats apart. cos_sin: for each token,
// head_dim/2 cosines then head_dim/2 sines.
void ssa_rope_neox(float *x, int64_t ld, int64_t n, int n_heads, int head_dim, const float *cos_sin);

// ---- KV cache and attention ------------------------------------------------------------------------
// A layer's cache holds, per KV head, `capacity` rows of head_dim values in `kv_type` (F32 or F16):
// element (h, p, d) at index (h * capacity + p) * head_dim + d.
// Store n tokens' K (or V) rows, n_kv_heads * head_dim floats each, ld apart, at positions pos0...
void ssa_kv_store(int kv_type, void *cache, int64_t capacity, int n_kv_heads, int head_dim,
                  const float *x, int64_t ld, int64_t pos0, int64_t n);
// Causal grouped-query attention of n query tokens at positions pos0..pos0+n-1 over cache positions
// 0..pos0+n-1: out[t] = softmax(q[t] . K^T * scale) V, per query head (head h reads KV head
// h / (n_heads / n_kv_heads)). q and out: n rows of n_heads * head_dim floats, ld_q / ld_out apart.
// head_dim <= 256. scratch: at least ssa_attention_scratch_size(pos0 + n, n, n_kv_heads, head_dim)
// bytes (NULL: the call allocates what it needs).
size_t ssa_attention_scratch_size(int64_t n_ctx, int64_t n, int n_kv_heads, int head_dim);
void ssa_attention(int kv_type, const void *k_cache, const void *v_cache, int64_t capacity,
                   int n_heads, int n_kv_heads, int head_dim, float scale, const float *q, int64_t ld_q,
                   int64_t pos0, int64_t n, float *out, int64_t ld_out, void *scratch);

// Decode attention of several sequences at once: query row i (q + i * ld_q, n_heads * head_dim floats)
// is one token at position seqs[i].pos of its own sequence, attending over that sequence's cache
// positions 0..pos. Each row gets exactly what ssa_attention with n = 1 gives it; the (sequence, KV
// head) items are split across threads in one parallel region.
typedef struct {
  const void *k_cache, *v_cache;  // the sequence's cache of this layer
  int64_t capacity;
  int64_t pos;
} ssa_attn_seq;
void ssa_attention_decode_batch(int kv_type, const ssa_attn_seq *seqs, int64_t n_seq, int n_heads, int n_kv_heads,
                                int head_dim, float scale, const float *q, int64_t ld_q, float *out, int64_t ld_out);

// ---- conversion (converter, load-time requantization) -----------------------------------------------
// Nonzero when ssa_quantize_rows can produce the type (F32, F16, BF16, Q8_0, Q4_0).
int ssa_can_quantize(int type);
// rows x cols floats to rows of `type` (packed, no padding); `search` picks the Q4_0 or Q8_0 scale search.
void ssa_quantize_rows(int type, const float *src, void *dst, int64_t rows, int64_t cols, int search);
// rows of `type` (src_row_bytes apart) to rows x cols floats.
void ssa_dequantize_rows(int type, const void *src, size_t src_row_bytes, float *dst, int64_t rows, int64_t cols);
void ssa_fp16_to_fp32_rows(const uint16_t *src, float *dst, int64_t n);
void ssa_bf16_to_fp32_rows(const uint16_t *src, float *dst, int64_t n);

// ---- memory ----------------------------------------------------------------------------------------
// Large allocations from their own mappings, returned to the system when freed (glibc; no-op elsewhere).
void ssa_limit_heap_growth(void);

// ---- SHA-256, to verify downloads ------------------------------------------------------------------
typedef struct {
  uint32_t state[8];
  uint64_t length;
  uint8_t buffer[64];
  size_t buffered;
} ssa_sha256_ctx;

void ssa_sha256_init(ssa_sha256_ctx *ctx);
void ssa_sha256_update(ssa_sha256_ctx *ctx, const void *data, size_t n);
void ssa_sha256_final(ssa_sha256_ctx *ctx, uint8_t digest[32]);

#ifdef __cplusplus
}
#endif

#endif
