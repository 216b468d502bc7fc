// Row conversion for the converter and for load-time requantization: F32 rows to any output type,
// rows split across OpenMP threads (each row is independent, so the result is thread-count invariant).
#include "ckernels.h"

#include <string.h>

static void convert_row(int type, const float *src, void *dst, int64_t cols, int search) {
  switch (type) {
    case SSA_TYPE_F32:
      memcpy(dst, src, (size_t)cols * sizeof(float));
      break;
    case SSA_TYPE_F16: {
      uint16_t *out = dst;
      for (int64_t i = 0; i < cols; i++) out[i] = ssa_fp32_to_fp16(src[i]);
      break;
    }
    case SSA_TYPE_BF16: {
      uint16_t *out = dst;
      for (int64_t i = 0; i < cols; i++) out[i] = ssa_fp32_to_bf16(src[i]);
      break;
    }
    case SSA_TYPE_Q8_0:
      if (search) {
        ssa_quantize_row_q8_0_best(src, dst, cols);
      } else {
        ssa_quantize_row_q8_0(src, dst, cols);
      }
      break;
    case SSA_TYPE_Q4_0:
      if (search) {
        ssa_quantize_row_q4_0_best(src, dst, cols);
      } else {
        ssa_quantize_row_q4_0(src, dst, cols);
      }
      break;
    default:
      break;
  }
}

int ssa_can_quantize(int type) {
  return type == SSA_TYPE_F32 || type == SSA_TYPE_F16 || type == SSA_TYPE_BF16 || type == SSA_TYPE_Q8_0 ||
         type == SSA_TYPE_Q4_0;
}

void ssa_quantize_rows(int type, const float *src, void *dst, int64_t rows, int64_t cols, int search) {
  const size_t row_bytes = (size_t)(cols / ssa_type_block_elems(type)) * ssa_type_block_bytes(type);
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    convert_row(type, src + r * cols, (char *)dst + (size_t)r * row_bytes, cols, search);
  }
}

void ssa_dequantize_rows(int type, const void *src, size_t src_row_bytes, float *dst, int64_t rows, int64_t cols) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    ssa_dequantize_row(type, (const char *)src + (size_t)r * src_row_bytes, dst + r * cols, cols);
  }
}

void ssa_fp16_to_fp32_rows(const uint16_t *src, float *dst, int64_t n) {
#pragma omp parallel for schedule(static) if (n > (1 << 16))
  for (int64_t i = 0; i < n; i++) dst[i] = ssa_fp16_to_fp32(src[i]);
}

void ssa_bf16_to_fp32_rows(const uint16_t *src, float *dst, int64_t n) {
  // A shift: inline, so the loop vectorizes.
  uint32_t *out = (uint32_t *)dst;
#pragma omp parallel for schedule(static) if (n > (1 << 16))
  for (int64_t i = 0; i < n; i++) out[i] = (uint32_t)src[i] << 16;
}
