// Scalar reference matmul kernels: one dot product per output element, in block order. They define
// what every ISA's kernels compute (integer block sums exactly, float sums within rounding).
#include "../internal.h"

#include <math.h>

size_t ssa_act_q8_row_bytes(int64_t cols) {
  const size_t bytes = (size_t)cols + (size_t)(cols / QK) * 8;
  return (bytes + 63) & ~(size_t)63;
}

// d = amax / 127 and q = round-half-even(x * (1/d)): plain IEEE operations every ISA reproduces.
void ssa_quantize_act_q8_ref(const float *x, void *dst, int64_t cols) {
  int8_t *q = dst;
  float *ds = act_q8_d(dst, cols);
  int32_t *ss = act_q8_s(dst, cols);
  for (int64_t b = 0; b < cols / QK; b++) {
    float amax = 0.0f;
    for (int j = 0; j < QK; j++) amax = fmaxf(amax, fabsf(x[b * QK + j]));
    const float d = amax / 127.0f;
    const float id = amax != 0.0f ? 1.0f / d : 0.0f;
    int32_t sum = 0;
    for (int j = 0; j < QK; j++) {
      const int v = (int)nearbyintf(x[b * QK + j] * id);
      q[b * QK + j] = (int8_t)v;
      sum += v;
    }
    ds[b] = d;
    ss[b] = 8 * sum;
  }
}

static size_t no_act(int64_t cols) { (void)cols; return 0; }

static float dot_f32(const float *w, const float *x, int64_t n) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n; i++) sum += w[i] * x[i];
  return sum;
}

static float dot_f16(const uint16_t *w, const float *x, int64_t n) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n; i++) sum += ssa_fp16_to_fp32(w[i]) * x[i];
  return sum;
}

static float dot_bf16(const uint16_t *w, const float *x, int64_t n) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n; i++) sum += ssa_bf16_to_fp32(w[i]) * x[i];
  return sum;
}

static float dot_q8_0(const block_q8_0 *w, const void *act, int64_t cols) {
  const int8_t *q = act;
  const float *d = act_q8_d((void *)act, cols);
  float sum = 0.0f;
  for (int64_t b = 0; b < cols / QK; b++) {
    int32_t isum = 0;
    for (int j = 0; j < QK; j++) isum += (int32_t)w[b].qs[j] * q[b * QK + j];
    sum += (float)isum * (fp16_to_fp32(w[b].d) * d[b]);
  }
  return sum;
}

// Q4_0 element j of a block is the low nibble of qs[j] (j < 16) or the high nibble of qs[j - 16].
static float dot_q4_0(const block_q4_0 *w, const void *act, int64_t cols) {
  const int8_t *q = act;
  const float *d = act_q8_d((void *)act, cols);
  float sum = 0.0f;
  for (int64_t b = 0; b < cols / QK; b++) {
    int32_t isum = 0;
    for (int j = 0; j < QK / 2; j++) {
      isum += ((w[b].qs[j] & 0x0F) - 8) * q[b * QK + j];
      isum += ((w[b].qs[j] >> 4) - 8) * q[b * QK + j + QK / 2];
    }
    sum += (float)isum * (fp16_to_fp32(w[b].d) * d[b]);
  }
  return sum;
}

#define REF_GEMM(name, expr)                                                             \
  static void name(const ssa_mm_args *a, int64_t r0, int64_t r1, int64_t t0, int64_t t1) { \
    for (int64_t t = t0; t < t1; t++) {                                                  \
      const void *x = (const uint8_t *)a->act + t * a->act_stride;                       \
      for (int64_t r = r0; r < r1; r++) {                                                \
        const void *w = (const uint8_t *)a->w + r * a->w_stride;                         \
        a->y[t * a->ldy + r] = expr;                                                     \
      }                                                                                  \
    }                                                                                    \
  }

REF_GEMM(gemm_f32, dot_f32(w, x, a->cols))
REF_GEMM(gemm_f16, dot_f16(w, x, a->cols))
REF_GEMM(gemm_bf16, dot_bf16(w, x, a->cols))
REF_GEMM(gemm_q8_0, dot_q8_0(w, x, a->cols))
REF_GEMM(gemm_q4_0, dot_q4_0(w, x, a->cols))

void ssa_attention_ref_f32(const ssa_attn_args *a, int g, int64_t t0, int64_t t1);
void ssa_attention_ref_f16(const ssa_attn_args *a, int g, int64_t t0, int64_t t1);

void ssa_fill_scalar(ssa_kernel_table *t) {
  memset(t, 0, sizeof *t);
  t->name = "scalar";
  t->mm[SSA_TYPE_F32] = (ssa_mm_kernel){no_act, NULL, gemm_f32};
  t->mm[SSA_TYPE_F16] = (ssa_mm_kernel){no_act, NULL, gemm_f16};
  t->mm[SSA_TYPE_BF16] = (ssa_mm_kernel){no_act, NULL, gemm_bf16};
  t->mm[SSA_TYPE_Q8_0] = (ssa_mm_kernel){ssa_act_q8_row_bytes, ssa_quantize_act_q8_ref, gemm_q8_0};
  t->mm[SSA_TYPE_Q4_0] = (ssa_mm_kernel){ssa_act_q8_row_bytes, ssa_quantize_act_q8_ref, gemm_q4_0};
  t->attn[SSA_TYPE_F32] = ssa_attention_ref_f32;
  t->attn[SSA_TYPE_F16] = ssa_attention_ref_f16;
  t->swiglu = ssa_swiglu_ref;
  ssa_fill_repack_scalar(t);
}
