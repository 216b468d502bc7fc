// AVX2 + FMA + F16C kernels (Haswell and later, Zen): the vocabulary the x86 kernel bodies
// (x86_kernels.inc) are written in. Int8 products use the maddubs/madd pair; quantized GEMMs are
// register tiles of RM weight rows x RN tokens (tinyBLAS's scheme) in GGML layout, or 8 rows in the
// lanes for repacked weights. Each output keeps its own accumulator updated once per 32-block, so a
// result does not depend on the tile it was computed in, nor on the thread that computed it.
#if defined(__x86_64__)
#include "../internal.h"

#include <immintrin.h>
#include <math.h>

#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)

#define INLINE static inline __attribute__((always_inline))

// ---- vocabulary -------------------------------------------------------------------------------------

#include "x86_vocabulary.h"

// Sum of 32 int8 products in 8 int32 lanes. |w| <= 128 and |a| <= 127 keep maddubs' int16 pair sums
// below 2^15, so nothing saturates; `aw` is |w| (hoisted by callers, it serves every token).
INLINE __m256i dot_s8(__m256i aw, __m256i w, __m256i a) {
  const __m256i p = _mm256_maddubs_epi16(aw, _mm256_sign_epi8(a, w));
  return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
}


// Sum over a 32-block of nibble (0..15) times activation for 8 rows. Products of pairs stay below
// 2 * 15 * 127, so the 8 maddubs results add up in int16 (at most 30,480) before one widening.
INLINE __m256i dot_q4_r8(const __m256i lo[4], const __m256i hi[4], const int8_t *x) {
  __m256i s = _mm256_maddubs_epi16(lo[0], bcast4(x));
  for (int k = 1; k < 4; k++) s = _mm256_add_epi16(s, _mm256_maddubs_epi16(lo[k], bcast4(x + 4 * k)));
  for (int k = 0; k < 4; k++) s = _mm256_add_epi16(s, _mm256_maddubs_epi16(hi[k], bcast4(x + 16 + 4 * k)));
  return _mm256_madd_epi16(s, _mm256_set1_epi16(1));
}

// Sum over a 32-block of int8 weight times activation for 8 rows; aw = |w|, the sign moves to x.
INLINE __m256i dot_q8_r8(const __m256i aw[8], const __m256i *w, const int8_t *x) {
  __m256i s = _mm256_setzero_si256();
  for (int k = 0; k < 8; k++) {
    const __m256i p = _mm256_maddubs_epi16(aw[k], _mm256_sign_epi8(bcast4(x + 4 * k), _mm256_loadu_si256(w + k)));
    s = _mm256_add_epi32(s, _mm256_madd_epi16(p, _mm256_set1_epi16(1)));
  }
  return s;
}

// s + the products of 8 rows' 4-byte groups (|w|, with w's signs moved to x) and 4 activation
// bytes broadcast to the lanes, summed per lane: maddubs, then madd with 1s to widen the pair sums.
INLINE __m256i madd_s8_r8(__m256i s, __m256i aw, __m256i w, __m256i x) {
  const __m256i p = _mm256_maddubs_epi16(aw, _mm256_sign_epi8(x, w));
  return _mm256_add_epi32(s, _mm256_madd_epi16(p, _mm256_set1_epi16(1)));
}

// Q4_0 block sums of nibble (0..15) times activation: 8 maddubs results added in int16 (at most
// 8 x 2 x 15 x 127 = 30,480), widened once at the end.
typedef __m256i q4sum;
INLINE q4sum q4sum_zero(void) { return _mm256_setzero_si256(); }
INLINE q4sum q4sum_add(q4sum s, __m256i nibbles, __m256i x) { return _mm256_add_epi16(s, _mm256_maddubs_epi16(nibbles, x)); }
INLINE __m256i q4sum_total(q4sum s) { return _mm256_madd_epi16(s, _mm256_set1_epi16(1)); }

// Attention computes on 8-float vectors.
typedef __m256 avec;
#define AVL 8
INLINE avec av_zero(void) { return _mm256_setzero_ps(); }
INLINE avec av_set1(float x) { return _mm256_set1_ps(x); }
INLINE avec av_load(const float *p) { return _mm256_load_ps(p); }
INLINE void av_store(float *p, avec v) { _mm256_store_ps(p, v); }
INLINE void av_storeu(float *p, avec v) { _mm256_storeu_ps(p, v); }
INLINE avec av_bcast(const float *p) { return _mm256_broadcast_ss(p); }
INLINE avec av_fma(avec a, avec b, avec c) { return _mm256_fmadd_ps(a, b, c); }
INLINE avec av_mul(avec a, avec b) { return _mm256_mul_ps(a, b); }
INLINE avec av_add(avec a, avec b) { return _mm256_add_ps(a, b); }
INLINE avec av_sub(avec a, avec b) { return _mm256_sub_ps(a, b); }
INLINE avec av_max(avec a, avec b) { return _mm256_max_ps(a, b); }
INLINE float av_hmax(avec v) { return hmax(v); }
INLINE float av_hsum(avec v) { return hsum(v); }

// The first n lanes of v (n may be <= 0 or >= 8), the others set to fill.
INLINE avec av_keep(avec v, int n, float fill) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256 valid = _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(n), lane));
  return _mm256_blendv_ps(_mm256_set1_ps(fill), v, valid);
}

// Nearest integer of each lane (as floats), and p * 2^n for integral n in [-126, 0].
INLINE avec av_round(avec x) { return _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
INLINE avec av_scale2(avec p, avec n) {
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

// 2 rows x 4 tokens: 8 accumulators, 2 weight blocks and their magnitudes fit the 16 ymm registers.
#define GEMM_RM 2
#define GEMM_RN 4
#define GEMV_RM 4
// Q8_0 prefill tiles: 8 rows x 4 tokens.
#ifndef Q8_TOKENS
#define Q8_TOKENS 4
#endif
#include "x86_kernels.inc"

void ssa_fill_avx2(ssa_kernel_table *t) { fill_x86(t); }

#pragma clang attribute pop
#endif  // __x86_64__
