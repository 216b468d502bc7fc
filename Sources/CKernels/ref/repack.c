// Weight repacking (8 rows interleaved per 32-block, see internal.h) and the scalar reference of the
// repacked matmul, which reads the interleaved bytes back into each row's element order and sums
// exactly as the GGML-layout reference does.
#include "../internal.h"

int ssa_repack_type(int wtype, int64_t rows, int64_t cols) {
  if (rows % 8 != 0 || cols % QK != 0) return wtype;
  // Only SIMD kernels gain from the layout; the scalar ones would merely read it more slowly.
  if (strcmp(ssa_kernel_isa(), "avx2") != 0 && strcmp(ssa_kernel_isa(), "avx512vnni") != 0) return wtype;
  if (wtype == SSA_TYPE_Q4_0) return SSA_TYPE_Q4_0_R8;
  if (wtype == SSA_TYPE_Q8_0) return SSA_TYPE_Q8_0_R8;
  return wtype;
}

void ssa_repack(int wtype, const void *src, int64_t rows, int64_t cols, void *dst) {
  const int64_t nb = cols / QK;
  const int nt = ssa_threads();
  (void)nt;  // unused when built without OpenMP
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1 && rows * cols >= (1 << 18))
  for (int64_t g = 0; g < rows / 8; g++) {
    for (int64_t b = 0; b < nb; b++) {
      if (wtype == SSA_TYPE_Q4_0) {
        block_q4_0_r8 *out = (block_q4_0_r8 *)dst + g * nb + b;
        for (int r = 0; r < 8; r++) {
          const block_q4_0 *in = (const block_q4_0 *)src + (g * 8 + r) * nb + b;
          out->d[r] = in->d;
          for (int k = 0; k < 4; k++) memcpy(out->qs + 32 * k + 4 * r, in->qs + 4 * k, 4);
        }
      } else {
        block_q8_0_r8 *out = (block_q8_0_r8 *)dst + g * nb + b;
        for (int r = 0; r < 8; r++) {
          const block_q8_0 *in = (const block_q8_0 *)src + (g * 8 + r) * nb + b;
          out->d[r] = in->d;
          for (int k = 0; k < 8; k++) memcpy(out->qs + 32 * k + 4 * r, in->qs + 4 * k, 4);
        }
      }
    }
  }
}

// Element e of row r (0..7) of a repacked block, as the signed weight value.
static inline int q4_0_r8_value(const block_q4_0_r8 *b, int r, int e) {
  const int k = (e % 16) / 4, byte = b->qs[32 * k + 4 * r + e % 4];
  return (e < 16 ? byte & 0x0F : byte >> 4) - 8;
}

static inline int q8_0_r8_value(const block_q8_0_r8 *b, int r, int e) {
  return b->qs[32 * (e / 4) + 4 * r + e % 4];
}

void ssa_dequantize_repacked_row(int type, const void *w, int64_t cols, int64_t row, float *dst) {
  const int64_t nb = cols / QK;
  const int r = (int)(row % 8);
  for (int64_t b = 0; b < nb; b++, dst += QK) {
    if (type == SSA_TYPE_Q4_0_R8) {
      const block_q4_0_r8 *blk = (const block_q4_0_r8 *)w + (row / 8) * nb + b;
      const float d = fp16_to_fp32(blk->d[r]);
      for (int e = 0; e < QK; e++) dst[e] = d * (float)q4_0_r8_value(blk, r, e);
    } else {
      const block_q8_0_r8 *blk = (const block_q8_0_r8 *)w + (row / 8) * nb + b;
      const float d = fp16_to_fp32(blk->d[r]);
      for (int e = 0; e < QK; e++) dst[e] = (float)q8_0_r8_value(blk, r, e) * d;
    }
  }
}

static void gemm_r8(const ssa_mm_args *a, int64_t r0, int64_t r1, int64_t t0, int64_t t1, int q4) {
  const int64_t nb = a->cols / QK;
  const size_t block_bytes = q4 ? sizeof(block_q4_0_r8) : sizeof(block_q8_0_r8);
  for (int64_t t = t0; t < t1; t++) {
    const int8_t *x = (const int8_t *)a->act + t * a->act_stride;
    const float *dx = act_q8_d((void *)x, a->cols);
    for (int64_t r = r0; r < r1; r++) {
      const uint8_t *group = (const uint8_t *)a->w + (r / 8) * nb * block_bytes;
      float sum = 0.0f;
      for (int64_t b = 0; b < nb; b++) {
        const void *blk = group + b * block_bytes;
        int32_t isum = 0;
        for (int e = 0; e < QK; e++) {
          const int w = q4 ? q4_0_r8_value(blk, (int)(r % 8), e) : q8_0_r8_value(blk, (int)(r % 8), e);
          isum += w * x[b * QK + e];
        }
        const uint16_t d = q4 ? ((const block_q4_0_r8 *)blk)->d[r % 8] : ((const block_q8_0_r8 *)blk)->d[r % 8];
        sum += (float)isum * (fp16_to_fp32(d) * dx[b]);
      }
      a->y[t * a->ldy + r] = sum;
    }
  }
}

static void gemm_q4_0_r8(const ssa_mm_args *a, int64_t r0, int64_t r1, int64_t t0, int64_t t1) {
  gemm_r8(a, r0, r1, t0, t1, 1);
}

static void gemm_q8_0_r8(const ssa_mm_args *a, int64_t r0, int64_t r1, int64_t t0, int64_t t1) {
  gemm_r8(a, r0, r1, t0, t1, 0);
}

void ssa_fill_repack_scalar(ssa_kernel_table *t) {
  t->mm[SSA_TYPE_Q4_0_R8] = (ssa_mm_kernel){ssa_act_q8_row_bytes, ssa_quantize_act_q8_ref, gemm_q4_0_r8};
  t->mm[SSA_TYPE_Q8_0_R8] = (ssa_mm_kernel){ssa_act_q8_row_bytes, ssa_quantize_act_q8_ref, gemm_q8_0_r8};
}
