// simde's portable AVX-512 (Debian: libsimde-dev) in place of the native intrinsics, for
// tools/check_avx512.sh and tools/check_amx.sh on CPUs without AVX-512; plus the conversions and
// reductions this simde lacks, built from 256-bit halves. Only compiled in with SSA_EMULATE_AVX512.
#ifndef SSA_AVX512_EMULATION_H
#define SSA_AVX512_EMULATION_H

#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>

static inline __m512 ssa_emu_cvtph_ps(__m256i h) {
  const __m256 lo = _mm256_cvtph_ps(_mm256_castsi256_si128(h)), hi = _mm256_cvtph_ps(_mm256_extracti128_si256(h, 1));
  return _mm512_insertf32x8(_mm512_castps256_ps512(lo), hi, 1);
}

static inline __m512 ssa_emu_cvtepi32_ps(__m512i v) {
  const __m256 lo = _mm256_cvtepi32_ps(_mm512_castsi512_si256(v)), hi = _mm256_cvtepi32_ps(_mm512_extracti64x4_epi64(v, 1));
  return _mm512_insertf32x8(_mm512_castps256_ps512(lo), hi, 1);
}

static inline __m256 ssa_emu_hi_ps(__m512 v) {
  return _mm256_castsi256_ps(_mm512_extracti64x4_epi64(_mm512_castps_si512(v), 1));
}

static inline __m512i ssa_emu_cvtps_epi32(__m512 v) {
  const __m256i lo = _mm256_cvtps_epi32(_mm512_castps512_ps256(v)), hi = _mm256_cvtps_epi32(ssa_emu_hi_ps(v));
  return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

static inline float ssa_emu_reduce_max_ps(__m512 v) {
  const __m256 m8 = _mm256_max_ps(_mm512_castps512_ps256(v), ssa_emu_hi_ps(v));
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(m8), _mm256_extractf128_ps(m8, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  return _mm_cvtss_f32(_mm_max_ss(m, _mm_movehdup_ps(m)));
}

static inline int ssa_emu_reduce_add_epi32(__m512i v) {
  const __m256i s8 = _mm256_add_epi32(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1));
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(s8), _mm256_extracti128_si256(s8, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  return _mm_cvtsi128_si32(_mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1)));
}

#undef _mm512_cvtps_epi32
#undef _mm512_reduce_max_ps
#undef _mm512_reduce_add_epi32
#define _mm512_cvtps_epi32 ssa_emu_cvtps_epi32
#define _mm512_reduce_max_ps ssa_emu_reduce_max_ps
#define _mm512_reduce_add_epi32 ssa_emu_reduce_add_epi32

#undef _mm512_cvtph_ps
#undef _mm512_cvtepi32_ps
#define _mm512_cvtph_ps ssa_emu_cvtph_ps
#define _mm512_cvtepi32_ps ssa_emu_cvtepi32_ps

#endif
