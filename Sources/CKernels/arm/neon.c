// NEON kernels for AArch64 (Advanced SIMD is mandatory there), with the Armv8.2 dot-product
// instructions where the CPU has them (detected by dispatch.c). Quantized GEMMs use register tiles
// of RM rows x RN tokens like the x86 ones; each output has its own 4-lane accumulator updated once
// per 32-block, so results do not depend on the tile or the thread that computed them.
// Attention and SwiGLU use the scalar references on this ISA for now.
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
    ss[b] = vaddvq_s32(sum);
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

void ssa_fill_neon(ssa_kernel_table *t) {
  const int sdot = ssa_cpu_has_dotprod();
  t->mm[SSA_TYPE_F32].gemm = gemm_f32;
  t->mm[SSA_TYPE_F16].gemm = gemm_f16;
  t->mm[SSA_TYPE_BF16].gemm = gemm_bf16;
  t->mm[SSA_TYPE_Q8_0] = (ssa_mm_kernel){ssa_act_q8_row_bytes, quantize_act_q8, sdot ? gemm_q8_0_sdot : gemm_q8_0_mull};
  t->mm[SSA_TYPE_Q4_0] = (ssa_mm_kernel){ssa_act_q8_row_bytes, quantize_act_q8, sdot ? gemm_q4_0_sdot : gemm_q4_0_mull};
}
#endif
