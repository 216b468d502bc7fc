// Where a block of the AMX prefill GEMM spends its time: the kernel's per-block step (tile loads of
// 16 tokens' activations and 16 rows' weights, a zeroed int32 tile, one TDPBSSD, a tile store, then
// the 16 vector scale-and-add steps of a block stored one step earlier, as amx.c's tile_16x16 does)
// and the same step with parts left out, in TSC cycles per 16 x 16 block (L1/L2-resident data, so
// memory is not measured). If the tile unit and the vector unit worked at the same time, the whole
// step would take about the longer of "tile work" and "scaling"; if it takes their sum, they do not.
//
// clang -O2 -march=sapphirerapids gemm-probe.c -o gemm-probe && taskset -c 1 ./gemm-probe [SAMPLES]
// (best, p25 and median of SAMPLES samples, each the best of 20 passes; on a shared VM the tile unit
// is slowed part of the time, see tile-probe.c, so the best is the unshared speed.)
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <x86intrin.h>

#define INLINE static inline __attribute__((always_inline))
#define QK 32
#define NB 28  // blocks of a 896-column row (the model's hidden size)
#define G 8    // row groups of 16
#define TT 4   // token tiles of 16

typedef struct {
  uint8_t palette, start_row, reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
} tile_config;

enum { C0 = 0, C1 = 1, A0 = 2, B0 = 3, A1 = 4, B1 = 5 };

// What a variant runs of each block's step.
typedef struct {
  const char *name;
  int loads, zero, multiply, store, scale;
} variant;

static const variant variants[] = {
    {"whole step", 1, 1, 1, 1, 1},
    {"tile work (loads, zero, multiply, store)", 1, 1, 1, 1, 0},
    {"scaling alone", 0, 0, 0, 0, 1},
    {"zero + multiply", 0, 1, 1, 0, 0},
    {"zero + multiply + scaling", 0, 1, 1, 0, 1},
    {"loads + store", 1, 0, 0, 1, 0},
    {"loads + store + scaling", 1, 0, 0, 1, 1},
};
#define NV (int)(sizeof variants / sizeof variants[0])

static _Alignas(64) uint8_t W[G][NB][544];  // the R16 layout: 16 fp16 scales, then the B tile
static _Alignas(64) int8_t X[TT * 16][NB * QK + 64];
static _Alignas(64) float DX[TT][NB][16];
static _Alignas(64) float OUT[TT][G][256];
static variant V;

// acc[i] += isum[i] * (dw * dx[i]): amx.c's scale_add.
INLINE void scale_add(__m512 acc[16], const int32_t *c, const float *dx, const void *d16) {
  const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)d16));
  for (int i = 0; i < 16; i++)
    acc[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_load_si512(c + 16 * i)), _mm512_mul_ps(dw, _mm512_set1_ps(dx[i])), acc[i]);
}

#define STEP(j, bi)                                                                                  \
  do {                                                                                               \
    const int b_ = (bi);                                                                             \
    if (V.loads) _tile_loadd((j) ? A1 : A0, x + b_ * QK, sizeof X[0]);                              \
    if (V.loads) _tile_loadd((j) ? B1 : B0, w + b_ * 544 + 32, 64);                                 \
    if (V.zero) _tile_zero((j) ? C1 : C0);                                                           \
    if (V.multiply) _tile_dpbssd((j) ? C1 : C0, (j) ? A1 : A0, (j) ? B1 : B0);                      \
    if (V.store && b_ >= 1) _tile_stored((j) ? C0 : C1, c[(b_ - 1) & 3], 64);                       \
    if (V.scale && b_ >= 2) scale_add(acc, c[(b_ - 2) & 3], dx + (b_ - 2) * 16, w + (b_ - 2) * 544); \
  } while (0)

__attribute__((noinline)) static void row_group(__m512 acc[16], const int8_t *x, const float *dx, const uint8_t *w) {
  _Alignas(64) int32_t c[4][256] = {{0}};
  for (int b = 0; b < NB; b += 2) {
    STEP(0, b);
    STEP(1, b + 1);
  }
}

static double pass(void) {
  const uint64_t t = __rdtsc();
  for (int tt = 0; tt < TT; tt++)
    for (int g = 0; g < G; g++) {
      __m512 acc[16];
      for (int i = 0; i < 16; i++) acc[i] = _mm512_setzero_ps();
      row_group(acc, X[tt * 16], DX[tt][0], W[g][0]);
      for (int i = 0; i < 16; i++) _mm512_store_ps(OUT[tt][g] + 16 * i, acc[i]);
    }
  return (double)(__rdtsc() - t) / (TT * G * NB);
}

static int cmp(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18 /* XTILEDATA */)) {
    fprintf(stderr, "gemm-probe: the kernel does not grant AMX tile data to this process (no AMX?)\n");
    return 1;
  }
  const int samples = argc > 1 ? atoi(argv[1]) : 60;
  if (samples < 1 || samples > 10000) {
    fprintf(stderr, "gemm-probe: SAMPLES must be 1 to 10000\n");
    return 1;
  }
  for (size_t i = 0; i < sizeof W; i++) ((uint8_t *)W)[i] = (uint8_t)(i * 7);
  for (int g = 0; g < G; g++)
    for (int b = 0; b < NB; b++)
      for (int r = 0; r < 16; r++) memcpy(&W[g][b][2 * r], &(uint16_t){0x3c00}, 2);
  for (size_t i = 0; i < sizeof X; i++) ((int8_t *)X)[i] = (int8_t)(i * 13);
  for (size_t i = 0; i < sizeof DX / 4; i++) ((float *)DX)[i] = 0.01f;
  _Alignas(64) tile_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.palette = 1;
  cfg.rows[C0] = cfg.rows[C1] = 16, cfg.colsb[C0] = cfg.colsb[C1] = 64;
  cfg.rows[A0] = cfg.rows[A1] = 16, cfg.colsb[A0] = cfg.colsb[A1] = QK;
  cfg.rows[B0] = cfg.rows[B1] = 8, cfg.colsb[B0] = cfg.colsb[B1] = 64;
  _tile_loadconfig(&cfg);
  // variants without loads multiply what these hold: real data (the multiply may be faster on zeros)
  _tile_loadd(A0, X[0], sizeof X[0]), _tile_loadd(A1, X[0] + QK, sizeof X[0]);
  _tile_loadd(B0, W[0][0] + 32, 64), _tile_loadd(B1, W[0][1] + 32, 64);
  double *all = malloc(sizeof(double) * NV * samples);
  for (int s = 0; s < samples; s++) {
    for (int v = 0; v < NV; v++) {  // variants alternate, so they see the same conditions
      V = variants[v];
      double best = 1e30;
      for (int r = 0; r < 20; r++) {
        const double c = pass();
        best = c < best ? c : best;
      }
      all[v * samples + s] = best;
    }
    usleep(20000);
  }
  _tile_release();
  printf("cycles (TSC) per 16 x 16 block, %d samples    best    p25  median\n", samples);
  for (int v = 0; v < NV; v++) {
    double *a = all + v * samples;
    qsort(a, (size_t)samples, sizeof *a, cmp);
    printf("%-45s %7.1f %6.1f %7.1f\n", variants[v].name, a[0], a[samples / 4], a[samples / 2]);
  }
  free(all);
  return 0;
}
