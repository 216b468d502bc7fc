// The matmul driver: converts the activations the weight type asks for, then splits the output into
// blocks of rows x tokens across threads. It never names a weight type: the kernel table does.
// ssa_mlp runs a whole MLP block the same way, with SwiGLU and the down projection's activation
// conversion done on each block of gate/up outputs while it is still in cache.
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

// Where the scale of block b of token t sits in the tile-order copy (tiles of `tile` tokens).
static int64_t tile_scale_index(int64_t tile, int64_t nb, int64_t t, int64_t b) { return ((t / tile) * nb + b) * tile + t % tile; }

static int is_tiled(const ssa_mm_kernel *k, int64_t n) { return k->convert_act && k->pad_tokens > 0 && n > 1; }

// The arguments of a matmul whose activations (if the kernel converts them) go to scratch: the
// rows a tile kernel reads past the last token are zeroed, with their scales.
static ssa_mm_args mm_args(const ssa_mm_kernel *k, int wtype, const void *w, int64_t cols, const float *x,
                           int64_t ldx, int64_t n, float *y, int64_t ldy, void *scratch) {
  const size_t w_stride = (size_t)(cols / ssa_type_block_elems(wtype)) * ssa_type_block_bytes(wtype);
  ssa_mm_args a = {w, w_stride, cols, x, (size_t)ldx * sizeof(float), y, ldy, NULL};
  if (!k->convert_act) return a;
  a.act = scratch;
  a.act_stride = k->act_row_bytes(cols);
  if (is_tiled(k, n)) {
    const int64_t tile = k->pad_tokens, nb = cols / QK, padded = (n + tile - 1) / tile * tile;
    float *scales = tile_scales(k, scratch, a.act_stride, n);
    memset((uint8_t *)scratch + n * a.act_stride, 0, (size_t)(padded - n) * a.act_stride);
    for (int64_t t = n; t < padded; t++)
      for (int64_t b = 0; b < nb; b++) scales[tile_scale_index(tile, nb, t, b)] = 0.0f;
    a.act_scales = scales;
  }
  return a;
}

// Activation row t of a converted matmul: its int8 values and scales, and the scales again in the
// tile order.
static void convert_row(const ssa_mm_kernel *k, const ssa_mm_args *a, const float *x, int64_t ldx, int64_t t) {
  uint8_t *row = (uint8_t *)a->act + t * a->act_stride;
  k->convert_act(x + t * ldx, row, a->cols);
  if (a->act_scales) {
    const int64_t nb = a->cols / QK, tile = k->pad_tokens;
    const float *d = act_q8_d(row, a->cols);
    float *scales = (float *)a->act_scales;
    for (int64_t b = 0; b < nb; b++) scales[tile_scale_index(tile, nb, t, b)] = d[b];
  }
}

// Work items of rows x n tokens: blocks of row_block x token_block, token blocks outermost so that
// consecutive items share activations in cache. Items are claimed as threads free up: on a loaded
// machine a core that is slowed down takes fewer. Called by every thread of a parallel region.
typedef struct {
  int64_t rows, n, row_block, token_block, items, grain;
} item_grid;

static item_grid grid(const ssa_mm_kernel *k, int64_t rows, int64_t n) {
  item_grid g = {rows, n, ROW_BLOCK, TOKEN_BLOCK, 0, 1};
  if (n > 1 && k->item_rows) g.row_block = k->item_rows, g.token_block = k->item_tokens;
  const int64_t row_blocks = (rows + g.row_block - 1) / g.row_block;
  g.items = row_blocks * ((n + g.token_block - 1) / g.token_block);
  // Items per claim: one in prefill; in decode (thousands of small row blocks for the output head)
  // enough that claiming costs nothing next to the work.
  const int nt = ssa_threads();
  g.grain = g.items > 64 * nt ? g.items / (32 * nt) : 1;
  return g;
}

static void run_items(const ssa_mm_kernel *k, const ssa_mm_args *a, const item_grid *g, ssa_counter *next) {
  const int64_t row_blocks = (g->rows + g->row_block - 1) / g->row_block;
  int64_t i0;
  while ((i0 = ssa_claim(next, g->grain)) < g->items) {
    for (int64_t i = i0; i < i0 + g->grain && i < g->items; i++) {
      const int64_t tb = i / row_blocks, rb = i % row_blocks;
      const int64_t r0 = rb * g->row_block, r1 = r0 + g->row_block < g->rows ? r0 + g->row_block : g->rows;
      const int64_t t0 = tb * g->token_block, t1 = t0 + g->token_block < g->n ? t0 + g->token_block : g->n;
      k->gemm(a, r0, r1, t0, t1);
    }
  }
}

void ssa_matmul(int wtype, const void *w, int64_t rows, int64_t cols, const float *x, int64_t ldx,
                int64_t n, float *y, int64_t ldy, void *scratch) {
  const ssa_mm_kernel *k = &ssa_kernels.mm[wtype];
  const ssa_mm_args a = mm_args(k, wtype, w, cols, x, ldx, n, y, ldy, scratch);
  const item_grid g = grid(k, rows, n);
  ssa_counter next = 0;
  const int nt = ssa_threads();
  (void)nt;  // unused when built without OpenMP
#pragma omp parallel num_threads(nt) if (nt > 1 && g.items * n > 1)
  {
    if (k->convert_act) {
#pragma omp for schedule(static)
      for (int64_t t = 0; t < n; t++) convert_row(k, &a, x, ldx, t);
    }
    run_items(k, &a, &g, &next);
  }
}

size_t ssa_act_row_bytes(int wtype, int64_t cols) {
  if (wtype < 0 || wtype >= 256 || !ssa_kernels.mm[wtype].convert_act) return 0;
  return ssa_kernels.mm[wtype].act_row_bytes(cols);
}

size_t ssa_convert_act(int wtype, const float *x, void *dst, int64_t cols) {
  const size_t bytes = ssa_act_row_bytes(wtype, cols);
  if (bytes) ssa_kernels.mm[wtype].convert_act(x, dst, cols);
  return bytes;
}

// ---- the MLP block -------------------------------------------------------------------------------
// Gate/up outputs are the largest of a chunk (2 x 4,864 floats a token for Qwen2.5-0.5B): written to
// memory they missed every cache, and the stores took a third of the gate/up GEMM's time on the AMX
// machine (ssa bench-kernels, outputs written or not). Here an item computes MLP_COLS columns of
// gate and of up for MLP_TOKENS tokens into a buffer of its own, applies SwiGLU there and converts
// the result straight into the down projection's int8 activations: the same operations on the same
// values as ssa_matmul + ssa_swiglu_rows + ssa_matmul, so the same bits.

#define MLP_COLS 64     // columns of gate and of up per item: two activation blocks of the down projection
#define MLP_TOKENS 128  // tokens per item (a multiple of every kernel's token tile)

// Both matrices quantize their activations into the shared int8 row layout (internal.h).
int ssa_mlp_fusable(int gu_type, int down_type, int64_t ffn) {
  if (gu_type < 0 || gu_type >= 256 || down_type < 0 || down_type >= 256 || ffn % MLP_COLS != 0) return 0;
  const ssa_mm_kernel *gu = &ssa_kernels.mm[gu_type], *down = &ssa_kernels.mm[down_type];
  return gu->gemm && down->gemm && gu->convert_act && down->convert_act &&
         gu->act_row_bytes == ssa_act_q8_row_bytes && down->act_row_bytes == ssa_act_q8_row_bytes;
}

static size_t align64(size_t n) { return (n + 63) & ~(size_t)63; }

size_t ssa_mlp_scratch_size(int gu_type, int down_type, int64_t hidden, int64_t ffn, int64_t n) {
  return align64(ssa_matmul_scratch_size(gu_type, hidden, n)) + ssa_matmul_scratch_size(down_type, ffn, n);
}

// Columns [c0, c0 + MLP_COLS) of silu(gate) * up for tokens [t0, t1), as the down projection's
// activations (act: its converted rows, tile order scales included).
static void mlp_item(const ssa_mm_kernel *k, const ssa_mm_args *gu, int64_t ffn, const ssa_mm_kernel *kd,
                     const ssa_mm_args *act, int64_t c0, int64_t t0, int64_t t1) {
  _Alignas(64) float buf[2 * MLP_TOKENS * MLP_COLS];  // gate [token][col], then up [token][col]
  _Alignas(64) uint8_t conv[2 * MLP_COLS];          // one token's MLP_COLS values converted
  const int64_t m = t1 - t0;
  ssa_mm_args part = *gu;
  part.ldy = MLP_COLS;
  // tokens from t0: the activations and their tile-order scales from t0 (a multiple of the tile)
  part.act = (const uint8_t *)gu->act + t0 * gu->act_stride;
  if (gu->act_scales) part.act_scales = gu->act_scales + tile_scale_index(k->pad_tokens, gu->cols / QK, t0, 0);
  for (int half = 0; half < 2; half++) {
    part.w = (const uint8_t *)gu->w + (size_t)(half * ffn + c0) * gu->w_stride;
    part.y = buf + half * m * MLP_COLS;
    k->gemm(&part, 0, MLP_COLS, 0, m);
  }
  ssa_kernels.swiglu(buf, buf + m * MLP_COLS, m * MLP_COLS);
  const int64_t nb = ffn / QK;
  for (int64_t t = t0; t < t1; t++) {
    const float *h = buf + (t - t0) * MLP_COLS;
    uint8_t *row = (uint8_t *)act->act + t * act->act_stride;
    kd->convert_act(h, conv, MLP_COLS);  // blocks are converted one by one: the same bytes as a whole row
    memcpy(row + c0, conv, MLP_COLS);
    for (int64_t j = 0; j < MLP_COLS / QK; j++) {
      const int64_t b = c0 / QK + j;
      act_q8_d(row, ffn)[b] = act_q8_d(conv, MLP_COLS)[j];
      act_q8_s(row, ffn)[b] = act_q8_s(conv, MLP_COLS)[j];
      if (act->act_scales) ((float *)act->act_scales)[tile_scale_index(kd->pad_tokens, nb, t, b)] = act_q8_d(conv, MLP_COLS)[j];
    }
  }
}

void ssa_mlp(int gu_type, const void *w_gu, int down_type, const void *w_down, int64_t hidden, int64_t ffn,
             const float *x, int64_t n, float *y, void *scratch) {
  const ssa_mm_kernel *k = &ssa_kernels.mm[gu_type], *kd = &ssa_kernels.mm[down_type];
  uint8_t *down_scratch = (uint8_t *)scratch + align64(ssa_matmul_scratch_size(gu_type, hidden, n));
  const ssa_mm_args gu = mm_args(k, gu_type, w_gu, hidden, x, hidden, n, NULL, 0, scratch);
  const ssa_mm_args down = mm_args(kd, down_type, w_down, ffn, NULL, 0, n, y, hidden, down_scratch);
  const int64_t col_blocks = ffn / MLP_COLS, mlp_items = col_blocks * ((n + MLP_TOKENS - 1) / MLP_TOKENS);
  const item_grid g = grid(kd, hidden, n);
  ssa_counter next = 0, next_down = 0;
  const int nt = ssa_threads();
  (void)nt;
#pragma omp parallel num_threads(nt) if (nt > 1 && n > 1)
  {
#pragma omp for schedule(static)
    for (int64_t t = 0; t < n; t++) convert_row(k, &gu, x, hidden, t);
    int64_t i;
    while ((i = ssa_claim(&next, 1)) < mlp_items) {
      const int64_t tb = i / col_blocks, cb = i % col_blocks;
      const int64_t t0 = tb * MLP_TOKENS, t1 = t0 + MLP_TOKENS < n ? t0 + MLP_TOKENS : n;
      mlp_item(k, &gu, ffn, kd, &down, cb * MLP_COLS, t0, t1);
    }
#pragma omp barrier
    run_items(kd, &down, &g, &next_down);
  }
}
