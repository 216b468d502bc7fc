// AVX-512 kernels: VNNI's vpdpbusd for the int8 dot products and the 32 vector registers of
// AVX-512VL for 4 x 4 register tiles, on 256-bit vectors (which avoid the frequency penalty of
// 512-bit ones on older Xeons). The same kernel bodies as AVX2 (x86_kernels.inc); the int8 lanes
// are identical to AVX2's and every output is summed in the same order, so results equal AVX2's.
//
// tools/check_avx512.sh builds this file with SSA_EMULATE_AVX512 on a machine without AVX-512:
// simde's portable implementations stand in for the AVX-512 intrinsics, so the logic is tested.
#if defined(__x86_64__)
#include "../internal.h"

#include <math.h>

#ifdef SSA_EMULATE_AVX512  // built with -mavx2 -mfma -mf16c: simde emulates only the AVX-512 part
#include <immintrin.h>
#include "avx512_emulation.h"
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)
#else
#include <immintrin.h>
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni"))), apply_to = function)
#endif

#define INLINE static inline __attribute__((always_inline))

// ---- vocabulary -------------------------------------------------------------------------------------

#include "x86_vocabulary.h"

// Sum of 32 int8 products in 8 int32 lanes, in one VNNI instruction: |w| (unsigned, hoisted by
// callers) times a with w's sign. Exact, so the lanes equal AVX2's maddubs+madd bit for bit.
INLINE __m256i dot_s8(__m256i aw, __m256i w, __m256i a) {
  return _mm256_dpbusd_epi32(_mm256_setzero_si256(), aw, _mm256_sign_epi8(a, w));
}


// Sum over a 32-block of nibble (0..15) times activation for 8 rows, accumulated by VNNI in int32.
INLINE __m256i dot_q4_r8(const __m256i lo[4], const __m256i hi[4], const int8_t *x) {
  __m256i s = _mm256_setzero_si256();
  for (int k = 0; k < 4; k++) s = _mm256_dpbusd_epi32(s, lo[k], bcast4(x + 4 * k));
  for (int k = 0; k < 4; k++) s = _mm256_dpbusd_epi32(s, hi[k], bcast4(x + 16 + 4 * k));
  return s;
}

// Sum over a 32-block of int8 weight times activation for 8 rows; aw = |w|, the sign moves to x.
INLINE __m256i dot_q8_r8(const __m256i aw[8], const __m256i *w, const int8_t *x) {
  __m256i s = _mm256_setzero_si256();
  for (int k = 0; k < 8; k++) s = _mm256_dpbusd_epi32(s, aw[k], _mm256_sign_epi8(bcast4(x + 4 * k), _mm256_loadu_si256(w + k)));
  return s;
}

// s + the products of 8 rows' 4-byte groups (|w|, with w's signs moved to x) and 4 activation
// bytes broadcast to the lanes, summed per lane: one VNNI instruction.
INLINE __m256i madd_s8_r8(__m256i s, __m256i aw, __m256i w, __m256i x) {
  return _mm256_dpbusd_epi32(s, aw, _mm256_sign_epi8(x, w));
}

// Q4_0 block sums of nibble (0..15) times activation, accumulated by VNNI in int32.
typedef __m256i q4sum;
INLINE q4sum q4sum_zero(void) { return _mm256_setzero_si256(); }
INLINE q4sum q4sum_add(q4sum s, __m256i nibbles, __m256i x) { return _mm256_dpbusd_epi32(s, nibbles, x); }
INLINE __m256i q4sum_total(q4sum s) { return s; }

// 4 rows x 4 tokens: 16 accumulators plus 8 weight registers fit the 32 of AVX-512VL.
#define GEMM_RM 4
#define GEMM_RN 4
#define GEMV_RM 4
// Q8_0 prefill tiles: 8 rows x 8 tokens (8 int32 sums and 8 float sums in the 32 registers).
#ifndef Q8_TOKENS
#define Q8_TOKENS 8
#endif
// Attention computes on 16-float vectors: tiles of 6 query rows x 2 vectors of keys (a 32-key tile)
// or x 4 vectors of dimensions (a 64-dimension head): 24 accumulators + 4 loads + a broadcast.
#include "avx512_avec.h"
#define ATTN_ROWS 6
#define ATTN_SVECS 4
#define KEY_TILE 64
#define ATTN_VVECS 4
INLINE __m256 high256(avec v) { return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)); }
INLINE float av_hmax(avec v) { return hmax(_mm256_max_ps(_mm512_castps512_ps256(v), high256(v))); }
INLINE float av_hsum(avec v) { return hsum(_mm256_add_ps(_mm512_castps512_ps256(v), high256(v))); }
#include "x86_kernels.inc"

// ---- 16-row repacked weights (R16) on 512-bit registers ---------------------------------------------
// Decode (and prefill without AMX): 16 rows in the lanes of one register x RN tokens. The int8 sums use
// vpdpbusd's unsigned x signed form: Q4_0 nibbles are unsigned as stored; Q8_0 weights are made
// unsigned by flipping their sign bit (w + 128, as 512-bit AVX-512 has no vpsignb). The offsets come
// back exactly from the activations' block sums: isum = dot - 8 sum(x) (Q4_0), dot - 128 sum(x) (Q8_0).
// Each block then does acc = fma(isum, dw * dx, acc): the step of the AMX kernel and of the scalar
// R16 reference, so decode, prefill and every thread count give the same bits.

INLINE __m512i bcast4_512(const int8_t *x) { return _mm512_set1_epi32(*(const int32_t *)x); }

INLINE void tile_r16(const ssa_mm_args *a, int64_t g, int64_t t0, const int RN, const int q4) {
  const int64_t nb = a->cols / QK;
  const size_t xs = a->act_stride;
  const size_t bb = q4 ? sizeof(block_q4_0_r16) : sizeof(block_q8_0_r16);
  const int8_t *x = (const int8_t *)a->act + t0 * xs;
  const uint8_t *xd = (const uint8_t *)act_q8_d((void *)x, a->cols);
  const uint8_t *xo = (const uint8_t *)act_q8_s((void *)x, a->cols);
  const uint8_t *blk = (const uint8_t *)a->w + (size_t)(g * nb) * bb;
  __m512 acc[4];
  for (int j = 0; j < RN; j++) acc[j] = _mm512_setzero_ps();
  for (int64_t b = 0; b < nb; b++, blk += bb, x += QK, xd += 4, xo += 4) {
    if (RN == 1) {
      // decode streams the matrix: fetch 2 KB ahead, every line of the block
      for (size_t k = 0; k < bb; k += 64) _mm_prefetch((const char *)blk + 2048 + k, _MM_HINT_T0);
    }
    const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)blk));
    const uint8_t *qs = blk + 32;
    __m512i wq[8];
    if (q4) {
      for (int k = 0; k < 4; k++) {
        const __m512i raw = _mm512_loadu_si512(qs + 64 * k);
        wq[k] = _mm512_and_si512(raw, _mm512_set1_epi8(0x0F));
        wq[4 + k] = _mm512_and_si512(_mm512_srli_epi16(raw, 4), _mm512_set1_epi8(0x0F));
      }
    } else {
      for (int k = 0; k < 8; k++) wq[k] = _mm512_xor_si512(_mm512_loadu_si512(qs + 64 * k), _mm512_set1_epi8((char)0x80));
    }
    for (int j = 0; j < RN; j++) {
      const size_t o = (size_t)j * xs;
      __m512i s = _mm512_setzero_si512();
      for (int k = 0; k < 8; k++) s = _mm512_dpbusd_epi32(s, wq[k], bcast4_512(x + o + 4 * k));
      const int32_t sum8 = *(const int32_t *)(xo + o);  // 8 sum(x)
      s = _mm512_sub_epi32(s, _mm512_set1_epi32(q4 ? sum8 : 16 * sum8));
      const __m512 d = _mm512_mul_ps(dw, _mm512_set1_ps(*(const float *)(xd + o)));
      acc[j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), d, acc[j]);
    }
  }
  for (int j = 0; j < RN; j++) _mm512_storeu_ps(a->y + (t0 + j) * a->ldy + g * 16, acc[j]);
}

// Rows come in groups of 16 (the driver's row blocks are multiples of 16); tokens in fours.
#define GEMM_R16(name, Q4)                                                                       \
  static void name(const ssa_mm_args *a, int64_t r0, int64_t r1, int64_t t0, int64_t t1) {     \
    for (int64_t t = t0; t < t1; t += 4) {                                                     \
      const int64_t rn = t1 - t < 4 ? t1 - t : 4;                                              \
      for (int64_t g = r0 / 16; g < r1 / 16; g++) {                                            \
        switch (rn) {                                                                          \
          case 4: tile_r16(a, g, t, 4, Q4); break;                                             \
          case 3: tile_r16(a, g, t, 3, Q4); break;                                             \
          case 2: tile_r16(a, g, t, 2, Q4); break;                                             \
          default: tile_r16(a, g, t, 1, Q4); break;                                            \
        }                                                                                      \
      }                                                                                        \
    }                                                                                          \
  }

GEMM_R16(gemm_q8_0_r16, 0)
GEMM_R16(gemm_q4_0_r16, 1)

// e^x in 16 lanes as exp8 computes it in 8: the same operations, so the same bits.
INLINE __m512 exp16(__m512 x) {
  x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(88.3f)), _mm512_set1_ps(-87.3f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145752f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.42860677e-6f), r);
  __m512 p = _mm512_set1_ps(1.0f / 720);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  const __m512i e = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
  return _mm512_mul_ps(p, _mm512_castsi512_ps(e));
}

// SwiGLU 16 lanes at a time: each element takes exactly the 8-lane version's operations, and the
// part past the last multiple of 16 goes to it, so the bits are the same.
static void swiglu_512(float *gate, const float *up, int64_t len) {
  int64_t i = 0;
  for (; i + 16 <= len; i += 16) {
    const __m512 g = _mm512_loadu_ps(gate + i);
    const __m512 e = exp16(_mm512_sub_ps(_mm512_setzero_ps(), g));
    const __m512 silu = _mm512_div_ps(g, _mm512_add_ps(_mm512_set1_ps(1.0f), e));
    _mm512_storeu_ps(gate + i, _mm512_mul_ps(silu, _mm512_loadu_ps(up + i)));
  }
  if (i < len) swiglu(gate + i, up + i, len - i);
}

// The elementwise max (sum) of a vector's two 256-bit halves.
INLINE __m256 max8_halves(__m512 v) { return _mm256_max_ps(_mm512_castps512_ps256(v), high256(v)); }
INLINE __m256i add8_halves(__m512i v) {
  return _mm256_add_epi32(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1));
}

// x rounded to the nearest integer, ties to even (the emulation has no embedded rounding).
INLINE __m512i round_epi32(__m512 x) {
#ifdef SSA_EMULATE_AVX512
  return _mm512_cvtps_epi32(_mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
#else
  return _mm512_cvt_roundps_epi32(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
#endif
}

// One block (v0, v1) whose largest magnitude is m: its int8 values and scale; returns the values'
// 16 partial sums (as int32 lanes) for the caller's reduction.
INLINE __m512i quantize_block(__m512 v0, __m512 v1, float m, int8_t *q, float *d_out) {
  const float d = m / 127.0f;
  const __m512 id = _mm512_set1_ps(m != 0.0f ? 1.0f / d : 0.0f);
  const __m512i i0 = round_epi32(_mm512_mul_ps(v0, id)), i1 = round_epi32(_mm512_mul_ps(v1, id));
  _mm_storeu_si128((__m128i *)q, _mm512_cvtsepi32_epi8(i0));
  _mm_storeu_si128((__m128i *)(q + 16), _mm512_cvtsepi32_epi8(i1));
  *d_out = d;
  return _mm512_add_epi32(i0, i1);
}

// The int8 activation quantizer on 16-float vectors, two blocks at a time: the same bytes as the
// 8-float quantize_act_q8 (the max and the integer sum are exact in any order, and every element
// takes the same multiply and rounding, here the conversion's own round-to-nearest-even), in fewer
// instructions: the two blocks' maxima and sums share one reduction tree. Prefill converts every
// matmul's input, and the fused MLP each block of SwiGLU outputs.
static void quantize_act_q8_512(const float *x, void *dst, int64_t cols) {
  int8_t *q = dst;
  float *ds = act_q8_d(dst, cols);
  int32_t *ss = act_q8_s(dst, cols);
  const __m512i abs_mask = _mm512_set1_epi32(0x7FFFFFFF);
  const int64_t nb = cols / QK;
  int64_t b = 0;
  for (; b + 2 <= nb; b += 2) {
    const float *xb = x + b * QK;
    const __m512 v0 = _mm512_loadu_ps(xb), v1 = _mm512_loadu_ps(xb + 16);
    const __m512 v2 = _mm512_loadu_ps(xb + 32), v3 = _mm512_loadu_ps(xb + 48);
    const __m512 a0 = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(v0), abs_mask));
    const __m512 a1 = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(v1), abs_mask));
    const __m512 a2 = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(v2), abs_mask));
    const __m512 a3 = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(v3), abs_mask));
    // the two blocks' 16 partial maxima (and below sums) reduced in one tree: 8 of each block side
    // by side in 128-bit halves, then within them (lane 0: block 0, lane 4: block 1)
    const __m256 h0 = max8_halves(_mm512_max_ps(a0, a1)), h1 = max8_halves(_mm512_max_ps(a2, a3));
    __m256 t = _mm256_max_ps(_mm256_permute2f128_ps(h0, h1, 0x20), _mm256_permute2f128_ps(h0, h1, 0x31));
    t = _mm256_max_ps(t, _mm256_permute_ps(t, 0x4E));
    t = _mm256_max_ps(t, _mm256_permute_ps(t, 0xB1));
    const __m512i s0 = quantize_block(v0, v1, _mm256_cvtss_f32(t), q + b * QK, ds + b);
    const __m512i s1 = quantize_block(v2, v3, _mm_cvtss_f32(_mm256_extractf128_ps(t, 1)), q + b * QK + QK, ds + b + 1);
    const __m256i g0 = add8_halves(s0), g1 = add8_halves(s1);
    __m256i u = _mm256_add_epi32(_mm256_permute2x128_si256(g0, g1, 0x20), _mm256_permute2x128_si256(g0, g1, 0x31));
    u = _mm256_add_epi32(u, _mm256_shuffle_epi32(u, 0x4E));
    u = _mm256_add_epi32(u, _mm256_shuffle_epi32(u, 0xB1));
    ss[b] = 8 * _mm256_cvtsi256_si32(u);
    ss[b + 1] = 8 * _mm_cvtsi128_si32(_mm256_extracti128_si256(u, 1));
  }
  if (b < nb) {
    const __m512 v0 = _mm512_loadu_ps(x + b * QK), v1 = _mm512_loadu_ps(x + b * QK + 16);
    const __m512 a0 = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(v0), abs_mask));
    const __m512 a1 = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(v1), abs_mask));
    const __m512i s0 = quantize_block(v0, v1, _mm512_reduce_max_ps(_mm512_max_ps(a0, a1)), q + b * QK, ds + b);
    ss[b] = 8 * _mm512_reduce_add_epi32(s0);
  }
}

void ssa_fill_avx512(ssa_kernel_table *t) {
  fill_x86(t);
  t->mm[SSA_TYPE_Q8_0_R16] = (ssa_mm_kernel){ssa_act_q8_row_bytes, quantize_act_q8_512, gemm_q8_0_r16};
  t->mm[SSA_TYPE_Q4_0_R16] = (ssa_mm_kernel){ssa_act_q8_row_bytes, quantize_act_q8_512, gemm_q4_0_r16};
  for (int type = 0; type < 256; type++)
    if (t->mm[type].convert_act == quantize_act_q8) t->mm[type].convert_act = quantize_act_q8_512;
  t->swiglu = swiglu_512;
}

#pragma clang attribute pop
#endif  // __x86_64__
