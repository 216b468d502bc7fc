// AMX kernels (Sapphire Rapids and later): the prefill GEMM of 16-row repacked Q8_0 and Q4_0 weights
// on the tile unit. One TDPBSSD multiplies a 32-element block of 16 tokens' int8 activations by the
// same block of 16 weight rows into 16 x 16 exact int32 sums; the vector unit then scales them into
// float accumulators, acc = fma(isum, dw * dx, acc), the per-block step of every R16 kernel (and of
// the GGML-layout Q8_0 kernels), so the results equal the AVX-512 decode kernel's and the scalar
// reference's bit for bit.
//
// Scaling a block's 256 sums (store the tile, then per token a convert, a multiply and an FMA on 16
// lanes: 48 vector instructions) is the bound, not the tile unit: two blocks are in flight so that the
// unit can multiply one while the vector unit scales the other, but they overlap only in part
// (measured in isolation: about 20 cycles a block for the tile work alone, 50 with the scaling). Q4_0
// blocks are first expanded to signed int8 B tiles, KC blocks of a row group at a time, and reused by
// every token tile of the item.
//
// tools/check_amx.sh builds this file with SSA_EMULATE_AMX (scalar tile registers, amx_emulation.h)
// and, on a CPU without AVX-512, SSA_EMULATE_AVX512 (simde), so the logic is tested anywhere.
#if defined(__x86_64__)
#include "../internal.h"

#include <immintrin.h>
#ifdef SSA_EMULATE_AVX512
#include "avx512_emulation.h"
#endif
#ifdef SSA_EMULATE_AMX
#include "amx_emulation.h"
#endif

#if defined(SSA_EMULATE_AVX512)
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)
#elif defined(SSA_EMULATE_AMX)
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni"))), apply_to = function)
#else
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni,amx-tile,amx-int8"))), apply_to = function)
#endif

#define INLINE static inline __attribute__((always_inline))

// Q4_0 blocks expanded at a time (64 x 512 bytes of B tiles stay in L1), and tokens per pass (their
// accumulators wait in a buffer between the chunks of a long row).
#define KC 64
#define TB 256

// Tile registers: two sets, for even and odd blocks, of C (16 tokens x 16 rows of int32 sums), A (16
// tokens x one block of activations) and B (one block of 16 rows: 8 rows of 64 bytes, each the
// 4-byte groups k of the 16 rows, which is the R16 layout itself).
enum { C0 = 0, C1 = 1, A0 = 2, B0 = 3, A1 = 4, B1 = 5 };

typedef struct {
  uint8_t palette, start_row, reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
} tile_config;

// Each thread configures its own tiles (the configuration is per thread state) for every call.
static void configure_tiles(void) {
  _Alignas(64) tile_config c;
  memset(&c, 0, sizeof c);
  c.palette = 1;
  c.rows[C0] = c.rows[C1] = 16, c.colsb[C0] = c.colsb[C1] = 64;
  c.rows[A0] = c.rows[A1] = 16, c.colsb[A0] = c.colsb[A1] = QK;
  c.rows[B0] = c.rows[B1] = 8, c.colsb[B0] = c.colsb[B1] = 64;
  _tile_loadconfig(&c);
}

// acc[i] (token i; 16 rows in the lanes) += isum[i] * (dw * dx[i]), from the sums c the tile stored.
// (isum * dx first and then dw rounds differently: measured +0.045% perplexity on the default model,
// 2.4524 against 2.4513 over 40 windows.)
INLINE void scale_add(__m512 acc[16], const int32_t *c, const float *dx, const void *d16) {
  const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)d16));
  for (int i = 0; i < 16; i++) {
    acc[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_load_si512(c + 16 * i)), _mm512_mul_ps(dw, _mm512_set1_ps(dx[i])), acc[i]);
  }
}

// 16 tokens x 16 rows over nbk blocks: activation rows x (xs bytes apart), their scales dx ([block][16]),
// B tiles bq (bstride bytes apart) with their 16 fp16 scales bd (dstride bytes apart).
INLINE void tile_16x16(__m512 acc[16], const int8_t *x, size_t xs, const float *dx, const uint8_t *bq,
                       size_t bstride, const uint8_t *bd, size_t dstride, int64_t nbk) {
  _Alignas(64) int32_t c[2][256];
  int64_t b = 0;
  for (; b + 1 < nbk; b += 2) {
    _tile_loadd(A0, x + b * QK, xs);
    _tile_loadd(B0, bq + b * bstride, 64);
    _tile_zero(C0);
    _tile_dpbssd(C0, A0, B0);
    _tile_loadd(A1, x + (b + 1) * QK, xs);
    _tile_loadd(B1, bq + (b + 1) * bstride, 64);
    _tile_zero(C1);
    _tile_dpbssd(C1, A1, B1);
    _tile_stored(C0, c[0], 64);
    scale_add(acc, c[0], dx + b * 16, bd + b * dstride);
    _tile_stored(C1, c[1], 64);
    scale_add(acc, c[1], dx + (b + 1) * 16, bd + (b + 1) * dstride);
  }
  if (b < nbk) {
    _tile_loadd(A0, x + b * QK, xs);
    _tile_loadd(B0, bq + b * bstride, 64);
    _tile_zero(C0);
    _tile_dpbssd(C0, A0, B0);
    _tile_stored(C0, c[0], 64);
    scale_add(acc, c[0], dx + b * 16, bd + b * dstride);
  }
}

// Q4_0 R16 blocks to B tiles of signed values (nibble - 8): the low nibbles of 4-byte group k are
// elements 4k..4k+3 (tile row k), the high ones 16+4k.. (tile row 4+k).
static void expand_q4(const block_q4_0_r16 *blk, int64_t nbk, int8_t *out) {
  const __m512i mask = _mm512_set1_epi8(0x0F), eight = _mm512_set1_epi8(8);
  for (int64_t b = 0; b < nbk; b++, out += 512) {
    for (int k = 0; k < 4; k++) {
      const __m512i raw = _mm512_loadu_si512(blk[b].qs + 64 * k);
      _mm512_store_si512(out + 64 * k, _mm512_sub_epi8(_mm512_and_si512(raw, mask), eight));
      _mm512_store_si512(out + 64 * (4 + k), _mm512_sub_epi8(_mm512_and_si512(_mm512_srli_epi16(raw, 4), mask), eight));
    }
  }
}

// The vector kernels of the same types (the AVX-512 table's), for ranges the tiles do not take.
static void (*vector_gemm[2])(const ssa_mm_args *, int64_t, int64_t, int64_t, int64_t);

INLINE void gemm_amx(const ssa_mm_args *a, int64_t r0, int64_t r1, int64_t t0, int64_t t1, const int q4) {
  // one token (decode) streams the weights: the vector kernel; tiles start at whole tiles of 16
  if (t1 - t0 == 1 || t0 % 16 != 0 || !a->act_scales) {
    vector_gemm[q4](a, r0, r1, t0, t1);
    return;
  }
  configure_tiles();
  const int64_t nb = a->cols / QK;
  const size_t xs = a->act_stride;
  const size_t bb = q4 ? sizeof(block_q4_0_r16) : sizeof(block_q8_0_r16);
  _Alignas(64) int8_t panel[q4 ? KC * 512 : 64];
  _Alignas(64) float pending[TB * 16];  // [token][row] of one row group, between chunks
  for (int64_t tp = t0; tp < t1; tp += TB) {
    const int64_t tpe = t1 - tp < TB ? t1 : tp + TB;
    for (int64_t g = r0 / 16; g < r1 / 16; g++) {
      const uint8_t *wg = (const uint8_t *)a->w + (size_t)(g * nb) * bb;
      const int64_t kc = q4 ? KC : nb;
      for (int64_t k0 = 0; k0 < nb; k0 += kc) {
        const int64_t nbk = nb - k0 < kc ? nb - k0 : kc;
        const uint8_t *bd = wg + k0 * bb;  // each block starts with its 16 scales
        const uint8_t *bq = bd + 32;
        size_t bstride = bb;
        if (q4) {
          expand_q4((const block_q4_0_r16 *)bd, nbk, panel);
          bq = (const uint8_t *)panel, bstride = 512;
        }
        const int last = k0 + nbk == nb;
        for (int64_t t = tp; t < tpe; t += 16) {
          __m512 acc[16];
          float *wait = pending + (t - tp) * 16;
          for (int i = 0; i < 16; i++) acc[i] = k0 == 0 ? _mm512_setzero_ps() : _mm512_load_ps(wait + i * 16);
          const int8_t *x = (const int8_t *)a->act + t * xs + k0 * QK;
          const float *dx = a->act_scales + ((t / 16) * nb + k0) * 16;
          tile_16x16(acc, x, xs, dx, bq, bstride, bd, bb, nbk);
          if (!last) {
            for (int i = 0; i < 16; i++) _mm512_store_ps(wait + i * 16, acc[i]);
          } else {
            // constant indices only (a loop to m would put acc in memory): tokens past the end skipped
            const int64_t m = tpe - t;
            for (int i = 0; i < 16; i++)
              if (i < m) _mm512_storeu_ps(a->y + (t + i) * a->ldy + g * 16, acc[i]);
          }
        }
      }
    }
  }
  _tile_release();
}

static void gemm_q8_0_r16(const ssa_mm_args *a, int64_t r0, int64_t r1, int64_t t0, int64_t t1) {
  gemm_amx(a, r0, r1, t0, t1, 0);
}

static void gemm_q4_0_r16(const ssa_mm_args *a, int64_t r0, int64_t r1, int64_t t0, int64_t t1) {
  gemm_amx(a, r0, r1, t0, t1, 1);
}

// On top of the AVX-512 table: R16 prefill on the tiles, in items of 64 rows x 128 tokens.
void ssa_fill_amx(ssa_kernel_table *t) {
  vector_gemm[0] = t->mm[SSA_TYPE_Q8_0_R16].gemm;
  vector_gemm[1] = t->mm[SSA_TYPE_Q4_0_R16].gemm;
  t->mm[SSA_TYPE_Q8_0_R16].gemm = gemm_q8_0_r16;
  t->mm[SSA_TYPE_Q4_0_R16].gemm = gemm_q4_0_r16;
  for (int type = SSA_TYPE_Q4_0_R16; type <= SSA_TYPE_Q8_0_R16; type++) {
    t->mm[type].item_rows = 64;
    t->mm[type].item_tokens = 128;
    t->mm[type].pad_tokens = 16;
  }
}

#pragma clang attribute pop
#endif  // __x86_64__
