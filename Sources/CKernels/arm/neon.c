// NEON kernels for AArch64 (Advanced SIMD is mandatory there), with the Armv8.2 dot-product
// instructions where the CPU has them (detected by dispatch.c). Quantized GEMMs use register tiles
// of RM rows x RN tokens like the x86 ones; each output has its own 4-lane accumulator updated once
// per 32-block, so results do not depend on the tile or the thread that computed them.
//
// tools/check_neon.sh cross-compiles this file and runs tools/isa_check.c under qemu-aarch64, with
// and without the dot-product extension.
#if defined(__aarch64__)
#include "../internal.h"

#include <arm_neon.h>
#include <math.h>

#define INLINE static inline __attribute__((always_inline))

// ---- vocabulary -------------------------------------------------------------------------------------

INLINE float fp16(uint16_t h) {
  __fp16 v;
  memcpy(&v, &h, 2);
  return (float)v;
}

INLINE float32x4_t load4_f32(const void *p) { return vld1q_f32(p); }
INLINE float32x4_t load4_f16(const void *p) { return vcvt_f32_f16(vld1_f16(p)); }
INLINE float32x4_t load4_bf16(const void *p) { return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(p), 16)); }

// A Q4_0 block's values minus 8: elements 0..15 (low nibbles) and 16..31 (high nibbles).
INLINE void q4_0_values(const block_q4_0 *b, int8x16_t *lo, int8x16_t *hi) {
  const uint8x16_t raw = vld1q_u8(b->qs);
  *lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(raw, vdupq_n_u8(0x0F))), vdupq_n_s8(8));
  *hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(raw, 4)), vdupq_n_s8(8));
}

// Sum of 32 int8 products in 4 int32 lanes: SDOT where present, else widening multiplies.
__attribute__((target("dotprod"))) INLINE int32x4_t dot32_sdot(int8x16_t w0, int8x16_t w1, int8x16_t a0, int8x16_t a1) {
  return vdotq_s32(vdotq_s32(vdupq_n_s32(0), w0, a0), w1, a1);
}

INLINE int32x4_t dot32_mull(int8x16_t w0, int8x16_t w1, int8x16_t a0, int8x16_t a1) {
  int16x8_t p0 = vmull_s8(vget_low_s8(w0), vget_low_s8(a0));
  int16x8_t p1 = vmull_s8(vget_low_s8(w1), vget_low_s8(a1));
  p0 = vmlal_s8(p0, vget_high_s8(w0), vget_high_s8(a0));  // |sum of 2 products| <= 2 * 128 * 127
  p1 = vmlal_s8(p1, vget_high_s8(w1), vget_high_s8(a1));
  return vpadalq_s16(vpaddlq_s16(p0), p1);
}

// ---- int8 activations: the same bytes as ssa_quantize_act_q8_ref ------------------------------------

static void quantize_act_q8(const float *x, void *dst, int64_t cols) {
  int8_t *q = dst;
  float *ds = act_q8_d(dst, cols);
  int32_t *ss = act_q8_s(dst, cols);
  for (int64_t b = 0; b < cols / QK; b++) {
    float32x4_t v[8];
    float32x4_t amax = vdupq_n_f32(0.0f);
    for (int k = 0; k < 8; k++) {
      v[k] = vld1q_f32(x + b * QK + 4 * k);
      amax = vmaxq_f32(amax, vabsq_f32(v[k]));
    }
    const float m = vmaxvq_f32(amax);
    const float d = m / 127.0f;
    const float32x4_t id = vdupq_n_f32(m != 0.0f ? 1.0f / d : 0.0f);
    int32x4_t sum = vdupq_n_s32(0);
    int16x8_t h[4];
    for (int k = 0; k < 4; k++) {
      const int32x4_t i0 = vcvtnq_s32_f32(vmulq_f32(v[2 * k], id));  // round half to even
      const int32x4_t i1 = vcvtnq_s32_f32(vmulq_f32(v[2 * k + 1], id));
      sum = vaddq_s32(sum, vaddq_s32(i0, i1));
      h[k] = vcombine_s16(vmovn_s32(i0), vmovn_s32(i1));
    }
    vst1q_s8(q + b * QK, vcombine_s8(vmovn_s16(h[0]), vmovn_s16(h[1])));
    vst1q_s8(q + b * QK + 16, vcombine_s8(vmovn_s16(h[2]), vmovn_s16(h[3])));
    ds[b] = d;
    ss[b] = 8 * vaddvq_s32(sum);
  }
}

// ---- GEMM tiles ------------------------------------------------------------------------------------

#define TILE_Q tile_q_sdot
#define DOT32 dot32_sdot
#define ATTR __attribute__((target("dotprod")))
#include "neon_tile.inc"
#undef TILE_Q
#undef DOT32
#undef ATTR
#define TILE_Q tile_q_mull
#define DOT32 dot32_mull
#define ATTR
#include "neon_tile.inc"

INLINE void tile_f(const ssa_mm_args *a, int64_t r0, int64_t t0, const int RM, const int RN, const int kind,
                   const int unused) {
  (void)unused;
  const int64_t cols = a->cols, body = cols & ~(int64_t)3;
  const size_t esize = kind == SSA_TYPE_F32 ? 4 : 2;
  const uint8_t *wrow[4];
  const float *xrow[4];
  for (int i = 0; i < RM; i++) wrow[i] = (const uint8_t *)a->w + (r0 + i) * a->w_stride;
  for (int j = 0; j < RN; j++) xrow[j] = (const float *)((const uint8_t *)a->act + (t0 + j) * a->act_stride);
  float32x4_t acc[4][4];
  for (int i = 0; i < RM; i++)
    for (int j = 0; j < RN; j++) acc[i][j] = vdupq_n_f32(0.0f);
  for (int64_t k = 0; k < body; k += 4) {
    float32x4_t w[4];
    for (int i = 0; i < RM; i++) {
      const void *p = wrow[i] + k * esize;
      w[i] = kind == SSA_TYPE_F32 ? load4_f32(p) : kind == SSA_TYPE_F16 ? load4_f16(p) : load4_bf16(p);
    }
    for (int j = 0; j < RN; j++) {
      const float32x4_t x = vld1q_f32(xrow[j] + k);
      for (int i = 0; i < RM; i++) acc[i][j] = vfmaq_f32(acc[i][j], w[i], x);
    }
  }
  for (int j = 0; j < RN; j++) {
    for (int i = 0; i < RM; i++) {
      float s = vaddvq_f32(acc[i][j]);
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

// Walks a range in RM x RN tiles (4 x 4 at most), with the largest tile that fits at the edges.
#define WALK(name, TILE, A1, A2, RMAX, NMAX, ATTR)                                               \
  ATTR static void name(const ssa_mm_args *a, int64_t r0, int64_t r1, int64_t t0, int64_t t1) {  \
    for (int64_t t = t0; t < t1; t += NMAX) {                                                  \
      const int rn = (int)(t1 - t < NMAX ? t1 - t : NMAX);                                     \
      for (int64_t r = r0; r < r1; r += RMAX) {                                                \
        const int rm = (int)(r1 - r < RMAX ? r1 - r : RMAX);                                   \
        switch (rm * 8 + rn) {                                                                 \
          case 8 * 4 + 4: TILE(a, r, t, 4, 4, A1, A2); break;                                  \
          case 8 * 4 + 3: TILE(a, r, t, 4, 3, A1, A2); break;                                  \
          case 8 * 4 + 2: TILE(a, r, t, 4, 2, A1, A2); break;                                  \
          case 8 * 4 + 1: TILE(a, r, t, 4, 1, A1, A2); break;                                  \
          case 8 * 3 + 4: TILE(a, r, t, 3, 4, A1, A2); break;                                  \
          case 8 * 3 + 3: TILE(a, r, t, 3, 3, A1, A2); break;                                  \
          case 8 * 3 + 2: TILE(a, r, t, 3, 2, A1, A2); break;                                  \
          case 8 * 3 + 1: TILE(a, r, t, 3, 1, A1, A2); break;                                  \
          case 8 * 2 + 4: TILE(a, r, t, 2, 4, A1, A2); break;                                  \
          case 8 * 2 + 3: TILE(a, r, t, 2, 3, A1, A2); break;                                  \
          case 8 * 2 + 2: TILE(a, r, t, 2, 2, A1, A2); break;                                  \
          case 8 * 2 + 1: TILE(a, r, t, 2, 1, A1, A2); break;                                  \
          case 8 * 1 + 4: TILE(a, r, t, 1, 4, A1, A2); break;                                  \
          case 8 * 1 + 3: TILE(a, r, t, 1, 3, A1, A2); break;                                  \
          case 8 * 1 + 2: TILE(a, r, t, 1, 2, A1, A2); break;                                  \
          case 8 * 1 + 1: TILE(a, r, t, 1, 1, A1, A2); break;                                  \
          default: break;                                                                      \
        }                                                                                      \
      }                                                                                        \
    }                                                                                          \
  }

#define DOTPROD __attribute__((target("dotprod")))
WALK(gemm_q8_0_sdot, tile_q_sdot, 0, 0, 4, 4, DOTPROD)
WALK(gemm_q4_0_sdot, tile_q_sdot, 1, 0, 4, 4, DOTPROD)
WALK(gemm_q8_0_mull, tile_q_mull, 0, 0, 4, 4, )
WALK(gemm_q4_0_mull, tile_q_mull, 1, 0, 4, 4, )
WALK(gemm_f32, tile_f, SSA_TYPE_F32, 0, 4, 4, )
WALK(gemm_f16, tile_f, SSA_TYPE_F16, 0, 4, 4, )
WALK(gemm_bf16, tile_f, SSA_TYPE_BF16, 0, 4, 4, )

// ---- attention: fused online softmax, one or two queries per step over each 32-key tile ----------
// (x86_kernels.inc now runs whole blocks of query rows through GEMM-like register tiles; this
// kernel keeps the earlier per-query scheme, which has not been timed on Arm hardware.)

#define KEY_TILE 32
#define MAX_HEAD_DIM 128

void ssa_attention_ref_f32(const ssa_attn_args *a, int g, int64_t t0, int64_t t1);
void ssa_attention_ref_f16(const ssa_attn_args *a, int g, int64_t t0, int64_t t1);

// e^x for x <= 88.3, relative error ~1e-7: 2^n * e^r with |r| <= ln2/2, Taylor to degree 6.
INLINE float32x4_t exp4(float32x4_t x) {
  x = vmaxq_f32(vminq_f32(x, vdupq_n_f32(88.3f)), vdupq_n_f32(-87.3f));
  const float32x4_t n = vrndnq_f32(vmulq_f32(x, vdupq_n_f32(1.44269504f)));
  float32x4_t r = vfmsq_f32(x, n, vdupq_n_f32(0.693145752f));
  r = vfmsq_f32(r, n, vdupq_n_f32(1.42860677e-6f));
  float32x4_t p = vdupq_n_f32(1.0f / 720);
  p = vfmaq_f32(vdupq_n_f32(1.0f / 120), p, r);
  p = vfmaq_f32(vdupq_n_f32(1.0f / 24), p, r);
  p = vfmaq_f32(vdupq_n_f32(1.0f / 6), p, r);
  p = vfmaq_f32(vdupq_n_f32(0.5f), p, r);
  p = vfmaq_f32(vdupq_n_f32(1.0f), p, r);
  p = vfmaq_f32(vdupq_n_f32(1.0f), p, r);
  const int32x4_t e = vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127)), 23);
  return vmulq_f32(p, vreinterpretq_f32_s32(e));
}

// One online-softmax step of Q queries (1 or 2, sharing the tile loads) over one tile of keys.
INLINE void attend_tile(const float *const q[2], float *const m[2], float *const l[2], float *const o[2],
                        const float *kt, const float *vt, int nvis, int hd, float scale, const int Q) {
  float32x4_t s[2][8];
  for (int i = 0; i < Q; i++)
    for (int c = 0; c < 8; c++) s[i][c] = vdupq_n_f32(0.0f);
  for (int d = 0; d < hd; d++) {
    float32x4_t k[8];
    for (int c = 0; c < 8; c++) k[c] = vld1q_f32(kt + d * KEY_TILE + 4 * c);
    for (int i = 0; i < Q; i++) {
      const float qd = q[i][d];
      for (int c = 0; c < 8; c++) s[i][c] = vfmaq_n_f32(s[i][c], k[c], qd);
    }
  }
  float e[2][KEY_TILE];
  float rescale[2];
  for (int i = 0; i < Q; i++) {
    float sc[KEY_TILE];
    for (int c = 0; c < 8; c++) vst1q_f32(sc + 4 * c, vmulq_f32(s[i][c], vdupq_n_f32(scale)));
    float mx = *m[i];
    for (int p = 0; p < nvis; p++) mx = fmaxf(mx, sc[p]);
    rescale[i] = expf(*m[i] - mx);  // 0 on the first tile (m = -inf)
    float32x4_t sum = vdupq_n_f32(0.0f);
    for (int c = 0; c < 8; c++) {
      const uint32x4_t idx = vaddq_u32(vdupq_n_u32(4 * c), (uint32x4_t){0, 1, 2, 3});
      const uint32x4_t valid = vcltq_u32(idx, vdupq_n_u32((uint32_t)nvis));
      const float32x4_t ev = vreinterpretq_f32_u32(vandq_u32(valid, vreinterpretq_u32_f32(exp4(vsubq_f32(vld1q_f32(sc + 4 * c), vdupq_n_f32(mx))))));
      sum = vaddq_f32(sum, ev);
      vst1q_f32(e[i] + 4 * c, ev);
    }
    *l[i] = *l[i] * rescale[i] + vaddvq_f32(sum);
    *m[i] = mx;
  }
  for (int d0 = 0; d0 < hd; d0 += 16) {
    const int cw = hd - d0 < 16 ? (hd - d0) / 4 : 4;
    float32x4_t acc[2][4];
    for (int i = 0; i < Q; i++)
      for (int c = 0; c < cw; c++) acc[i][c] = vmulq_n_f32(vld1q_f32(o[i] + d0 + 4 * c), rescale[i]);
    for (int p = 0; p < nvis; p++) {
      float32x4_t v[4];
      for (int c = 0; c < cw; c++) v[c] = vld1q_f32(vt + p * hd + d0 + 4 * c);
      for (int i = 0; i < Q; i++)
        for (int c = 0; c < cw; c++) acc[i][c] = vfmaq_n_f32(acc[i][c], v[c], e[i][p]);
    }
    for (int i = 0; i < Q; i++)
      for (int c = 0; c < cw; c++) vst1q_f32(o[i] + d0 + 4 * c, acc[i][c]);
  }
}

INLINE void attention(const ssa_attn_args *a, int g, int64_t t0, int64_t t1, const int f16) {
  const int hd = a->head_dim, group = a->n_heads / a->n_kv_heads;
  if (hd % 4 != 0 || hd > MAX_HEAD_DIM || (t1 - t0) * group > ATTN_MAX_QUERIES) {
    (f16 ? ssa_attention_ref_f16 : ssa_attention_ref_f32)(a, g, t0, t1);
    return;
  }
  const size_t esize = f16 ? 2 : 4;
  const uint8_t *kbase = (const uint8_t *)a->k + (size_t)g * a->capacity * hd * esize;
  const uint8_t *vbase = (const uint8_t *)a->v + (size_t)g * a->capacity * hd * esize;
  float kt[MAX_HEAD_DIM * KEY_TILE], vt[KEY_TILE * MAX_HEAD_DIM];
  float acc[ATTN_MAX_QUERIES * MAX_HEAD_DIM];
  float m[ATTN_MAX_QUERIES], l[ATTN_MAX_QUERIES];
  const int nq = (int)(t1 - t0) * group;
  for (int i = 0; i < nq; i++) {
    m[i] = -INFINITY;
    l[i] = 0.0f;
  }
  memset(acc, 0, sizeof(float) * (size_t)nq * hd);
  const int64_t last = a->pos0 + t1;
  for (int64_t k0 = 0; k0 < last; k0 += KEY_TILE) {
    const int kn = last - k0 < KEY_TILE ? (int)(last - k0) : KEY_TILE;
    for (int p = 0; p < KEY_TILE; p++) {
      for (int d = 0; d < hd; d += 4) {
        float32x4_t kv = vdupq_n_f32(0.0f), vv = vdupq_n_f32(0.0f);
        if (p < kn) {
          const size_t off = ((size_t)(k0 + p) * hd + d) * esize;
          kv = f16 ? load4_f16(kbase + off) : load4_f32(kbase + off);
          vv = f16 ? load4_f16(vbase + off) : load4_f32(vbase + off);
        }
        vst1q_f32(vt + p * hd + d, vv);
        float lanes[4];
        vst1q_f32(lanes, kv);
        for (int j = 0; j < 4; j++) kt[(d + j) * KEY_TILE + p] = lanes[j];
      }
    }
    for (int64_t t = t0; t < t1; t++) {
      const int64_t visible = a->pos0 + t + 1 - k0;
      if (visible <= 0) continue;
      const int nvis = visible < KEY_TILE ? (int)visible : KEY_TILE;
      for (int h = 0; h < group; h += 2) {
        const int i0 = (int)(t - t0) * group + h, pair = h + 1 < group;
        const int i1 = pair ? i0 + 1 : i0;
        const float *q[2] = {a->q + t * a->ld_q + (int64_t)(g * group + h) * hd, a->q + t * a->ld_q + (int64_t)(g * group + h + pair) * hd};
        float *mp[2] = {m + i0, m + i1}, *lp[2] = {l + i0, l + i1};
        float *op[2] = {acc + (size_t)i0 * hd, acc + (size_t)i1 * hd};
        if (pair) attend_tile(q, mp, lp, op, kt, vt, nvis, hd, a->scale, 2);
        else attend_tile(q, mp, lp, op, kt, vt, nvis, hd, a->scale, 1);
      }
    }
  }
  for (int64_t t = t0; t < t1; t++) {
    for (int h = 0; h < group; h++) {
      const int i = (int)(t - t0) * group + h;
      float *out = a->out + t * a->ld_out + (int64_t)(g * group + h) * hd;
      const float inv = 1.0f / l[i];
      for (int d = 0; d < hd; d += 4) vst1q_f32(out + d, vmulq_n_f32(vld1q_f32(acc + (size_t)i * hd + d), inv));
    }
  }
}

static void attention_f32(const ssa_attn_args *a, int g, int64_t t0, int64_t t1) { attention(a, g, t0, t1, 0); }
static void attention_f16(const ssa_attn_args *a, int g, int64_t t0, int64_t t1) { attention(a, g, t0, t1, 1); }

static void swiglu(float *gate, const float *up, int64_t len) {
  int64_t i = 0;
  for (; i + 4 <= len; i += 4) {
    const float32x4_t g = vld1q_f32(gate + i);
    const float32x4_t silu = vdivq_f32(g, vaddq_f32(vdupq_n_f32(1.0f), exp4(vnegq_f32(g))));
    vst1q_f32(gate + i, vmulq_f32(silu, vld1q_f32(up + i)));
  }
  for (; i < len; i++) gate[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
}

void ssa_fill_neon(ssa_kernel_table *t) {
  const int sdot = ssa_cpu_has_dotprod();
  t->mm[SSA_TYPE_F32].gemm = gemm_f32;
  t->mm[SSA_TYPE_F16].gemm = gemm_f16;
  t->mm[SSA_TYPE_BF16].gemm = gemm_bf16;
  t->mm[SSA_TYPE_Q8_0] = (ssa_mm_kernel){ssa_act_q8_row_bytes, quantize_act_q8, sdot ? gemm_q8_0_sdot : gemm_q8_0_mull};
  t->mm[SSA_TYPE_Q4_0] = (ssa_mm_kernel){ssa_act_q8_row_bytes, quantize_act_q8, sdot ? gemm_q4_0_sdot : gemm_q4_0_mull};
  t->attn[SSA_TYPE_F32] = attention_f32;
  t->attn[SSA_TYPE_F16] = attention_f16;
  t->swiglu = swiglu;
}
#endif
