// AMX kernels (Sapphire Rapids and later): the prefill GEMM of 16-row repacked Q8_0 and Q4_0 weights
// on the tile unit. One TDPBSSD multiplies a 32-element block of 16 tokens' int8 activations by the
// same block of 16 weight rows into 16 x 16 exact int32 sums; the vector unit then scales them into
// float accumulators, acc = fma(isum, dw * dx, acc), the per-block step of every R16 kernel (and of
// the GGML-layout Q8_0 kernels), so the results equal the AVX-512 decode kernel's and the scalar
// reference's bit for bit.
//
// Scaling a block's 256 sums (store the tile, then per token a convert, a multiply and an FMA on 16
// lanes: 48 vector instructions) and the tile work share the time: on this machine the tile unit and
// the vector unit hardly work at the same time (tools/bench/gemm-probe.c: a block's whole step takes
// about its tile work plus its scaling), and the blocks go through a pipeline, a block scaled one
// step after its tile was stored (tile_16x16), which the probe finds a little faster. Q4_0
// blocks are first expanded to signed int8 B tiles, KC blocks of a row group at a time, and reused by
// every token tile of the item.
//
// tools/check_amx.sh builds this file with SSA_EMULATE_AMX (scalar tile registers, amx_emulation.h)
// and, on a CPU without AVX-512, SSA_EMULATE_AVX512 (simde), so the logic is tested anywhere.
#if defined(__x86_64__)
#include "../internal.h"

#include <immintrin.h>
#include <math.h>
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
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni,amx-tile,amx-int8,amx-bf16,avx512bf16"))), apply_to = function)
#endif

#define INLINE static inline __attribute__((always_inline))

#include "avx512_avec.h"
#include "exp2_nonpos.h"

// Q4_0 blocks expanded at a time (64 x 512 bytes of B tiles stay in L1), and tokens per pass (their
// accumulators wait in a buffer between the chunks of a long row).
#define KC 64
#define TB 256

// Tile registers: two sets, for even and odd blocks, of C (16 tokens x 16 rows of int32 sums), A (16
// tokens x one block of activations) and B (one block of 16 rows: 8 rows of 64 bytes, each the 4-byte
// groups k of the 16 rows, which is the R16 layout itself).
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

// Block b of the pipeline, j = b % 2 (a constant: tile numbers are immediates): multiply block b
// into C_j, store block b - 1's sums (into buffer (b - 1) % 4), scale block b - 2's (stored one step
// earlier), so the scaling does not wait right after its tile's store (measured in isolation: 56-59
// cycles a block against 65-72 with each block scaled right after its store). Blocks are scaled in
// order, so the sums are the same as one block at a time.
#define GEMM_STEP(j, bi)                                                                            \
  do {                                                                                              \
    const int64_t b_ = (bi);                                                                        \
    _tile_loadd((j) ? A1 : A0, x + b_ * QK, xs);                                                    \
    _tile_loadd((j) ? B1 : B0, bq + b_ * bstride, 64);                                              \
    _tile_zero((j) ? C1 : C0);                                                                      \
    _tile_dpbssd((j) ? C1 : C0, (j) ? A1 : A0, (j) ? B1 : B0);                                      \
    if (b_ >= 1) _tile_stored((j) ? C0 : C1, c[(b_ - 1) & 3], 64);                                  \
    if (b_ >= 2) scale_add(acc, c[(b_ - 2) & 3], dx + (b_ - 2) * 16, bd + (b_ - 2) * dstride);      \
  } while (0)

// 16 tokens x 16 rows over nbk blocks: activation rows x (xs bytes apart), their scales dx ([block][16]),
// B tiles bq (bstride bytes apart) with their 16 fp16 scales bd (dstride bytes apart).
INLINE void tile_16x16(__m512 acc[16], const int8_t *x, size_t xs, const float *dx, const uint8_t *bq,
                       size_t bstride, const uint8_t *bd, size_t dstride, int64_t nbk) {
  _Alignas(64) int32_t c[4][256];
  int64_t b = 0;
  for (; b + 2 <= nbk; b += 2) {
    GEMM_STEP(0, b);
    GEMM_STEP(1, b + 1);
  }
  if (b < nbk) GEMM_STEP(0, b);
  // drain: block nbk - 1 is still in its tile, nbk - 2 is stored
  if (nbk >= 2) scale_add(acc, c[(nbk - 2) & 3], dx + (nbk - 2) * 16, bd + (nbk - 2) * dstride);
  if ((nbk - 1) & 1) _tile_stored(C1, c[(nbk - 1) & 3], 64);
  else _tile_stored(C0, c[(nbk - 1) & 3], 64);
  scale_add(acc, c[(nbk - 1) & 3], dx + (nbk - 1) * 16, bd + (nbk - 1) * dstride);
}
#undef GEMM_STEP

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
        // The next row group's blocks come from memory (a layer's matrices are read once per chunk):
        // fetched into L2 while this one runs, a slice per token tile, the tile loads of its first
        // token tile do not wait for them (measured: a 2,048-token Q8_0 prompt 1.13x and 1.05x
        // faster in the medians of two series of 8 and 10 alternating `ssa bench -p 2048` runs).
        const uint8_t *pf = g + 1 < r1 / 16 ? wg + (size_t)nb * bb + k0 * bb : NULL;
        const size_t pf_bytes = (size_t)nbk * bb, ntt = (size_t)((tpe - tp + 15) / 16);
        const size_t pf_slice = (pf_bytes / ntt + 63) & ~(size_t)63;
        for (int64_t t = tp; t < tpe; t += 16) {
          if (pf) {
            const size_t o0 = (size_t)((t - tp) / 16) * pf_slice;
            for (size_t o = o0; o < o0 + pf_slice && o < pf_bytes; o += 64) _mm_prefetch((const char *)pf + o, _MM_HINT_T1);
          }
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

// ---- attention on the tile unit ----------------------------------------------------------------
// Causal prefill attention over an F16 cache with TDPBF16PS. bf16 keeps 8 significant bits, so the
// operands are split into sums of bf16 parts, each the nearest bf16 to what the previous ones left:
// the cache (F16, 11 bits) exactly in two, hi + lo; the queries in three, hi + mid + lo (24 bits);
// the softmax weights in two (16-17 bits). Scores take five tile multiplies per 32 dims (all but
// mid.lo and lo.lo of the queries' and keys' parts), weighted values three (hi.hi, hi.lo, lo.hi),
// with fp32 sums. Against a double-precision softmax on random data with large queries and keys
// (5x the unit test's, one dimension 3x larger again, as Qwen2's biases make them): mean error
// 4.7e-7 where the fp32 vector kernel's is 8.9e-7; with the queries in two parts and three products
// it was 1e-5 (and moved perplexity by 0.08%).
//
// Queries sit in the lanes: an item (a KV head and a block of tokens) holds up to 8 query tiles of 16
// query rows, and for each block of 32 keys (at absolute positions) the tiles compute S^T = K Q^T
// (A: 16 keys x 32 dims, the cache's row order; B: the query tile transposed, once per item), the
// online softmax runs down the keys with one vector per key (max, rescale and sum are lane-wise, no
// horizontal reductions), and O^T += V^T P^T (A: V transposed; B: the weights of two keys
// interleaved). K and V are converted to their tiles once per call, before any item runs
// (attention_prep), not once per item. Each lane's arithmetic is the same whatever the other lanes
// hold, so any split of the chunk, or of the work between threads, gives the same bits.

#define AT_KEYS ATTN_PREP_KEYS              // keys per block (K of the P V multiply)
#define AT_TILES (ATTN_MAX_QUERIES / 16)    // query tiles per item
#define AT_MAX_DIM 128

enum { T_C0 = 0, T_C1 = 1, T_A0 = 2, T_A1 = 3, T_A2 = 4, T_A3 = 5, T_B0 = 6, T_B1 = 7 };

static void configure_attention_tiles(void) {
  _Alignas(64) tile_config c;
  memset(&c, 0, sizeof c);
  c.palette = 1;
  for (int t = 0; t < 8; t++) c.rows[t] = 16, c.colsb[t] = 64;
  _tile_loadconfig(&c);
}

#define BF16_MASK _mm512_set1_epi32((int)0xFFFF0000u)  // the bf16 bits of an fp32

// x rounded to the nearest bf16 (ties to even), as fp32 bits (the low 16 bits zero).
INLINE __m512i bf16_round(__m512 x) {
  const __m512i b = _mm512_castps_si512(x);
  const __m512i odd = _mm512_and_si512(_mm512_srli_epi32(b, 16), _mm512_set1_epi32(1));
  const __m512i r = _mm512_add_epi32(b, _mm512_add_epi32(odd, _mm512_set1_epi32(0x7FFF)));
  return _mm512_and_si512(r, BF16_MASK);
}

// Split x into hi and lo, both rounded to bf16 (in the high halves of the lanes).
INLINE void bf16_split(__m512 x, __m512i *hi, __m512i *lo) {
  *hi = bf16_round(x);
  *lo = bf16_round(_mm512_sub_ps(x, _mm512_castsi512_ps(*hi)));
}

// Lane i: a's bf16 in the low half, b's in the high half (a VNNI pair), from rounded values.
INLINE __m512i bf16_pair(__m512i a, __m512i b) { return _mm512_or_si512(b, _mm512_srli_epi32(a, 16)); }

// 16 bf16 of a then 16 of b, in order (a row of 32 values), from rounded values.
INLINE __m512i bf16_row(__m512i a, __m512i b) {
  const __m512i idx = _mm512_set_epi16(63, 61, 59, 57, 55, 53, 51, 49, 47, 45, 43, 41, 39, 37, 35, 33,
                                       31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
  return _mm512_permutex2var_epi16(a, idx, b);
}

// The weights' split, the per-score step, in 8 instructions per two keys: hi truncated (so that it
// is one AND and lo = p - hi is exact), lo rounded by AVX512-BF16 (its error: 2^-9 of lo, below
// 2^-16 of p). hi and lo: the B-tile rows of keys 2r (low halves) and 2r+1.
INLINE void weight_pair(__m512 p0, __m512 p1, __m512i *hi, __m512i *lo) {
  const __m512i m = BF16_MASK;
  const __m512 h0 = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(p0), m));
  const __m512 h1 = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(p1), m));
  *hi = _mm512_ternarylogic_epi32(_mm512_castps_si512(p1), _mm512_srli_epi32(_mm512_castps_si512(p0), 16), m, 0xEC);  // (A & C) | B
#if defined(SSA_EMULATE_AMX)
  *lo = bf16_pair(bf16_round(_mm512_sub_ps(p0, h0)), bf16_round(_mm512_sub_ps(p1, h1)));
#else
  const __m512i both = (__m512i)_mm512_cvtne2ps_pbh(_mm512_sub_ps(p1, h1), _mm512_sub_ps(p0, h0));  // lo0 x16, lo1 x16
  const __m512i idx = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
                                       23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
  *lo = _mm512_permutexvar_epi16(idx, both);
#endif
}

// r[i] lane j <-> r[j] lane i, 32-bit elements.
INLINE void transpose16(__m512i r[16]) {
  __m512i a[16], b[16];
  for (int i = 0; i < 8; i++) {
    a[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
    a[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; i++) {
    b[4 * i + 0] = _mm512_unpacklo_epi64(a[4 * i], a[4 * i + 2]);
    b[4 * i + 1] = _mm512_unpackhi_epi64(a[4 * i], a[4 * i + 2]);
    b[4 * i + 2] = _mm512_unpacklo_epi64(a[4 * i + 1], a[4 * i + 3]);
    b[4 * i + 3] = _mm512_unpackhi_epi64(a[4 * i + 1], a[4 * i + 3]);
  }
  for (int c = 0; c < 4; c++) {
    const __m512i s0 = _mm512_shuffle_i32x4(b[c], b[4 + c], 0x44), s1 = _mm512_shuffle_i32x4(b[c], b[4 + c], 0xEE);
    const __m512i s2 = _mm512_shuffle_i32x4(b[8 + c], b[12 + c], 0x44), s3 = _mm512_shuffle_i32x4(b[8 + c], b[12 + c], 0xEE);
    r[c] = _mm512_shuffle_i32x4(s0, s2, 0x88);
    r[4 + c] = _mm512_shuffle_i32x4(s0, s2, 0xDD);
    r[8 + c] = _mm512_shuffle_i32x4(s1, s3, 0x88);
    r[12 + c] = _mm512_shuffle_i32x4(s1, s3, 0xDD);
  }
}

INLINE __m512 load16_f16(const uint16_t *p) { return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p)); }


// The converted cache: per KV head and block of 32 keys, the K tiles [keys 0-15, 16-31][32 dims]
// [hi, lo] (rows: keys) then the V^T tiles [16 dims][hi, lo] (rows: dims, then VNNI pairs of keys).
static size_t prep_block_bytes(int hd) { return (size_t)hd * 256; }

static size_t attention_prep_bytes(int64_t n_ctx, int n_kv_heads, int hd) {
  if (hd % 32 != 0 || hd > AT_MAX_DIM || n_ctx > INT32_MAX) return 0;
  return (size_t)n_kv_heads * (size_t)((n_ctx + AT_KEYS - 1) / AT_KEYS) * prep_block_bytes(hd);
}

INLINE uint8_t *prep_block(const ssa_attn_args *a, int g, int64_t block) {
  return (uint8_t *)a->prep + ((size_t)g * (size_t)a->prep_blocks + (size_t)block) * prep_block_bytes(a->head_dim);
}

static void attention_prep_f16(const ssa_attn_args *a, int g, int64_t block) {
  const int hd = a->head_dim, ksteps = hd / 32, dtiles = hd / 16;
  const int64_t k0 = block * AT_KEYS;
  const uint16_t *kc = (const uint16_t *)a->k + ((size_t)g * a->capacity + (size_t)k0) * hd;
  const uint16_t *vc = (const uint16_t *)a->v + ((size_t)g * a->capacity + (size_t)k0) * hd;
  // keys past the cache's end are zeros (finite: their weights are 0)
  const int kn = a->n_ctx - k0 < AT_KEYS ? (int)(a->n_ctx - k0) : AT_KEYS;
  uint8_t *kt = prep_block(a, g, block), *vt = kt + (size_t)hd * 128;
  for (int key = 0; key < AT_KEYS; key++) {
    for (int k = 0; k < ksteps; k++) {
      const __m512 x0 = key < kn ? load16_f16(kc + (size_t)key * hd + 32 * k) : _mm512_setzero_ps();
      const __m512 x1 = key < kn ? load16_f16(kc + (size_t)key * hd + 32 * k + 16) : _mm512_setzero_ps();
      __m512i h0, l0, h1, l1;
      bf16_split(x0, &h0, &l0);
      bf16_split(x1, &h1, &l1);
      uint8_t *tile = kt + (size_t)(((key / 16) * ksteps + k) * 2) * 1024 + 64 * (key % 16);
      _mm512_store_si512(tile, bf16_row(h0, h1));
      _mm512_store_si512(tile + 1024, bf16_row(l0, l1));
    }
  }
  for (int d = 0; d < dtiles; d++) {
    __m512i hi[16], lo[16];
    for (int r = 0; r < 16; r++) {
      const int key = 2 * r;
      const __m512 x0 = key < kn ? load16_f16(vc + (size_t)key * hd + 16 * d) : _mm512_setzero_ps();
      const __m512 x1 = key + 1 < kn ? load16_f16(vc + (size_t)(key + 1) * hd + 16 * d) : _mm512_setzero_ps();
      __m512i h0, l0, h1, l1;
      bf16_split(x0, &h0, &l0);
      bf16_split(x1, &h1, &l1);
      hi[r] = bf16_pair(h0, h1), lo[r] = bf16_pair(l0, l1);  // [key pair][dim]
    }
    transpose16(hi), transpose16(lo);  // [dim][key pair]
    uint8_t *tile = vt + (size_t)(2 * d) * 1024;
    for (int r = 0; r < 16; r++) {
      _mm512_store_si512(tile + 64 * r, hi[r]);
      _mm512_store_si512(tile + 1024 + 64 * r, lo[r]);
    }
  }
}

typedef struct {
  _Alignas(64) uint8_t q[AT_MAX_DIM / 32][3][1024];  // B tiles per 32 dims, hi, mid, lo: [dim pair][query]
  _Alignas(64) float o[AT_MAX_DIM * 16];             // O^T: [dim][query]
  _Alignas(64) float m[16], l[16];                   // running max (base 2) and sum of weights
  _Alignas(64) int32_t end[16];                      // keys the lane sees: [0, end)
  int64_t last;                                      // the largest end
} attn_qtile;

// Step k (32 dims) of S^T = K Q^T for one query tile and a block of 32 keys (kt): Kh.Qh + Kl.Qh +
// Kh.Qm + Kl.Qm + Kh.Ql; keys 0-15 in C0, 16-31 in C1 (left in the tiles: the caller stores them).
INLINE void attn_scores_step(const attn_qtile *t, const uint8_t *kt, int ksteps, int k) {
  if (k == 0) {
    _tile_zero(T_C0);
    _tile_zero(T_C1);
  }
  _tile_loadd(T_A0, kt + (size_t)(2 * k) * 1024, 64);
  _tile_loadd(T_A1, kt + (size_t)(2 * k + 1) * 1024, 64);
  _tile_loadd(T_A2, kt + (size_t)(2 * (ksteps + k)) * 1024, 64);
  _tile_loadd(T_A3, kt + (size_t)(2 * (ksteps + k) + 1) * 1024, 64);
  _tile_loadd(T_B0, t->q[k][0], 64);
  _tile_loadd(T_B1, t->q[k][1], 64);
  _tile_dpbf16ps(T_C0, T_A0, T_B0);
  _tile_dpbf16ps(T_C1, T_A2, T_B0);
  _tile_dpbf16ps(T_C0, T_A1, T_B0);
  _tile_dpbf16ps(T_C1, T_A3, T_B0);
  _tile_dpbf16ps(T_C0, T_A0, T_B1);
  _tile_dpbf16ps(T_C1, T_A2, T_B1);
  _tile_dpbf16ps(T_C0, T_A1, T_B1);
  _tile_dpbf16ps(T_C1, T_A3, T_B1);
  _tile_loadd(T_B0, t->q[k][2], 64);
  _tile_dpbf16ps(T_C0, T_A0, T_B0);
  _tile_dpbf16ps(T_C1, T_A2, T_B0);
}

INLINE void attn_scores(const attn_qtile *t, const uint8_t *kt, int ksteps) {
  for (int k = 0; k < ksteps; k++) attn_scores_step(t, kt, ksteps, k);
}

// The online softmax of one query tile over the block of keys at k0 whose scores are s, first half:
// the lane-wise max down the keys (masked scores set to -inf) and the rescale of what was summed.
INLINE __m512 attn_softmax_max(attn_qtile *t, float *s, int64_t k0, int hd) {
  const __m512 neg_inf = _mm512_set1_ps(-INFINITY);
  const __m512i end = _mm512_load_si512(t->end);
  const int masked = k0 + AT_KEYS > t->end[0];  // some lane ends inside this block (or before it)
  __m512 mx[4] = {neg_inf, neg_inf, neg_inf, neg_inf};  // four chains (a max is exact in any order)
  for (int key = 0; key < AT_KEYS; key++) {
    __m512 v = _mm512_load_ps(s + 16 * key);
    if (masked) {
      v = _mm512_mask_mov_ps(neg_inf, _mm512_cmpgt_epi32_mask(end, _mm512_set1_epi32((int)(k0 + key))), v);
      _mm512_store_ps(s + 16 * key, v);
    }
    mx[key & 3] = _mm512_max_ps(mx[key & 3], v);
  }
  const __m512 m_old = _mm512_load_ps(t->m);
  const __m512 m_new = _mm512_max_ps(m_old, _mm512_max_ps(_mm512_max_ps(mx[0], mx[1]), _mm512_max_ps(mx[2], mx[3])));
  if (_mm512_cmp_ps_mask(m_new, m_old, _CMP_GT_OQ)) {
    // the max grew in some lane: scale what was summed (by exactly 1 in the others)
    const __m512 alpha = av_exp2_nonpos(_mm512_sub_ps(m_old, m_new));
    _mm512_store_ps(t->l, _mm512_mul_ps(_mm512_load_ps(t->l), alpha));
    for (int d = 0; d < hd; d++) _mm512_store_ps(t->o + 16 * d, _mm512_mul_ps(_mm512_load_ps(t->o + 16 * d), alpha));
    _mm512_store_ps(t->m, m_new);
  }
  return m_new;
}

// Weights r0..r1 (pairs of keys) of the block, after attn_softmax_max gave their max.
INLINE void attn_softmax_weights(attn_qtile *t, const float *s, uint8_t pt[2][1024], int64_t k0, __m512 m_new, int r0, int r1) {
  const __m512i end = _mm512_load_si512(t->end);
  const int masked = k0 + AT_KEYS > t->end[0];
  __m512 l = _mm512_load_ps(t->l);
  for (int r = r0; r < r1; r++) {
    __m512 p0 = av_exp2_nonpos(_mm512_sub_ps(_mm512_load_ps(s + 32 * r), m_new));
    __m512 p1 = av_exp2_nonpos(_mm512_sub_ps(_mm512_load_ps(s + 32 * r + 16), m_new));
    if (masked) {  // 2^-inf clamps: masked weights are zeroed
      p0 = _mm512_maskz_mov_ps(_mm512_cmpgt_epi32_mask(end, _mm512_set1_epi32((int)(k0 + 2 * r))), p0);
      p1 = _mm512_maskz_mov_ps(_mm512_cmpgt_epi32_mask(end, _mm512_set1_epi32((int)(k0 + 2 * r + 1))), p1);
    }
    l = _mm512_add_ps(l, _mm512_add_ps(p0, p1));
    __m512i hi, lo;
    weight_pair(p0, p1, &hi, &lo);
    _mm512_store_si512(pt[0] + 64 * r, hi);
    _mm512_store_si512(pt[1] + 64 * r, lo);
  }
  _mm512_store_ps(t->l, l);
}

// O^T += V^T P^T of one query tile: hi.hi + lo.hi + hi.lo, per 16 dims (vt: the block's V^T tiles).
INLINE void attn_values(attn_qtile *t, const uint8_t *vt, uint8_t pt[2][1024], int dtiles) {
  _tile_loadd(T_B0, pt[0], 64);
  _tile_loadd(T_B1, pt[1], 64);
  for (int d = 0; d < dtiles; d += 2) {
    _tile_loadd(T_C0, t->o + 256 * d, 64);
    _tile_loadd(T_A0, vt + (size_t)(2 * d) * 1024, 64);
    _tile_loadd(T_A1, vt + (size_t)(2 * d + 1) * 1024, 64);
    _tile_dpbf16ps(T_C0, T_A0, T_B0);
    _tile_dpbf16ps(T_C0, T_A1, T_B0);
    _tile_dpbf16ps(T_C0, T_A0, T_B1);
    _tile_stored(T_C0, t->o + 256 * d, 64);
    _tile_loadd(T_C1, t->o + 256 * (d + 1), 64);  // dtiles is even (hd % 32 == 0)
    _tile_loadd(T_A2, vt + (size_t)(2 * d + 2) * 1024, 64);
    _tile_loadd(T_A3, vt + (size_t)(2 * d + 3) * 1024, 64);
    _tile_dpbf16ps(T_C1, T_A2, T_B0);
    _tile_dpbf16ps(T_C1, T_A3, T_B0);
    _tile_dpbf16ps(T_C1, T_A2, T_B1);
    _tile_stored(T_C1, t->o + 256 * (d + 1), 64);
  }
}

static void attention_prefill_f16(const ssa_attn_args *a, int g, int64_t t0, int64_t t1) {
  const int hd = a->head_dim, group = a->n_heads / a->n_kv_heads;
  const int nq = (int)(t1 - t0) * group;
  const int ksteps = hd / 32, dtiles = hd / 16, ntiles = (nq + 15) / 16;
  attn_qtile qt[AT_TILES];
  _Alignas(64) float s[2][AT_KEYS * 16];  // S^T: [key][query], of two tiles
  _Alignas(64) uint8_t pt[2][2][1024];    // B tiles [hi, lo]: [key pair][query], of two tiles
  const __m512 scale = _mm512_set1_ps(a->scale * 1.44269504f);  // scores in base 2
  int64_t last = 0;
  for (int j = 0; j < ntiles; j++) {
    attn_qtile *t = &qt[j];
    const float *qrow[16];
    for (int i = 0; i < 16; i++) {
      // lanes past the last query repeat it (finite, and nothing of theirs is written)
      const int r = j * 16 + i < nq ? j * 16 + i : nq - 1;
      const int64_t tok = t0 + r / group;
      qrow[i] = a->q + tok * a->ld_q + (int64_t)(g * group + r % group) * hd;
      t->end[i] = (int32_t)(a->pos0 + tok + 1);
      t->m[i] = -INFINITY, t->l[i] = 0.0f;
    }
    t->last = t->end[15];  // rows go in token order
    if (t->last > last) last = t->last;
    memset(t->o, 0, sizeof(float) * 16 * (size_t)hd);
    for (int k = 0; k < ksteps; k++) {
      __m512i part[3][16];
      for (int i = 0; i < 16; i++) {
        __m512 x0 = _mm512_mul_ps(_mm512_loadu_ps(qrow[i] + 32 * k), scale);
        __m512 x1 = _mm512_mul_ps(_mm512_loadu_ps(qrow[i] + 32 * k + 16), scale);
        for (int p = 0; p < 3; p++) {  // x = hi + mid + lo, each the nearest bf16 to what is left
          const __m512i r0 = bf16_round(x0), r1 = bf16_round(x1);
          part[p][i] = bf16_row(r0, r1);  // dword d: dims 2d, 2d+1
          x0 = _mm512_sub_ps(x0, _mm512_castsi512_ps(r0)), x1 = _mm512_sub_ps(x1, _mm512_castsi512_ps(r1));
        }
      }
      for (int p = 0; p < 3; p++) {
        transpose16(part[p]);
        for (int r = 0; r < 16; r++) _mm512_store_si512(t->q[k][p] + 64 * r, part[p][r]);
      }
    }
  }
  configure_attention_tiles();
  // Weights far below the max (2^-126 and less) are denormal, and arithmetic on them takes a slow
  // microcode path (measured: the whole kernel 1.6x slower on random data): flushed to zero here, as
  // the tile unit itself does.
  const unsigned csr = _mm_getcsr();
  _mm_setcsr(csr | 0x8040);  // FTZ, DAZ
  for (int64_t k0 = 0; k0 < last; k0 += AT_KEYS) {
    const uint8_t *kt = prep_block(a, g, k0 / AT_KEYS), *vt = kt + (size_t)hd * 128;
    // the tiles whose lanes have keys left in this block: rows go in token order, so a suffix
    int j0 = 0;
    while (qt[j0].last <= k0) j0++;
    // One step behind: tile j+1's score multiplies run on the tile unit while the vector unit does
    // tile j's softmax; then j+1's scores are stored and j's weighted values multiplied.
    attn_scores(&qt[j0], kt, ksteps);
    _tile_stored(T_C0, s[0], 64);
    _tile_stored(T_C1, s[0] + 256, 64);
    for (int j = j0; j < ntiles; j++) {
      const int cur = (j - j0) & 1, more = j + 1 < ntiles;
      // interleaved, so that the multiplies queued on the tile unit overlap with vector work
      if (more) attn_scores_step(&qt[j + 1], kt, ksteps, 0);
      const __m512 m_new = attn_softmax_max(&qt[j], s[cur], k0, hd);
      const int parts = ksteps > 1 ? ksteps - 1 : 1;  // the weights in parts, after score steps 1..
      for (int k = 1; k <= parts; k++) {
        if (more && k < ksteps) attn_scores_step(&qt[j + 1], kt, ksteps, k);
        attn_softmax_weights(&qt[j], s[cur], pt[cur], k0, m_new, (k - 1) * (AT_KEYS / 2) / parts, k * (AT_KEYS / 2) / parts);
      }
      if (more) {
        _tile_stored(T_C0, s[cur ^ 1], 64);
        _tile_stored(T_C1, s[cur ^ 1] + 256, 64);
      }
      attn_values(&qt[j], vt, pt[cur], dtiles);
    }
  }
  _tile_release();
  _mm_setcsr(csr);
  // O = O^T transposed, divided by the sums
  for (int j = 0; j < ntiles; j++) {
    attn_qtile *t = &qt[j];
    const __m512 inv = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_load_ps(t->l));
    for (int d = 0; d < dtiles; d++) {
      __m512i r[16];
      for (int i = 0; i < 16; i++) r[i] = _mm512_castps_si512(_mm512_mul_ps(_mm512_load_ps(t->o + 16 * (16 * d + i)), inv));
      transpose16(r);  // [query][16 dims]
      for (int i = 0; i < 16 && j * 16 + i < nq; i++) {
        const int row = j * 16 + i;
        float *out = a->out + (t0 + row / group) * a->ld_out + (int64_t)(g * group + row % group) * hd;
        _mm512_storeu_si512(out + 16 * d, r[i]);
      }
    }
  }
}

// On top of the AVX-512 table: R16 prefill on the tiles, in items of 64 rows x 128 tokens.
void ssa_fill_amx(ssa_kernel_table *t) {
  vector_gemm[0] = t->mm[SSA_TYPE_Q8_0_R16].gemm;
  vector_gemm[1] = t->mm[SSA_TYPE_Q4_0_R16].gemm;
#if defined(SSA_EMULATE_AMX)
  const int bf16 = 1;
#else
  const int bf16 = ssa_cpu_has_amx_bf16();
#endif
  if (bf16) {
    t->attn_prefill[SSA_TYPE_F16] = attention_prefill_f16;
    t->attn_prep[SSA_TYPE_F16] = attention_prep_f16;
    t->attn_prep_bytes = attention_prep_bytes;
  }
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
