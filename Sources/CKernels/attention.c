// The attention driver: splits (KV head, block of query tokens) items across threads. Each query's
// result is computed the same way whatever the split, so any thread count gives the same bits.
// Chunks of 2 tokens or more go to the table's prefill kernel where it has one (AMX), after the
// cache is converted for it once per call (not once per item); decode (1 token) stays on the vector
// kernel, which needs no conversion.
#include "internal.h"

#include <stdlib.h>

#define QUERY_BLOCK 16

void ssa_attention(int kv_type, const void *k_cache, const void *v_cache, int64_t capacity,
                   int n_heads, int n_kv_heads, int head_dim, float scale, const float *q, int64_t ld_q,
                   int64_t pos0, int64_t n, float *out, int64_t ld_out, void *scratch) {
  ssa_attn_args a = {k_cache, v_cache, capacity, n_heads, n_kv_heads, head_dim, scale,
                     q, ld_q, pos0, out, ld_out, NULL, 0, pos0 + n};
  ssa_attn_fn fn = ssa_kernels.attn[kv_type];
  const int64_t n_ctx = pos0 + n;
  size_t prep_bytes = 0;
  void *owned = NULL;
  if (n >= 2 && ssa_kernels.attn_prefill[kv_type] && ssa_kernels.attn_prep_bytes &&
      (prep_bytes = ssa_kernels.attn_prep_bytes(n_ctx, n_kv_heads, head_dim)) > 0) {
    a.prep = scratch ? scratch : (owned = aligned_alloc(64, (prep_bytes + 63) / 64 * 64));
    if (a.prep) {
      a.prep_blocks = (n_ctx + ATTN_PREP_KEYS - 1) / ATTN_PREP_KEYS;
      fn = ssa_kernels.attn_prefill[kv_type];
    }
  }
  void (*const prep)(const ssa_attn_args *, int, int64_t) = a.prep ? ssa_kernels.attn_prep[kv_type] : NULL;
  const int64_t prep_items = a.prep_blocks * n_kv_heads;
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
  ssa_counter next_prep = 0, next = 0;
#pragma omp parallel num_threads(nt) if (nt > 1 && items + prep_items > 1)
  {
    int64_t i;
    if (prep) {
      while ((i = ssa_claim(&next_prep, 1)) < prep_items) prep(&a, (int)(i % n_kv_heads), i / n_kv_heads);
#pragma omp barrier
    }
    while ((i = ssa_claim(&next, 1)) < items) {
      const int64_t b = blocks - 1 - i / n_kv_heads;  // longest first
      const int g = (int)(i % n_kv_heads);
      const int64_t t0 = b * qb, t1 = t0 + qb < n ? t0 + qb : n;
      fn(&a, g, t0, t1);
    }
  }
  free(owned);
}

void ssa_attention_decode_batch(int kv_type, const ssa_attn_seq *seqs, int64_t n_seq, int n_heads, int n_kv_heads,
                                int head_dim, float scale, const float *q, int64_t ld_q, float *out, int64_t ld_out) {
  ssa_attn_fn fn = ssa_kernels.attn[kv_type];
  const int64_t items = n_seq * n_kv_heads;
  const int nt = ssa_threads();
  (void)nt;
  ssa_counter next = 0;
#pragma omp parallel num_threads(nt) if (nt > 1 && items > 1)
  {
    int64_t i;
    while ((i = ssa_claim(&next, 1)) < items) {
      const int64_t s = i / n_kv_heads;
      const ssa_attn_seq *seq = &seqs[s];
      ssa_attn_args a = {seq->k_cache, seq->v_cache, seq->capacity, n_heads, n_kv_heads, head_dim, scale,
                         q + s * ld_q, ld_q, seq->pos, out + s * ld_out, ld_out, NULL, 0, seq->pos + 1};
      fn(&a, (int)(i % n_kv_heads), 0, 1);
    }
  }
}
