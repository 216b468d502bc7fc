// The vocabulary the AVX2 and AVX-512 files share: horizontal sums, float and Q4_0 loads, the
// 4-byte broadcast of the repacked layouts and e^x on 8 floats. Included by avx2.c and avx512.c
// inside their target attribute regions (each compiles it for its own instruction set); each file
// keeps only what differs (the int8 dot products: maddubs+madd or VNNI).
#ifndef SSA_X86_VOCABULARY_H
#define SSA_X86_VOCABULARY_H

INLINE float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

INLINE float hmax(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

INLINE float fp16(uint16_t h) { return _cvtsh_ss(h); }

// 8 weights of a float type as floats.
INLINE __m256 load8_f32(const void *p) { return _mm256_loadu_ps(p); }
INLINE __m256 load8_f16(const void *p) { return _mm256_cvtph_ps(_mm_loadu_si128(p)); }
INLINE __m256 load8_bf16(const void *p) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128(p)), 16));
}

// A Q4_0 block's 32 values minus 8 as int8, in element order (low nibbles are elements 0..15).
INLINE __m256i q4_0_values(const block_q4_0 *b) {
  const __m128i raw = _mm_loadu_si128((const __m128i *)b->qs);
  const __m256i nib = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), _mm256_set1_epi8(0x0F));
  return _mm256_sub_epi8(nib, _mm256_set1_epi8(8));
}

// The repacked layouts put 8 rows in the 8 int32 lanes: register k holds 4 bytes of each row, and
// the matching 4 activation bytes are broadcast to every lane.
INLINE __m256i bcast4(const int8_t *x) { return _mm256_set1_epi32(*(const int32_t *)x); }

// e^x for x <= 88.3, relative error ~1e-7: 2^n * e^r with |r| <= ln2/2, Taylor to degree 6.
INLINE __m256 exp8(__m256 x) {
  x = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(88.3f)), _mm256_set1_ps(-87.3f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145752f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.42860677e-6f), r);
  __m256 p = _mm256_set1_ps(1.0f / 720);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

#endif
