// Scalar stand-ins for the AMX tile intrinsics amx.c uses, so tools/check_amx.sh can run the AMX
// kernels on a CPU without AMX: eight tile registers per thread, shaped by _tile_loadconfig, with
// the instructions' semantics (Intel SDM: LDTILECFG, TILELOADD, TILESTORED, TILEZERO, TDPBSSD,
// TDPBF16PS).
// Using a tile that the configuration leaves empty, or shapes TDPBSSD cannot combine, aborts, as the
// hardware would fault. Only compiled in with SSA_EMULATE_AMX.
#ifndef SSA_AMX_EMULATION_H
#define SSA_AMX_EMULATION_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  uint8_t palette, start_row, reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
} emu_tile_config;

static _Thread_local struct {
  emu_tile_config cfg;
  uint8_t tile[8][16][64];
} emu_amx;

static inline void emu_fault(const char *what, int t) {
  fprintf(stderr, "AMX emulation: %s (tile %d)\n", what, t);
  abort();
}

static inline void emu_need(int t) {
  if (emu_amx.cfg.palette != 1 || emu_amx.cfg.rows[t] == 0 || emu_amx.cfg.colsb[t] == 0) emu_fault("tile not configured", t);
}

static inline void emu_loadconfig(const void *cfg) {
  memcpy(&emu_amx.cfg, cfg, sizeof emu_amx.cfg);
  memset(emu_amx.tile, 0, sizeof emu_amx.tile);
}

static inline void emu_release(void) { memset(&emu_amx, 0, sizeof emu_amx); }

static inline void emu_loadd(int t, const void *base, size_t stride) {
  emu_need(t);
  for (int r = 0; r < emu_amx.cfg.rows[t]; r++) memcpy(emu_amx.tile[t][r], (const uint8_t *)base + (size_t)r * stride, emu_amx.cfg.colsb[t]);
}

static inline void emu_stored(int t, void *base, size_t stride) {
  emu_need(t);
  for (int r = 0; r < emu_amx.cfg.rows[t]; r++) memcpy((uint8_t *)base + (size_t)r * stride, emu_amx.tile[t][r], emu_amx.cfg.colsb[t]);
}

static inline void emu_zero(int t) {
  emu_need(t);
  memset(emu_amx.tile[t], 0, sizeof emu_amx.tile[t]);
}

// C (M x N 4-byte elements) += A (M x K 4-byte groups) . B (K x N 4-byte groups), as the dot-product
// instructions require: all three configured, A's rows M, B's rows K, B's width C's.
static inline void emu_check_shapes(int c, int a, int b, const char *op) {
  emu_need(c), emu_need(a), emu_need(b);
  const emu_tile_config *g = &emu_amx.cfg;
  if (g->rows[a] != g->rows[c] || g->rows[b] != g->colsb[a] / 4 || g->colsb[b] != g->colsb[c]) {
    fprintf(stderr, "AMX emulation: %s shapes do not match (tile %d)\n", op, c);
    abort();
  }
}

// C[m][n] += sum over k of A[m][4k + i] * B[k][4n + i], i < 4: signed bytes, int32 sums.
static inline void emu_dpbssd(int c, int a, int b) {
  emu_check_shapes(c, a, b, "TDPBSSD");
  const int M = emu_amx.cfg.rows[c], N = emu_amx.cfg.colsb[c] / 4, K = emu_amx.cfg.colsb[a] / 4;
  for (int m = 0; m < M; m++) {
    for (int n = 0; n < N; n++) {
      int32_t sum;
      memcpy(&sum, &emu_amx.tile[c][m][4 * n], 4);
      for (int k = 0; k < K; k++)
        for (int i = 0; i < 4; i++) sum += (int8_t)emu_amx.tile[a][m][4 * k + i] * (int8_t)emu_amx.tile[b][k][4 * n + i];
      memcpy(&emu_amx.tile[c][m][4 * n], &sum, 4);
    }
  }
}

static inline float emu_bf16(const uint8_t *p) {
  uint32_t bits = (uint32_t)(p[0] | p[1] << 8) << 16;
  if ((bits & 0x7F800000u) == 0) bits &= 0x80000000u;  // denormals are zeros
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

// C[m][n] += sum over k of A[m][2k + i] * B[k][2n + i], i < 2: bf16 pairs, fp32 sums (the SDM's
// order: per k, the two products added in turn; denormal results flushed).
static inline void emu_dpbf16ps(int c, int a, int b) {
  emu_check_shapes(c, a, b, "TDPBF16PS");
  const int M = emu_amx.cfg.rows[c], N = emu_amx.cfg.colsb[c] / 4, K = emu_amx.cfg.colsb[a] / 4;
  for (int m = 0; m < M; m++) {
    for (int n = 0; n < N; n++) {
      float sum;
      memcpy(&sum, &emu_amx.tile[c][m][4 * n], 4);
      for (int k = 0; k < K; k++) {
        for (int i = 0; i < 2; i++) {
          sum += emu_bf16(&emu_amx.tile[a][m][4 * k + 2 * i]) * emu_bf16(&emu_amx.tile[b][k][4 * n + 2 * i]);
          if (sum != 0 && __builtin_fabsf(sum) < 1.17549435e-38f) sum = __builtin_copysignf(0.0f, sum);
        }
      }
      memcpy(&emu_amx.tile[c][m][4 * n], &sum, 4);
    }
  }
}

#undef _tile_loadconfig
#undef _tile_release
#undef _tile_loadd
#undef _tile_stored
#undef _tile_zero
#undef _tile_dpbssd
#undef _tile_dpbf16ps
#define _tile_loadconfig(cfg) emu_loadconfig(cfg)
#define _tile_release() emu_release()
#define _tile_loadd(t, base, stride) emu_loadd(t, base, (size_t)(stride))
#define _tile_stored(t, base, stride) emu_stored(t, base, (size_t)(stride))
#define _tile_zero(t) emu_zero(t)
#define _tile_dpbssd(c, a, b) emu_dpbssd(c, a, b)
#define _tile_dpbf16ps(c, a, b) emu_dpbf16ps(c, a, b)

#endif
