// How fast the AMX tile unit is right now, sampled over time: the time of a tile multiply (full
// size, and the prefill GEMM's half size), of a tile load plus a tile store, and of the same count of vector FMAs as a control, in TSC cycles
// (best of 5 short loops per sample, one sample every ~100 ms). On a KVM guest the tile unit may be
// shared with another tenant; this shows whether and how often it is slowed.
//
// clang -O2 -mamx-tile -mamx-int8 -mavx512f tile-probe.c -o tile-probe && ./tile-probe [SECONDS]
// (VERBOSE=1 prints every sample.)
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#define XFEATURE_XTILEDATA 18
#define ARCH_REQ_XCOMP_PERM 0x1023
#define LOOPS 2000

typedef struct {
  uint8_t palette, start_row, reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
} tile_config;

static _Alignas(64) uint8_t src[4][1024], dst[4][1024];

// Cycles per multiply: 8 chains of 4 dependent full-size int8 multiplies (16x16 sums of 64 products).
static double probe_tdp(void) {
  uint64_t t = __rdtsc();
  for (int n = 0; n < LOOPS; n++) {
    _tile_dpbssd(0, 4, 5); _tile_dpbssd(1, 4, 5); _tile_dpbssd(2, 4, 5); _tile_dpbssd(3, 4, 5);
    _tile_dpbssd(0, 4, 5); _tile_dpbssd(1, 4, 5); _tile_dpbssd(2, 4, 5); _tile_dpbssd(3, 4, 5);
  }
  return (double)(__rdtsc() - t) / (8.0 * LOOPS);
}

// The same with the prefill GEMM's half-size multiply: 32 int8 products per sum (one Q8_0 block;
// A: 16 rows of 32 bytes, B: 8 rows of 64).
static double probe_tdp_half(void) {
  uint64_t t = __rdtsc();
  for (int n = 0; n < LOOPS; n++) {
    _tile_dpbssd(0, 6, 7); _tile_dpbssd(1, 6, 7); _tile_dpbssd(2, 6, 7); _tile_dpbssd(3, 6, 7);
    _tile_dpbssd(0, 6, 7); _tile_dpbssd(1, 6, 7); _tile_dpbssd(2, 6, 7); _tile_dpbssd(3, 6, 7);
  }
  return (double)(__rdtsc() - t) / (8.0 * LOOPS);
}

// Cycles per pair: a 16-row tile load and a 16-row tile store (L1-resident, different buffers).
static double probe_ldst(void) {
  uint64_t t = __rdtsc();
  for (int n = 0; n < LOOPS; n++) {
    _tile_loadd(4, src[n & 3], 64);
    _tile_stored(3, dst[n & 3], 64);
  }
  return (double)(__rdtsc() - t) / LOOPS;
}

// Cycles per 32 FMAs on 512-bit registers (8 independent chains), the vector unit as a control.
static double probe_vec(void) {
  __m512 a[8];
  for (int i = 0; i < 8; i++) a[i] = _mm512_set1_ps((float)i);
  const __m512 m = _mm512_set1_ps(0.999f), c = _mm512_set1_ps(0.001f);
  uint64_t t = __rdtsc();
  for (int n = 0; n < LOOPS; n++)
    for (int r = 0; r < 4; r++)
      for (int i = 0; i < 8; i++) a[i] = _mm512_fmadd_ps(a[i], m, c);
  double d = (double)(__rdtsc() - t) / LOOPS;
  float sink = 0;
  for (int i = 0; i < 8; i++) sink += _mm512_reduce_add_ps(a[i]);
  if (sink == 12345.0f) puts("");
  return d;
}

static double best(double (*f)(void)) {
  double b = 1e30;
  for (int r = 0; r < 5; r++) {
    double v = f();
    if (v < b) b = v;
  }
  return b;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void summary(const char *name, double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp);
  int slow = 0;
  for (int i = 0; i < n; i++) slow += v[i] > 1.5 * v[0];
  printf("%-10s min %6.1f  p25 %6.1f  median %6.1f  p75 %6.1f  max %6.1f  samples > 1.5x min: %d of %d\n", name,
         v[0], v[n / 4], v[n / 2], v[3 * n / 4], v[n - 1], slow, n);
}

int main(int argc, char **argv) {
  const double seconds = argc > 1 ? atof(argv[1]) : 20;
  if (syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)) {
    fprintf(stderr, "tile-probe: the kernel does not grant AMX tile data to this process (no AMX?)\n");
    return 1;
  }
  _Alignas(64) tile_config c;
  memset(&c, 0, sizeof c);
  c.palette = 1;
  for (int t = 0; t < 8; t++) c.rows[t] = 16, c.colsb[t] = 64;
  c.colsb[6] = 32, c.rows[7] = 8;  // the half-size multiply's A and B
  _tile_loadconfig(&c);
  memset(src, 1, sizeof src);
  _tile_zero(0); _tile_zero(1); _tile_zero(2); _tile_zero(3);
  _tile_loadd(4, src[0], 64); _tile_loadd(5, src[1], 64); _tile_loadd(6, src[2], 32); _tile_loadd(7, src[3], 64);
  const int max = (int)(seconds * 10) + 1;
  double *tdp = malloc(sizeof(double) * max), *half = malloc(sizeof(double) * max);
  double *ldst = malloc(sizeof(double) * max), *vec = malloc(sizeof(double) * max);
  struct timespec t0, now;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int n = 0;
  const int verbose = getenv("VERBOSE") != NULL;
  if (verbose) printf("seconds    tdp  tdp32   ldst  vec32   (TSC cycles)\n");
  for (; n < max; n++) {
    tdp[n] = best(probe_tdp), half[n] = best(probe_tdp_half), ldst[n] = best(probe_ldst), vec[n] = best(probe_vec);
    clock_gettime(CLOCK_MONOTONIC, &now);
    const double el = (double)(now.tv_sec - t0.tv_sec) + 1e-9 * (double)(now.tv_nsec - t0.tv_nsec);
    if (verbose) printf("%7.2f  %5.1f  %5.1f  %5.1f  %5.1f\n", el, tdp[n], half[n], ldst[n], vec[n]);
    if (el >= seconds) { n++; break; }
    usleep(100000);
  }
  _tile_release();
  // the multiply's timeline, one sample a character: '.' within 1.5x of the fastest sample, 'S' slower
  double fastest = 1e30;
  for (int i = 0; i < n; i++) fastest = tdp[i] < fastest ? tdp[i] : fastest;
  printf("tdp timeline: ");
  for (int i = 0; i < n; i++) putchar(tdp[i] > 1.5 * fastest ? 'S' : '.');
  printf("\n");
  summary("tdp", tdp, n);
  summary("tdp32", half, n);
  summary("ld+st", ldst, n);
  summary("vec32", vec, n);
  return 0;
}
