// simde's portable AVX-512 (Debian: libsimde-dev) in place of the native intrinsics, for
// tools/check_avx512.sh and tools/check_amx.sh on CPUs without AVX-512; plus the two conversions
// this simde lacks, built from 256-bit halves. Only compiled in with SSA_EMULATE_AVX512.
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

#undef _mm512_cvtph_ps
#undef _mm512_cvtepi32_ps
#define _mm512_cvtph_ps ssa_emu_cvtph_ps
#define _mm512_cvtepi32_ps ssa_emu_cvtepi32_ps

#endif
