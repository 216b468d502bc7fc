// The matmul driver: converts the activations the weight type asks for, then splits the output into
// blocks of rows x tokens across threads. It never names a weight type: the kernel table does.
#include "internal.h"

// Rows per work item: a multiple of every kernel's row tile, small enough to balance two threads on
// the narrowest matrices (128-row K/V projections), large enough to amortize the scheduling.
#define ROW_BLOCK 32
// Tokens per work item in prefill: activations of this many tokens stay in L2 while a block of
// weight rows is reused across them.
#define TOKEN_BLOCK 256

// Tile kernels (pad_tokens) also get every activation scale in token-tile-major order after the
// padded rows: 16 tokens' scales of a block are then one vector load.
static float *tile_scales(const ssa_mm_kernel *k, void *scratch, size_t act_stride, int64_t n) {
  const int64_t padded = (n + k->pad_tokens - 1) / k->pad_tokens * k->pad_tokens;
  return (float *)((uint8_t *)scratch + (size_t)padded * act_stride);
}

void ssa_matmul(int wtype, const void *w, int64_t rows, int64_t cols, const float *x, int64_t ldx,
                int64_t n, float *y, int64_t ldy, void *scratch) {
  const ssa_mm_kernel *k = &ssa_kernels.mm[wtype];
  const size_t w_stride = (size_t)(cols / ssa_type_block_elems(wtype)) * ssa_type_block_bytes(wtype);
  ssa_mm_args a = {w, w_stride, cols, x, (size_t)ldx * sizeof(float), y, ldy, NULL};
  const size_t act_stride = k->convert_act ? k->act_row_bytes(cols) : 0;
  if (k->convert_act) {
    a.act = scratch;
    a.act_stride = act_stride;
  }
  // Tile kernels read whole tiles of pad_tokens tokens: the rows past the last token are zeros.
  const int tiled = k->convert_act && k->pad_tokens > 0 && n > 1;
  const int64_t nb = cols / QK, tile = tiled ? k->pad_tokens : 1;
  float *scales = tiled ? tile_scales(k, scratch, act_stride, n) : NULL;
  if (tiled) {
    const int64_t padded = (n + tile - 1) / tile * tile;
    memset((uint8_t *)scratch + n * act_stride, 0, (size_t)(padded - n) * act_stride);
    for (int64_t t = n; t < padded; t++)
      for (int64_t b = 0; b < nb; b++) scales[((t / tile) * nb + b) * tile + t % tile] = 0.0f;
    a.act_scales = scales;
  }
  int64_t row_block = ROW_BLOCK, token_block = TOKEN_BLOCK;
  if (n > 1 && k->item_rows) row_block = k->item_rows, token_block = k->item_tokens;
  const int64_t row_blocks = (rows + row_block - 1) / row_block;
  const int64_t token_blocks = (n + token_block - 1) / token_block;
  const int64_t items = row_blocks * token_blocks;
  const int nt = ssa_threads();
  (void)nt;  // unused when built without OpenMP
  // Items per claim: one in prefill; in decode (thousands of small row blocks for the output head)
  // enough that claiming costs nothing next to the work.
  const int64_t grain = items > 64 * nt ? items / (32 * nt) : 1;
  ssa_counter next = 0;
#pragma omp parallel num_threads(nt) if (nt > 1 && items * n > 1)
  {
    if (k->convert_act) {
#pragma omp for schedule(static)
      for (int64_t t = 0; t < n; t++) {
        uint8_t *row = (uint8_t *)scratch + t * act_stride;
        k->convert_act(x + t * ldx, row, cols);
        if (scales) {
          const float *d = act_q8_d(row, cols);
          for (int64_t b = 0; b < nb; b++) scales[((t / tile) * nb + b) * tile + t % tile] = d[b];
        }
      }
    }
    // Token blocks outermost so consecutive items share activations in cache. Items are claimed
    // as threads free up: on a loaded machine a core that is slowed down takes fewer.
    int64_t i0;
    while ((i0 = ssa_claim(&next, grain)) < items) {
      for (int64_t i = i0; i < i0 + grain && i < items; i++) {
        const int64_t tb = i / row_blocks, rb = i % row_blocks;
        const int64_t r0 = rb * row_block, r1 = r0 + row_block < rows ? r0 + row_block : rows;
        const int64_t t0 = tb * token_block, t1 = t0 + token_block < n ? t0 + token_block : n;
        k->gemm(&a, r0, r1, t0, t1);
      }
    }
  }
}
