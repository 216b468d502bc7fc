// 16-float attention vectors (avec, AVL, the elementwise av_* operations) for the files built for
// AVX-512: avx512.c (the vector kernels) and amx.c (the tile attention's softmax).
#ifndef SSA_AVX512_AVEC_H
#define SSA_AVX512_AVEC_H

typedef __m512 avec;
#define AVL 16
INLINE avec av_zero(void) { return _mm512_setzero_ps(); }
INLINE avec av_set1(float x) { return _mm512_set1_ps(x); }
INLINE avec av_load(const float *p) { return _mm512_load_ps(p); }
INLINE void av_store(float *p, avec v) { _mm512_store_ps(p, v); }
INLINE void av_storeu(float *p, avec v) { _mm512_storeu_ps(p, v); }
INLINE avec av_bcast(const float *p) { return _mm512_set1_ps(*p); }
INLINE avec av_fma(avec a, avec b, avec c) { return _mm512_fmadd_ps(a, b, c); }
INLINE avec av_mul(avec a, avec b) { return _mm512_mul_ps(a, b); }
INLINE avec av_add(avec a, avec b) { return _mm512_add_ps(a, b); }
INLINE avec av_sub(avec a, avec b) { return _mm512_sub_ps(a, b); }
INLINE avec av_max(avec a, avec b) { return _mm512_max_ps(a, b); }

// The first n lanes of v (n may be <= 0 or >= 16), the others set to fill.
INLINE avec av_keep(avec v, int n, float fill) {
  const __mmask16 valid = n >= 16 ? 0xFFFF : n <= 0 ? 0 : (__mmask16)((1u << n) - 1);
  return _mm512_mask_blend_ps(valid, _mm512_set1_ps(fill), v);
}

// Nearest integer of each lane (as floats), and p * 2^n (vscalefps).
INLINE avec av_round(avec x) { return _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
INLINE avec av_scale2(avec p, avec n) { return _mm512_scalef_ps(p, n); }

#endif
