// Weight repacking (8 or 16 rows interleaved per 32-block, see internal.h) and the scalar references
// of the repacked matmuls, which read the interleaved bytes back into each row's element order and
// sum exactly as the GGML-layout reference does (R8), or in the one order every R16 kernel follows.
#include "../internal.h"

#include <math.h>

int ssa_repack_type(int wtype, int64_t rows, int64_t cols) {
  if (cols % QK != 0 || (wtype != SSA_TYPE_Q4_0 && wtype != SSA_TYPE_Q8_0)) return wtype;
  const char *isa = ssa_kernel_isa();
  // AMX multiplies a block of 16 rows as one tile and decode runs 16 rows per 512-bit register;
  // AVX2 (and AVX-512 without AMX, whose kernels share AVX2's 256-bit bodies) takes 8 rows. The
  // scalar kernels would merely read either layout more slowly.
  const int group = strcmp(isa, "amx") == 0 ? 16 : strcmp(isa, "avx2") == 0 || strcmp(isa, "avx512vnni") == 0 ? 8 : 0;
  if (group == 0 || rows % group != 0) return wtype;
  if (group == 16) return wtype == SSA_TYPE_Q4_0 ? SSA_TYPE_Q4_0_R16 : SSA_TYPE_Q8_0_R16;
  return wtype == SSA_TYPE_Q4_0 ? SSA_TYPE_Q4_0_R8 : SSA_TYPE_Q8_0_R8;
}

// Byte offset of (row r of the group, 4-byte group k) in a repacked block's quants: group k holds 4
// bytes of each of the R rows, row after row.
static inline int packed_offset(int R, int r, int k) { return 4 * (R * k + r); }

void ssa_repack(int packed, const void *src, int64_t rows, int64_t cols, void *dst) {
  const int64_t nb = cols / QK;
  const int R = repacked_rows(packed);
  const int q4 = packed == SSA_TYPE_Q4_0_R8 || packed == SSA_TYPE_Q4_0_R16;
  const size_t in_bytes = q4 ? sizeof(block_q4_0) : sizeof(block_q8_0);
  const size_t out_bytes = (size_t)R * in_bytes;  // the scales, then the quants, of R rows
  const int groups = q4 ? QK / 2 / 4 : QK / 4;     // 4-byte groups per row and block
  const int nt = ssa_threads();
  (void)nt;  // unused when built without OpenMP
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1 && rows * cols >= (1 << 18))
  for (int64_t g = 0; g < rows / R; g++) {
    for (int64_t b = 0; b < nb; b++) {
      uint8_t *out = (uint8_t *)dst + (size_t)(g * nb + b) * out_bytes;
      uint16_t *d = (uint16_t *)out;
      uint8_t *qs = out + 2 * R;
      for (int r = 0; r < R; r++) {
        const uint8_t *in = (const uint8_t *)src + (size_t)((g * R + r) * nb + b) * in_bytes;
        memcpy(d + r, in, 2);
        for (int k = 0; k < groups; k++) memcpy(qs + packed_offset(R, r, k), in + 2 + 4 * k, 4);
      }
    }
  }
}

// Element e of row r of a repacked block (R rows), as the signed weight value.
static inline int repacked_value(const uint8_t *blk, int R, int q4, int r, int e) {
  const uint8_t *qs = blk + 2 * R;
  if (q4) {
    const int byte = qs[packed_offset(R, r, (e % 16) / 4) + e % 4];
    return (e < 16 ? byte & 0x0F : byte >> 4) - 8;
  }
  return (int8_t)qs[packed_offset(R, r, e / 4) + e % 4];
}

static inline float repacked_scale(const uint8_t *blk, int r) {
  uint16_t d;
  memcpy(&d, blk + 2 * r, 2);
  return fp16_to_fp32(d);
}

void ssa_dequantize_repacked_row(int type, const void *w, int64_t cols, int64_t row, float *dst) {
  const int64_t nb = cols / QK;
  const int R = repacked_rows(type);
  const int q4 = type == SSA_TYPE_Q4_0_R8 || type == SSA_TYPE_Q4_0_R16;
  const size_t block_bytes = (size_t)R * (q4 ? sizeof(block_q4_0) : sizeof(block_q8_0));
  const int r = (int)(row % R);
  for (int64_t b = 0; b < nb; b++, dst += QK) {
    const uint8_t *blk = (const uint8_t *)w + (size_t)((row / R) * nb + b) * block_bytes;
    const float d = repacked_scale(blk, r);
    // the products GGML's dequantizers compute: Q4_0 d * value, Q8_0 value * d (same bits)
    for (int e = 0; e < QK; e++) dst[e] = d * (float)repacked_value(blk, R, q4, r, e);
  }
}

// R8 sums as the GGML-layout references: sum += isum * (dw * dx). R16 is the layout of the AMX and
// 512-bit kernels, whose per-block step is acc = fma(isum, dw * dx, acc): the reference pins the one
// rounding of the FMA too, so they agree with it bit for bit on any data.
static void gemm_repacked(const ssa_mm_args *a, int64_t r0, int64_t r1, int64_t t0, int64_t t1, int type) {
  const int64_t nb = a->cols / QK;
  const int R = repacked_rows(type);
  const int q4 = type == SSA_TYPE_Q4_0_R8 || type == SSA_TYPE_Q4_0_R16;
  const size_t block_bytes = (size_t)R * (q4 ? sizeof(block_q4_0) : sizeof(block_q8_0));
  for (int64_t t = t0; t < t1; t++) {
    const int8_t *x = (const int8_t *)a->act + t * a->act_stride;
    const float *dx = act_q8_d((void *)x, a->cols);
    for (int64_t r = r0; r < r1; r++) {
      const uint8_t *group = (const uint8_t *)a->w + (size_t)((r / R) * nb) * block_bytes;
      float sum = 0.0f;
      for (int64_t b = 0; b < nb; b++) {
        const uint8_t *blk = group + b * block_bytes;
        int32_t isum = 0;
        for (int e = 0; e < QK; e++) isum += repacked_value(blk, R, q4, (int)(r % R), e) * x[b * QK + e];
        const float dw = repacked_scale(blk, (int)(r % R));
        sum = R == 16 ? fmaf((float)isum, dw * dx[b], sum) : sum + (float)isum * (dw * dx[b]);
      }
      a->y[t * a->ldy + r] = sum;
    }
  }
}

#define REPACKED_GEMM(name, TYPE)                                                                 \
  static void name(const ssa_mm_args *a, int64_t r0, int64_t r1, int64_t t0, int64_t t1) {      \
    gemm_repacked(a, r0, r1, t0, t1, TYPE);                                                     \
  }
REPACKED_GEMM(gemm_q4_0_r8, SSA_TYPE_Q4_0_R8)
REPACKED_GEMM(gemm_q8_0_r8, SSA_TYPE_Q8_0_R8)
REPACKED_GEMM(gemm_q4_0_r16, SSA_TYPE_Q4_0_R16)
REPACKED_GEMM(gemm_q8_0_r16, SSA_TYPE_Q8_0_R16)

void ssa_fill_repack_scalar(ssa_kernel_table *t) {
  t->mm[SSA_TYPE_Q4_0_R8] = (ssa_mm_kernel){ssa_act_q8_row_bytes, ssa_quantize_act_q8_ref, gemm_q4_0_r8};
  t->mm[SSA_TYPE_Q8_0_R8] = (ssa_mm_kernel){ssa_act_q8_row_bytes, ssa_quantize_act_q8_ref, gemm_q8_0_r8};
  t->mm[SSA_TYPE_Q4_0_R16] = (ssa_mm_kernel){ssa_act_q8_row_bytes, ssa_quantize_act_q8_ref, gemm_q4_0_r16};
  t->mm[SSA_TYPE_Q8_0_R16] = (ssa_mm_kernel){ssa_act_q8_row_bytes, ssa_quantize_act_q8_ref, gemm_q8_0_r16};
}
