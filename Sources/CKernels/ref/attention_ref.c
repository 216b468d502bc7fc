// Scalar reference attention: for each query, scores over every visible key, a two-pass softmax,
// then the weighted sum of values. It defines what the tiled online-softmax kernels compute.
#include "../internal.h"

#include <math.h>

// Largest context the on-stack score row covers in one pass; longer contexts go in chunks with the
// running max and sum carried over (the same algebra as online softmax, per chunk).
#define REF_CHUNK 1024

static inline float kv_at(int f16, const void *base, int64_t i) {
  return f16 ? ssa_fp16_to_fp32(((const uint16_t *)base)[i]) : ((const float *)base)[i];
}

static void attention_ref(int f16, const ssa_attn_args *a, int g, int64_t t0, int64_t t1) {
  const int group = a->n_heads / a->n_kv_heads, hd = a->head_dim;
  const int64_t kv0 = (int64_t)g * a->capacity * hd;
  float scores[REF_CHUNK];
  float acc[256];
  for (int64_t t = t0; t < t1; t++) {
    const int64_t n_keys = a->pos0 + t + 1;
    for (int h = g * group; h < (g + 1) * group; h++) {
      const float *q = a->q + t * a->ld_q + (int64_t)h * hd;
      float *out = a->out + t * a->ld_out + (int64_t)h * hd;
      float m = -INFINITY, l = 0.0f;
      for (int d = 0; d < hd; d++) acc[d] = 0.0f;
      for (int64_t c0 = 0; c0 < n_keys; c0 += REF_CHUNK) {
        const int64_t c1 = n_keys < c0 + REF_CHUNK ? n_keys : c0 + REF_CHUNK;
        float cm = m;
        for (int64_t p = c0; p < c1; p++) {
          float s = 0.0f;
          for (int d = 0; d < hd; d++) s += q[d] * kv_at(f16, a->k, kv0 + p * hd + d);
          scores[p - c0] = s * a->scale;
          cm = fmaxf(cm, scores[p - c0]);
        }
        const float rescale = expf(m - cm);  // 0 on the first chunk (m = -inf)
        l *= rescale;
        for (int d = 0; d < hd; d++) acc[d] *= rescale;
        for (int64_t p = c0; p < c1; p++) {
          const float e = expf(scores[p - c0] - cm);
          l += e;
          for (int d = 0; d < hd; d++) acc[d] += e * kv_at(f16, a->v, kv0 + p * hd + d);
        }
        m = cm;
      }
      for (int d = 0; d < hd; d++) out[d] = acc[d] / l;
    }
  }
}

void ssa_attention_ref_f32(const ssa_attn_args *a, int g, int64_t t0, int64_t t1) {
  attention_ref(0, a, g, t0, t1);
}

void ssa_attention_ref_f16(const ssa_attn_args *a, int g, int64_t t0, int64_t t1) {
  attention_ref(1, a, g, t0, t1);
}
