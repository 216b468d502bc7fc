// A standalone check of one instruction set's kernels against the scalar references, for ISAs this
// machine cannot run natively: tools/check_avx512.sh (simde emulation), tools/check_amx.sh (scalar
// tile registers, and simde without AVX-512) and tools/check_neon.sh (cross-compiled, run under
// qemu-aarch64) build it with the kernel sources. The Swift tests do the same for the ISAs the CPU has.
//
// For each weight type and awkward shape it compares ssa_matmul (1 and 2 threads) with the scalar
// table: bit for bit on integer-valued data whose sums are exact in float (so the int8 block sums
// must be exact), within a relative 2e-5 on random data; then attention and SwiGLU within 2e-5.
// With a second fast table (x86: AVX2 next to AVX-512), also requires the two to agree bit for bit.
#include "../Sources/CKernels/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}
static float uniform(void) { return (float)((next() >> 40) / (double)(1 << 24)) * 2.0f - 1.0f; }
static int irange(int lo, int hi) { return lo + (int)(next() % (uint64_t)(hi - lo + 1)); }

static int failures = 0;
#define CHECK(cond, ...)          \
  do {                            \
    if (!(cond)) {                \
      failures++;                 \
      if (failures < 20) {        \
        printf("FAIL: ");         \
        printf(__VA_ARGS__);      \
        printf("\n");             \
      }                           \
    }                             \
  } while (0)

static void encode(int type, const float *x, void *dst, int64_t rows, int64_t cols) {
  if (type == SSA_TYPE_Q4_0_R8 || type == SSA_TYPE_Q8_0_R8 || type == SSA_TYPE_Q4_0_R16 || type == SSA_TYPE_Q8_0_R16) {
    const int base = type == SSA_TYPE_Q4_0_R8 || type == SSA_TYPE_Q4_0_R16 ? SSA_TYPE_Q4_0 : SSA_TYPE_Q8_0;
    const size_t bytes = (size_t)rows * (size_t)(cols / 32) * ssa_type_block_bytes(base);
    void *plain = malloc(bytes);
    encode(base, x, plain, rows, cols);
    ssa_repack(type, plain, rows, cols, dst);
    free(plain);
    return;
  }
  const size_t rb = (size_t)(cols / ssa_type_block_elems(type)) * ssa_type_block_bytes(type);
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * cols;
    uint8_t *d = (uint8_t *)dst + r * rb;
    switch (type) {
      case SSA_TYPE_F32: memcpy(d, xr, (size_t)cols * 4); break;
      case SSA_TYPE_F16: for (int64_t i = 0; i < cols; i++) ((uint16_t *)d)[i] = ssa_fp32_to_fp16(xr[i]); break;
      case SSA_TYPE_BF16: for (int64_t i = 0; i < cols; i++) ((uint16_t *)d)[i] = ssa_fp32_to_bf16(xr[i]); break;
      case SSA_TYPE_Q8_0: ssa_quantize_row_q8_0(xr, d, cols); break;
      case SSA_TYPE_Q4_0: ssa_quantize_row_q4_0(xr, d, cols); break;
    }
  }
}

static void run_matmul(const ssa_kernel_table *t, int threads, int type, const void *w, int64_t rows, int64_t cols,
                       const float *x, int64_t n, float *y) {
  ssa_kernels = *t;
  ssa_set_threads(threads);
  // room for tile kernels' padding (16 tokens) and their second copy of the scales (matmul.c)
  const size_t bytes = (ssa_act_q8_row_bytes(cols) + (size_t)cols / 8) * (size_t)(n + 16);
  void *scratch = aligned_alloc(64, (bytes + 63) / 64 * 64);
  ssa_matmul(type, w, rows, cols, x, cols, n, y, rows, scratch);
  free(scratch);
}

static void check_matmul(const ssa_kernel_table *ref, const ssa_kernel_table *fast, const ssa_kernel_table *twin) {
  const int types[] = {SSA_TYPE_F32, SSA_TYPE_F16, SSA_TYPE_BF16, SSA_TYPE_Q8_0, SSA_TYPE_Q4_0,
                       SSA_TYPE_Q8_0_R8, SSA_TYPE_Q4_0_R8, SSA_TYPE_Q8_0_R16, SSA_TYPE_Q4_0_R16};
  const int64_t shapes[][3] = {{1, 32, 1}, {7, 64, 1}, {45, 96, 3}, {67, 160, 1}, {33, 288, 7}, {130, 320, 19}, {50, 896, 37}};
  const int64_t shapes_r8[][3] = {{8, 32, 1}, {16, 64, 2}, {48, 96, 3}, {64, 160, 5}, {40, 288, 7}, {136, 320, 19}, {56, 896, 37}};
  // 16-row groups; partial AMX tiles of tokens, a row longer than one expanded Q4_0 chunk, 2 items
  const int64_t shapes_r16[][3] = {{16, 32, 1}, {32, 64, 2}, {48, 96, 17}, {64, 160, 5}, {48, 2112, 20}, {144, 320, 19}, {80, 896, 130}};
  for (int ti = 0; ti < 9; ti++) {
    const int type = types[ti], r8 = type == SSA_TYPE_Q4_0_R8 || type == SSA_TYPE_Q8_0_R8;
    const int r16 = type == SSA_TYPE_Q4_0_R16 || type == SSA_TYPE_Q8_0_R16;
    const int q4 = type == SSA_TYPE_Q4_0 || type == SSA_TYPE_Q4_0_R8 || type == SSA_TYPE_Q4_0_R16;
    for (int si = 0; si < 7; si++) {
      const int64_t (*sh)[3] = r16 ? shapes_r16 : r8 ? shapes_r8 : shapes;
      const int64_t rows = sh[si][0], cols = sh[si][1], n = sh[si][2];
      for (int exact = 0; exact < 2; exact++) {
        float *wf = malloc(sizeof(float) * rows * cols), *x = malloc(sizeof(float) * n * cols);
        // exact: small integers with one block maximum, power-of-two weight scales (see the Swift
        // test testISAsAgreeBitwiseOnExactData); otherwise uniform random values.
        for (int64_t b = 0; b < rows * cols / 32; b++) {
          const float scale = 1.0f / (float)(1 << irange(0, 2));
          for (int j = 0; j < 32; j++) {
            wf[b * 32 + j] = exact ? (q4 ? irange(-7, 7) : irange(-15, 15)) * scale : uniform();
          }
          if (exact) wf[b * 32 + irange(0, 31)] = (q4 ? -8 : 127) * scale;
        }
        for (int64_t b = 0; b < n * cols / 32; b++) {
          for (int j = 0; j < 32; j++) x[b * 32 + j] = exact ? (float)irange(-15, 15) : 3 * uniform();
          if (exact) x[b * 32 + irange(0, 31)] = irange(0, 1) ? 127 : -127;
        }
        const size_t wbytes = (size_t)rows * (size_t)(cols / ssa_type_block_elems(type)) * ssa_type_block_bytes(type);
        void *w = malloc(wbytes);
        encode(type, wf, w, rows, cols);
        float *y0 = malloc(sizeof(float) * n * rows), *y1 = malloc(sizeof(float) * n * rows);
        float *y2 = malloc(sizeof(float) * n * rows), *y3 = malloc(sizeof(float) * n * rows);
        run_matmul(ref, 1, type, w, rows, cols, x, n, y0);
        run_matmul(fast, 1, type, w, rows, cols, x, n, y1);
        run_matmul(fast, 2, type, w, rows, cols, x, n, y2);
        if (twin) run_matmul(twin, 2, type, w, rows, cols, x, n, y3);
        for (int64_t i = 0; i < n * rows; i++) {
          const float tol = 2e-5f * (1.0f + fabsf(y0[i])) * sqrtf((float)cols);
          // R16 kernels all take the reference's per-block step: bit for bit on any data
          if (exact || r16) CHECK(y1[i] == y0[i], "matmul type %d %lldx%lld n=%lld exact [%lld]: %g vs %g", type, (long long)rows, (long long)cols, (long long)n, (long long)i, y1[i], y0[i]);
          else CHECK(fabsf(y1[i] - y0[i]) <= tol, "matmul type %d %lldx%lld n=%lld [%lld]: %g vs %g", type, (long long)rows, (long long)cols, (long long)n, (long long)i, y1[i], y0[i]);
          CHECK(memcmp(&y1[i], &y2[i], 4) == 0, "matmul type %d threads 1 vs 2 differ at %lld", type, (long long)i);
          if (twin) CHECK(memcmp(&y2[i], &y3[i], 4) == 0, "matmul type %d: ISAs differ at %lld: %g vs %g", type, (long long)i, y2[i], y3[i]);
        }
        free(wf); free(x); free(w); free(y0); free(y1); free(y2); free(y3);
      }
    }
  }
}

static void run_attention(const ssa_kernel_table *t, int threads, int kv, const void *k, const void *v, int64_t cap,
                          int heads, int kvh, int hd, const float *q, int64_t pos0, int64_t n, float *out) {
  ssa_kernels = *t;
  ssa_set_threads(threads);
  ssa_attention(kv, k, v, cap, heads, kvh, hd, 1.0f / sqrtf((float)hd), q, (int64_t)heads * hd, pos0, n, out,
                (int64_t)heads * hd, NULL);
}

static void check_attention(const ssa_kernel_table *ref, const ssa_kernel_table *fast) {
  const int cases[][5] = {{2, 1, 8, 0, 1}, {4, 2, 16, 0, 13}, {14, 2, 64, 5, 37}, {14, 2, 64, 1500, 1}, {6, 3, 32, 70, 90}};
  for (int c = 0; c < 5; c++) {
    const int heads = cases[c][0], kvh = cases[c][1], hd = cases[c][2];
    const int64_t pos0 = cases[c][3], n = cases[c][4], cap = pos0 + n + 3;
    for (int kv = 0; kv <= 1; kv++) {
      float *kx = malloc(sizeof(float) * cap * kvh * hd), *vx = malloc(sizeof(float) * cap * kvh * hd);
      for (int64_t i = 0; i < cap * kvh * hd; i++) { kx[i] = 2 * uniform(); vx[i] = uniform(); }
      void *k = calloc((size_t)cap * kvh * hd, 4), *v = calloc((size_t)cap * kvh * hd, 4);
      ssa_kv_store(kv, k, cap, kvh, hd, kx, (int64_t)kvh * hd, 0, pos0 + n);
      ssa_kv_store(kv, v, cap, kvh, hd, vx, (int64_t)kvh * hd, 0, pos0 + n);
      float *q = malloc(sizeof(float) * n * heads * hd);
      for (int64_t i = 0; i < n * heads * hd; i++) q[i] = 2 * uniform();
      float *o0 = malloc(sizeof(float) * n * heads * hd), *o1 = malloc(sizeof(float) * n * heads * hd);
      float *o2 = malloc(sizeof(float) * n * heads * hd);
      run_attention(ref, 1, kv, k, v, cap, heads, kvh, hd, q, pos0, n, o0);
      run_attention(fast, 1, kv, k, v, cap, heads, kvh, hd, q, pos0, n, o1);
      run_attention(fast, 2, kv, k, v, cap, heads, kvh, hd, q, pos0, n, o2);
      for (int64_t i = 0; i < n * heads * hd; i++) {
        CHECK(fabsf(o1[i] - o0[i]) <= 2e-5f, "attention case %d kv %d [%lld]: %g vs %g", c, kv, (long long)i, o1[i], o0[i]);
        CHECK(memcmp(&o1[i], &o2[i], 4) == 0, "attention case %d kv %d: threads 1 vs 2 differ", c, kv);
      }
      free(kx); free(vx); free(k); free(v); free(q); free(o0); free(o1); free(o2);
    }
  }
}

static void check_swiglu(const ssa_kernel_table *ref, const ssa_kernel_table *fast) {
  const int64_t len = 1037;
  float g0[1037], g1[1037], up[1037];
  for (int64_t i = 0; i < len; i++) { g0[i] = g1[i] = 12 * uniform(); up[i] = uniform(); }
  ref->swiglu(g0, up, len);
  fast->swiglu(g1, up, len);
  for (int64_t i = 0; i < len; i++) CHECK(fabsf(g1[i] - g0[i]) <= 2e-6f * (1 + fabsf(g0[i])), "swiglu [%lld]: %g vs %g", (long long)i, g1[i], g0[i]);
}

int main(void) {
  ssa_kernel_table ref, fast;
  ssa_fill_scalar(&ref);
  ssa_fill_scalar(&fast);
#if defined(SSA_CHECK_AMX)
  // AMX on top of AVX-512; the AVX-512 table (its R16 vector kernels) is the bitwise twin
  static ssa_kernel_table twin;
  ssa_fill_scalar(&twin);
  ssa_fill_avx512(&twin);
  ssa_fill_avx512(&fast);
  ssa_fill_amx(&fast);
  const ssa_kernel_table *second = &twin;
  const char *name = "amx (emulated tiles) vs scalar and avx512vnni";
#elif defined(__aarch64__)
  ssa_fill_neon(&fast);
  const ssa_kernel_table *second = NULL;
  const char *name = ssa_cpu_has_dotprod() ? "neon with dotprod" : "neon without dotprod";
#else
  static ssa_kernel_table twin;
  ssa_fill_scalar(&twin);
  ssa_fill_avx2(&twin);
  ssa_fill_avx2(&fast);
  ssa_fill_avx512(&fast);
  const ssa_kernel_table *second = &twin;
  const char *name = "avx512vnni (emulated) vs scalar and avx2";
#endif
  check_matmul(&ref, &fast, second);
  check_attention(&ref, &fast);
  check_swiglu(&ref, &fast);
  printf("%s: %s (%d failures)\n", name, failures ? "FAILED" : "all checks passed", failures);
  return failures != 0;
}
