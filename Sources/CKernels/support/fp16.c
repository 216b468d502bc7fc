// Scalar fp16 and bf16 conversions, bit-exact with ggml's reference (and numpy for fp16).
#include "ckernels.h"

#include <string.h>

static inline uint32_t bits_of(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float float_of(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

float ssa_fp16_to_fp32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  if (exp == 0x1f) return float_of(sign | 0x7f800000 | (mant << 13));  // inf, nan
  if (exp == 0) {
    if (mant == 0) return float_of(sign);
    // subnormal: value = mant * 2^-24
    float v = (float)mant * 5.9604644775390625e-08f;
    return sign ? -v : v;
  }
  return float_of(sign | ((exp + 112) << 23) | (mant << 13));
}

uint16_t ssa_fp32_to_fp16(float f) {
  uint32_t x = bits_of(f);
  uint32_t sign = (x >> 16) & 0x8000;
  uint32_t abs = x & 0x7fffffff;
  if (abs >= 0x7f800000) return (uint16_t)(sign | 0x7c00 | (abs > 0x7f800000 ? 0x200 : 0));
  if (abs >= 0x477ff000) return (uint16_t)(sign | 0x7c00);  // rounds to infinity
  if (abs < 0x38800000) {
    // subnormal or zero in fp16: round to nearest even multiple of 2^-24
    float v = float_of(abs) * 16777216.0f;  // exact scaling by 2^24
    uint32_t m = (uint32_t)v;
    float rest = v - (float)m;
    if (rest > 0.5f || (rest == 0.5f && (m & 1))) m++;
    return (uint16_t)(sign | m);
  }
  uint32_t mant = abs & 0x7fffff;
  uint32_t exp = (abs >> 23) - 112;
  uint32_t h = (exp << 10) | (mant >> 13);
  uint32_t round = mant & 0x1fff;
  if (round > 0x1000 || (round == 0x1000 && (h & 1))) h++;
  return (uint16_t)(sign | h);
}

float ssa_bf16_to_fp32(uint16_t h) { return float_of((uint32_t)h << 16); }

uint16_t ssa_fp32_to_bf16(float f) {
  uint32_t x = bits_of(f);
  if ((x & 0x7fffffff) > 0x7f800000) return (uint16_t)((x >> 16) | 64);  // quiet NaN
  return (uint16_t)((x + (0x7fff + ((x >> 16) & 1))) >> 16);
}
