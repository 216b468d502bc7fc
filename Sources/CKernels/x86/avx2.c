// AVX2 + FMA + F16C kernels (Haswell and later, Zen). Int8 products use the maddubs/madd pair;
// quantized GEMMs are register tiles of RM weight rows x RN tokens (tinyBLAS's scheme): each output
// keeps its own 8-lane accumulator updated once per 32-block, so a result does not depend on the
// tile it was computed in, nor on the thread that computed it.
#include "../internal.h"

#include <immintrin.h>
#include <math.h>

#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)

#define INLINE static inline __attribute__((always_inline))

// ---- vocabulary -------------------------------------------------------------------------------------

INLINE float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

INLINE float hmax(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

INLINE float fp16(uint16_t h) { return _cvtsh_ss(h); }

// 8 weights of a float type as floats.
INLINE __m256 load8_f32(const void *p) { return _mm256_loadu_ps(p); }
INLINE __m256 load8_f16(const void *p) { return _mm256_cvtph_ps(_mm_loadu_si128(p)); }
INLINE __m256 load8_bf16(const void *p) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128(p)), 16));
}

// A Q4_0 block's 32 values minus 8 as int8, in element order (low nibbles are elements 0..15).
INLINE __m256i q4_0_values(const block_q4_0 *b) {
  const __m128i raw = _mm_loadu_si128((const __m128i *)b->qs);
  const __m256i nib = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), _mm256_set1_epi8(0x0F));
  return _mm256_sub_epi8(nib, _mm256_set1_epi8(8));
}

// Sum of 32 int8 products in 8 int32 lanes. |w| <= 128 and |a| <= 127 keep maddubs' int16 pair sums
// below 2^15, so nothing saturates; `aw` is |w| (hoisted by callers, it serves every token).
INLINE __m256i dot_s8(__m256i aw, __m256i w, __m256i a) {
  const __m256i p = _mm256_maddubs_epi16(aw, _mm256_sign_epi8(a, w));
  return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
}

// e^x for x <= 88.3, relative error ~1e-7: 2^n * e^r with |r| <= ln2/2, Taylor to degree 6.
INLINE __m256 exp8(__m256 x) {
  x = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(88.3f)), _mm256_set1_ps(-87.3f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145752f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.42860677e-6f), r);
  __m256 p = _mm256_set1_ps(1.0f / 720);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

// ---- int8 activations: the same bytes as ssa_quantize_act_q8_ref ------------------------------------

static void quantize_act_q8(const float *x, void *dst, int64_t cols) {
  int8_t *q = dst;
  float *ds = act_q8_d(dst, cols);
  int32_t *ss = act_q8_s(dst, cols);
  const __m256 sign = _mm256_set1_ps(-0.0f);
  for (int64_t b = 0; b < cols / QK; b++) {
    __m256 v[4];
    __m256 amax = _mm256_setzero_ps();
    for (int k = 0; k < 4; k++) {
      v[k] = _mm256_loadu_ps(x + b * QK + 8 * k);
      amax = _mm256_max_ps(amax, _mm256_andnot_ps(sign, v[k]));
    }
    const float m = hmax(amax);
    const float d = m / 127.0f;
    const __m256 id = _mm256_set1_ps(m != 0.0f ? 1.0f / d : 0.0f);
    __m256i i32[4];
    for (int k = 0; k < 4; k++) {
      const __m256 r = _mm256_round_ps(_mm256_mul_ps(v[k], id), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
      i32[k] = _mm256_cvtps_epi32(r);
    }
    const __m256i sum = _mm256_add_epi32(_mm256_add_epi32(i32[0], i32[1]), _mm256_add_epi32(i32[2], i32[3]));
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
    s = _mm_hadd_epi32(s, s);
    s = _mm_hadd_epi32(s, s);
    // packs interleave the 128-bit lanes; the permute puts the 32 bytes back in order
    const __m256i p16a = _mm256_packs_epi32(i32[0], i32[1]), p16b = _mm256_packs_epi32(i32[2], i32[3]);
    const __m256i p8 = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(p16a, p16b), _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256((__m256i *)(q + b * QK), p8);
    ds[b] = d;
    ss[b] = _mm_cvtsi128_si32(s);
  }
}

// ---- quantized GEMM tiles ------------------------------------------------------------------------

INLINE void tile_q(const ssa_mm_args *a, int64_t r0, int64_t t0, const int RM, const int RN, const int q4) {
  const int64_t nb = a->cols / QK;
  const uint8_t *wrow[4];
  const int8_t *arow[4];
  const float *ad[4];
  for (int i = 0; i < RM; i++) wrow[i] = (const uint8_t *)a->w + (r0 + i) * a->w_stride;
  for (int j = 0; j < RN; j++) {
    arow[j] = (const int8_t *)a->act + (t0 + j) * a->act_stride;
    ad[j] = act_q8_d((void *)arow[j], a->cols);
  }
  __m256 acc[4][4];
  for (int i = 0; i < RM; i++)
    for (int j = 0; j < RN; j++) acc[i][j] = _mm256_setzero_ps();
  for (int64_t b = 0; b < nb; b++) {
    __m256i w[4], aw[4];
    float dw[4];
    for (int i = 0; i < RM; i++) {
      if (q4) {
        const block_q4_0 *blk = (const block_q4_0 *)wrow[i] + b;
        w[i] = q4_0_values(blk);
        dw[i] = fp16(blk->d);
      } else {
        const block_q8_0 *blk = (const block_q8_0 *)wrow[i] + b;
        w[i] = _mm256_loadu_si256((const __m256i *)blk->qs);
        dw[i] = fp16(blk->d);
      }
      aw[i] = _mm256_sign_epi8(w[i], w[i]);
    }
    for (int j = 0; j < RN; j++) {
      const __m256i x = _mm256_loadu_si256((const __m256i *)(arow[j] + b * QK));
      const float dx = ad[j][b];
      for (int i = 0; i < RM; i++) {
        const __m256 p = _mm256_cvtepi32_ps(dot_s8(aw[i], w[i], x));
        acc[i][j] = _mm256_fmadd_ps(p, _mm256_set1_ps(dw[i] * dx), acc[i][j]);
      }
    }
  }
  for (int j = 0; j < RN; j++)
    for (int i = 0; i < RM; i++) a->y[(t0 + j) * a->ldy + r0 + i] = hsum(acc[i][j]);
}

// Float weights: each output's 8-lane accumulator over whole 8-column chunks, then the remaining
// columns in order.
INLINE void tile_f(const ssa_mm_args *a, int64_t r0, int64_t t0, const int RM, const int RN, const int kind) {
  const int64_t cols = a->cols, body = cols & ~(int64_t)7;
  const size_t esize = kind == SSA_TYPE_F32 ? 4 : 2;
  const uint8_t *wrow[4];
  const float *xrow[4];
  for (int i = 0; i < RM; i++) wrow[i] = (const uint8_t *)a->w + (r0 + i) * a->w_stride;
  for (int j = 0; j < RN; j++) xrow[j] = (const float *)((const uint8_t *)a->act + (t0 + j) * a->act_stride);
  __m256 acc[4][4];
  for (int i = 0; i < RM; i++)
    for (int j = 0; j < RN; j++) acc[i][j] = _mm256_setzero_ps();
  for (int64_t k = 0; k < body; k += 8) {
    __m256 w[4];
    for (int i = 0; i < RM; i++) {
      const void *p = wrow[i] + k * esize;
      w[i] = kind == SSA_TYPE_F32 ? load8_f32(p) : kind == SSA_TYPE_F16 ? load8_f16(p) : load8_bf16(p);
    }
    for (int j = 0; j < RN; j++) {
      const __m256 x = _mm256_loadu_ps(xrow[j] + k);
      for (int i = 0; i < RM; i++) acc[i][j] = _mm256_fmadd_ps(w[i], x, acc[i][j]);
    }
  }
  for (int j = 0; j < RN; j++) {
    for (int i = 0; i < RM; i++) {
      float s = hsum(acc[i][j]);
      for (int64_t k = body; k < cols; k++) {
        const void *p = wrow[i] + k * esize;
        const float wv = kind == SSA_TYPE_F32 ? *(const float *)p
                         : kind == SSA_TYPE_F16 ? fp16(*(const uint16_t *)p)
                                                : ssa_bf16_to_fp32(*(const uint16_t *)p);
        s += wv * xrow[j][k];
      }
      a->y[(t0 + j) * a->ldy + r0 + i] = s;
    }
  }
}

// Walks a range in RM x RN tiles, with the largest tile that fits at the edges.
#define GEMM(name, TILE, ARG, RMAX, NMAX)                                                        \
  static void name(const ssa_mm_args *a, int64_t r0, int64_t r1, int64_t t0, int64_t t1) {     \
    for (int64_t t = t0; t < t1; t += NMAX) {                                                  \
      const int64_t rn = t1 - t < NMAX ? t1 - t : NMAX;                                        \
      for (int64_t r = r0; r < r1; r += RMAX) {                                                \
        const int64_t rm = r1 - r < RMAX ? r1 - r : RMAX;                                      \
        switch (rm * 8 + rn) {                                                                 \
          case 8 * 4 + 1: TILE(a, r, t, 4, 1, ARG); break;                                     \
          case 8 * 4 + 2: TILE(a, r, t, 4, 2, ARG); break;                                     \
          case 8 * 4 + 3: TILE(a, r, t, 4, 3, ARG); break;                                     \
          case 8 * 3 + 1: TILE(a, r, t, 3, 1, ARG); break;                                     \
          case 8 * 3 + 2: TILE(a, r, t, 3, 2, ARG); break;                                     \
          case 8 * 3 + 3: TILE(a, r, t, 3, 3, ARG); break;                                     \
          case 8 * 2 + 1: TILE(a, r, t, 2, 1, ARG); break;                                     \
          case 8 * 2 + 2: TILE(a, r, t, 2, 2, ARG); break;                                     \
          case 8 * 2 + 3: TILE(a, r, t, 2, 3, ARG); break;                                     \
          case 8 * 2 + 4: TILE(a, r, t, 2, 4, ARG); break;                                     \
          case 8 * 1 + 1: TILE(a, r, t, 1, 1, ARG); break;                                     \
          case 8 * 1 + 2: TILE(a, r, t, 1, 2, ARG); break;                                     \
          case 8 * 1 + 3: TILE(a, r, t, 1, 3, ARG); break;                                     \
          case 8 * 1 + 4: TILE(a, r, t, 1, 4, ARG); break;                                     \
          default: break;                                                                      \
        }                                                                                      \
      }                                                                                        \
    }                                                                                          \
  }

// Decode (one token) takes 4-row tiles; prefill 2 rows x 4 tokens, which fits the 16 ymm registers.
static void gemm_q8_0_tiles(const ssa_mm_args *a, int64_t r0, int64_t r1, int64_t t0, int64_t t1);
static void gemv_q8_0_tiles(const ssa_mm_args *a, int64_t r0, int64_t r1, int64_t t0, int64_t t1);
static void gemm_q4_0_tiles(const ssa_mm_args *a, int64_t r0, int64_t r1, int64_t t0, int64_t t1);
static void gemv_q4_0_tiles(const ssa_mm_args *a, int64_t r0, int64_t r1, int64_t t0, int64_t t1);
GEMM(gemm_q8_0_tiles, tile_q, 0, 2, 4)
GEMM(gemv_q8_0_tiles, tile_q, 0, 4, 1)
GEMM(gemm_q4_0_tiles, tile_q, 1, 2, 4)
GEMM(gemv_q4_0_tiles, tile_q, 1, 4, 1)
GEMM(gemm_f32, tile_f, SSA_TYPE_F32, 4, 2)
GEMM(gemm_f16, tile_f, SSA_TYPE_F16, 4, 2)
GEMM(gemm_bf16, tile_f, SSA_TYPE_BF16, 4, 2)

static void gemm_q8_0(const ssa_mm_args *a, int64_t r0, int64_t r1, int64_t t0, int64_t t1) {
  (t1 - t0 == 1 ? gemv_q8_0_tiles : gemm_q8_0_tiles)(a, r0, r1, t0, t1);
}

static void gemm_q4_0(const ssa_mm_args *a, int64_t r0, int64_t r1, int64_t t0, int64_t t1) {
  (t1 - t0 == 1 ? gemv_q4_0_tiles : gemm_q4_0_tiles)(a, r0, r1, t0, t1);
}

// ---- attention -----------------------------------------------------------------------------------

#define KEY_TILE 32

// Eight dot-product accumulators reduced to one vector of their eight sums.
INLINE __m256 hsum8x8(const __m256 v[8]) {
  const __m256 a01 = _mm256_hadd_ps(v[0], v[1]), a23 = _mm256_hadd_ps(v[2], v[3]);
  const __m256 a45 = _mm256_hadd_ps(v[4], v[5]), a67 = _mm256_hadd_ps(v[6], v[7]);
  const __m256 b0 = _mm256_hadd_ps(a01, a23), b1 = _mm256_hadd_ps(a45, a67);
  return _mm256_add_ps(_mm256_permute2f128_ps(b0, b1, 0x20), _mm256_permute2f128_ps(b0, b1, 0x31));
}

void ssa_attention_ref_f32(const ssa_attn_args *a, int g, int64_t t0, int64_t t1);
void ssa_attention_ref_f16(const ssa_attn_args *a, int g, int64_t t0, int64_t t1);

// Per query token: the group's heads share each tile of 32 keys (at absolute positions, converted
// to floats once), with an online-softmax update per tile. A query's result depends only on its
// position, never on the tokens it was sent with, so prefill and decode give the same bits.
INLINE void attention(const ssa_attn_args *a, int g, int64_t t0, int64_t t1, const int f16) {
  const int hd = a->head_dim, group = a->n_heads / a->n_kv_heads;
  if (hd % 8 != 0 || hd > 256 || group > 16) {
    (f16 ? ssa_attention_ref_f16 : ssa_attention_ref_f32)(a, g, t0, t1);
    return;
  }
  const size_t esize = f16 ? 2 : 4;
  const uint8_t *kbase = (const uint8_t *)a->k + (size_t)g * a->capacity * hd * esize;
  const uint8_t *vbase = (const uint8_t *)a->v + (size_t)g * a->capacity * hd * esize;
  float kt[KEY_TILE * 256] __attribute__((aligned(32)));  // [key][d]
  float vt[KEY_TILE * 256] __attribute__((aligned(32)));
  float acc[16 * 256] __attribute__((aligned(32)));      // [head of the group][d]
  float m[16], l[16];
  for (int64_t t = t0; t < t1; t++) {
    const int64_t n_keys = a->pos0 + t + 1;
    for (int i = 0; i < group; i++) {
      m[i] = -INFINITY;
      l[i] = 0.0f;
      memset(acc + i * hd, 0, (size_t)hd * sizeof(float));
    }
    for (int64_t k0 = 0; k0 < n_keys; k0 += KEY_TILE) {
      const int kn = n_keys - k0 < KEY_TILE ? (int)(n_keys - k0) : KEY_TILE;
      for (int p = 0; p < KEY_TILE; p++) {
        for (int d = 0; d < hd; d += 8) {
          __m256 kv = _mm256_setzero_ps(), vv = _mm256_setzero_ps();
          if (p < kn) {
            const size_t off = ((size_t)(k0 + p) * hd + d) * esize;
            kv = f16 ? load8_f16(kbase + off) : load8_f32(kbase + off);
            vv = f16 ? load8_f16(vbase + off) : load8_f32(vbase + off);
          }
          _mm256_store_ps(kt + p * hd + d, kv);
          _mm256_store_ps(vt + p * hd + d, vv);
        }
      }
      for (int i = 0; i < group; i++) {
        const float *q = a->q + t * a->ld_q + (int64_t)(g * group + i) * hd;
        float sc[KEY_TILE] __attribute__((aligned(32)));
        for (int p8 = 0; p8 < KEY_TILE; p8 += 8) {
          __m256 s[8];
          for (int e = 0; e < 8; e++) s[e] = _mm256_setzero_ps();
          for (int d = 0; d < hd; d += 8) {
            const __m256 qv = _mm256_loadu_ps(q + d);
            for (int e = 0; e < 8; e++) s[e] = _mm256_fmadd_ps(qv, _mm256_load_ps(kt + (p8 + e) * hd + d), s[e]);
          }
          _mm256_store_ps(sc + p8, _mm256_mul_ps(hsum8x8(s), _mm256_set1_ps(a->scale)));
        }
        float mx = m[i];
        for (int p = 0; p < kn; p++) mx = fmaxf(mx, sc[p]);
        const float rescale = expf(m[i] - mx);  // 0 on the first tile
        __m256 lsum = _mm256_setzero_ps();
        for (int p8 = 0; p8 < KEY_TILE; p8 += 8) {
          const __m256i idx = _mm256_add_epi32(_mm256_set1_epi32(p8), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
          const __m256 valid = _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(kn), idx));
          const __m256 e = _mm256_and_ps(valid, exp8(_mm256_sub_ps(_mm256_load_ps(sc + p8), _mm256_set1_ps(mx))));
          lsum = _mm256_add_ps(lsum, e);
          _mm256_store_ps(sc + p8, e);
        }
        l[i] = l[i] * rescale + hsum(lsum);
        m[i] = mx;
        float *o = acc + i * hd;
        for (int d = 0; d < hd; d += 8) {
          __m256 ov = _mm256_mul_ps(_mm256_load_ps(o + d), _mm256_set1_ps(rescale));
          for (int p = 0; p < kn; p++) ov = _mm256_fmadd_ps(_mm256_set1_ps(sc[p]), _mm256_load_ps(vt + p * hd + d), ov);
          _mm256_store_ps(o + d, ov);
        }
      }
    }
    for (int i = 0; i < group; i++) {
      float *out = a->out + t * a->ld_out + (int64_t)(g * group + i) * hd;
      const __m256 inv = _mm256_set1_ps(1.0f / l[i]);
      for (int d = 0; d < hd; d += 8) _mm256_storeu_ps(out + d, _mm256_mul_ps(_mm256_load_ps(acc + i * hd + d), inv));
    }
  }
}

static void attention_f32(const ssa_attn_args *a, int g, int64_t t0, int64_t t1) { attention(a, g, t0, t1, 0); }
static void attention_f16(const ssa_attn_args *a, int g, int64_t t0, int64_t t1) { attention(a, g, t0, t1, 1); }

// ---- elementwise -------------------------------------------------------------------------------

static void swiglu(float *gate, const float *up, int64_t len) {
  int64_t i = 0;
  for (; i + 8 <= len; i += 8) {
    const __m256 g = _mm256_loadu_ps(gate + i);
    const __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), g));
    const __m256 silu = _mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
    _mm256_storeu_ps(gate + i, _mm256_mul_ps(silu, _mm256_loadu_ps(up + i)));
  }
  for (; i < len; i++) gate[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
}

void ssa_fill_avx2(ssa_kernel_table *t) {
  t->mm[SSA_TYPE_F32].gemm = gemm_f32;
  t->mm[SSA_TYPE_F16].gemm = gemm_f16;
  t->mm[SSA_TYPE_BF16].gemm = gemm_bf16;
  t->mm[SSA_TYPE_Q8_0] = (ssa_mm_kernel){ssa_act_q8_row_bytes, quantize_act_q8, gemm_q8_0};
  t->mm[SSA_TYPE_Q4_0] = (ssa_mm_kernel){ssa_act_q8_row_bytes, quantize_act_q8, gemm_q4_0};
  t->attn[SSA_TYPE_F32] = attention_f32;
  t->attn[SSA_TYPE_F16] = attention_f16;
  t->swiglu = swiglu;
}

#pragma clang attribute pop
