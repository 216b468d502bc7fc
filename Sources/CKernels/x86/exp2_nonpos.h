// The softmax's 2^x, written once over the attention vectors (avec, av_*) that the including file
// defines: x86_kernels.inc (AVX2 and AVX-512 attention) and amx.c (the tile attention). Each ISA
// keeps only its rounding (av_round) and its 2^n scaling (av_scale2).
#ifndef SSA_EXP2_NONPOS_H
#define SSA_EXP2_NONPOS_H

// 2^x for x <= 0 (x >= -126 after clamping), relative error ~2e-7: 2^n * 2^r, |r| <= 1/2, degree 6.
INLINE avec av_exp2_nonpos(avec x) {
  x = av_max(x, av_set1(-126.0f));
  const avec n = av_round(x), r = av_sub(x, n);
  avec p = av_set1(1.540353e-4f);
  p = av_fma(p, r, av_set1(1.3333558e-3f));
  p = av_fma(p, r, av_set1(9.6181291e-3f));
  p = av_fma(p, r, av_set1(5.5504109e-2f));
  p = av_fma(p, r, av_set1(2.4022651e-1f));
  p = av_fma(p, r, av_set1(6.9314718e-1f));
  p = av_fma(p, r, av_set1(1.0f));
  return av_scale2(p, n);
}

#endif
