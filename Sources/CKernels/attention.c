// The attention driver: splits (KV head, block of query tokens) items across threads. Each query's
// result is computed the same way whatever the split, so any thread count gives the same bits.
#include "internal.h"

#define QUERY_BLOCK 16

size_t ssa_attention_scratch_size(int64_t n_ctx, int64_t n) {
  (void)n_ctx;
  (void)n;
  return 0;  // every kernel works in small per-thread buffers on its stack
}

void ssa_attention(int kv_type, const void *k_cache, const void *v_cache, int64_t capacity,
                   int n_heads, int n_kv_heads, int head_dim, float scale, const float *q, int64_t ld_q,
                   int64_t pos0, int64_t n, float *out, int64_t ld_out, void *scratch) {
  (void)scratch;
  const ssa_attn_args a = {k_cache, v_cache, capacity, n_heads, n_kv_heads, head_dim, scale,
                           q, ld_q, pos0, out, ld_out};
  const ssa_attn_fn fn = ssa_kernels.attn[kv_type];
  // Decode: one query token, so split the query heads' groups; prefill: blocks of tokens.
  const int group = n_heads / n_kv_heads;
  int64_t qb = n < QUERY_BLOCK ? 1 : QUERY_BLOCK;
  if (qb * group > ATTN_MAX_QUERIES) qb = ATTN_MAX_QUERIES / group > 0 ? ATTN_MAX_QUERIES / group : 1;
  const int64_t blocks = (n + qb - 1) / qb;
  const int64_t items = blocks * n_kv_heads;
  const int nt = ssa_threads();
  (void)nt;  // unused when built without OpenMP
  // Later query blocks see more keys: items go longest first, each to the next free thread, to
  // balance the causal triangle.
  ssa_counter next = 0;
#pragma omp parallel num_threads(nt) if (nt > 1 && items > 1)
  {
    int64_t i;
    while ((i = ssa_claim(&next, 1)) < items) {
      const int64_t b = blocks - 1 - i / n_kv_heads;  // longest first
      const int g = (int)(i % n_kv_heads);
      const int64_t t0 = b * qb, t1 = t0 + qb < n ? t0 + qb : n;
      fn(&a, g, t0, t1);
    }
  }
}
