// The small per-token operations of a transformer block, in portable C the compiler vectorizes.
// Each is split across threads by rows only, so results never depend on the thread count.
#include "internal.h"

#include <math.h>

// Below this many rows a parallel region costs more than it saves.
#define PARALLEL_ROWS 16

void ssa_rmsnorm(float *out, const float *x, const float *weight, int64_t dim, int64_t n, float eps) {
  const int nt = ssa_threads();
  (void)nt;  // unused when built without OpenMP
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1 && n >= PARALLEL_ROWS)
  for (int64_t t = 0; t < n; t++) {
    const float *xr = x + t * dim;
    float *o = out + t * dim;
    // 16 partial sums, added pairwise: the compiler keeps them in vector registers (one running
    // sum is a chain of dependent adds, 1.6% of a 2,048-token prefill), and the order is fixed
    float part[16] = {0};
    int64_t i = 0;
    for (; i + 16 <= dim; i += 16)
      for (int j = 0; j < 16; j++) part[j] += xr[i + j] * xr[i + j];
    for (; i < dim; i++) part[i % 16] += xr[i] * xr[i];
    for (int w = 8; w > 0; w /= 2)
      for (int j = 0; j < w; j++) part[j] += part[j + w];
    const float ss = part[0];
    // As HF's Qwen2RMSNorm: x * rsqrt(mean(x^2) + eps), then times the weight.
    const float inv = 1.0f / sqrtf(ss / (float)dim + eps);
    for (i = 0; i < dim; i++) o[i] = (xr[i] * inv) * weight[i];
  }
}

void ssa_add_bias(float *y, int64_t ld, const float *bias, int64_t dim, int64_t n) {
  const int nt = ssa_threads();
  (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1 && n >= PARALLEL_ROWS)
  for (int64_t t = 0; t < n; t++) {
    float *yr = y + t * ld;
    for (int64_t i = 0; i < dim; i++) yr[i] += bias[i];
  }
}

// Elementwise, so chunks of any size give the same bits.
#define ADD_CHUNK 16384

void ssa_add(float *x, const float *y, int64_t len) {
  const int64_t chunks = (len + ADD_CHUNK - 1) / ADD_CHUNK;
  const int nt = ssa_threads();
  (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1 && chunks >= 4)
  for (int64_t c = 0; c < chunks; c++) {
    const int64_t end = (c + 1) * ADD_CHUNK < len ? (c + 1) * ADD_CHUNK : len;
    for (int64_t i = c * ADD_CHUNK; i < end; i++) x[i] += y[i];
  }
}

void ssa_swiglu_ref(float *gate, const float *up, int64_t len) {
  for (int64_t i = 0; i < len; i++) {
    const float g = gate[i];
    gate[i] = g / (1.0f + expf(-g)) * up[i];
  }
}

// Elementwise, so chunks of any size give the same bits.
#define SWIGLU_CHUNK 4096

void ssa_swiglu(float *gate, const float *up, int64_t len) {
  const int64_t chunks = (len + SWIGLU_CHUNK - 1) / SWIGLU_CHUNK;
  const int nt = ssa_threads();
  (void)nt;  // unused when built without OpenMP
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1 && chunks >= 4)
  for (int64_t c = 0; c < chunks; c++) {
    const int64_t i = c * SWIGLU_CHUNK, m = len - i < SWIGLU_CHUNK ? len - i : SWIGLU_CHUNK;
    ssa_kernels.swiglu(gate + i, up + i, m);
  }
}

void ssa_swiglu_rows(float *x, int64_t ld, int64_t n, int64_t len) {
  if (n == 1) {
    ssa_swiglu(x, x + len, len);
    return;
  }
  const int nt = ssa_threads();
  (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
  for (int64_t t = 0; t < n; t++) ssa_kernels.swiglu(x + t * ld, x + t * ld + len, len);
}

void ssa_rope_neox(float *x, int64_t ld, int64_t n, int n_heads, int head_dim, const float *cos_sin) {
  const int half = head_dim / 2;
  const int nt = ssa_threads();
  (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1 && n >= PARALLEL_ROWS)
  for (int64_t t = 0; t < n; t++) {
    const float *c = cos_sin + t * head_dim, *s = c + half;
    for (int h = 0; h < n_heads; h++) {
      float *v = x + t * ld + (int64_t)h * head_dim;
      for (int i = 0; i < half; i++) {
        const float x0 = v[i], x1 = v[i + half];
        v[i] = x0 * c[i] - x1 * s[i];
        v[i + half] = x1 * c[i] + x0 * s[i];
      }
    }
  }
}

void ssa_kv_store(int kv_type, void *cache, int64_t capacity, int n_kv_heads, int head_dim,
                  const float *x, int64_t ld, int64_t pos0, int64_t n) {
  const int nt = ssa_threads();
  (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1 && n >= PARALLEL_ROWS)
  for (int64_t t = 0; t < n; t++) {
    for (int h = 0; h < n_kv_heads; h++) {
      const float *src = x + t * ld + (int64_t)h * head_dim;
      const int64_t at = ((int64_t)h * capacity + pos0 + t) * head_dim;
      if (kv_type == SSA_TYPE_F16) {
        uint16_t *dst = (uint16_t *)cache + at;
        for (int d = 0; d < head_dim; d++) dst[d] = ssa_fp32_to_fp16(src[d]);
      } else {
        memcpy((float *)cache + at, src, (size_t)head_dim * sizeof(float));
      }
    }
  }
}
