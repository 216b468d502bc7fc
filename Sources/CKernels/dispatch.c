// The one place that looks at the CPU: at load time it detects the instruction sets, fills the
// kernel table of the best one (or of the best up to SSA_ISA), and keeps the others this CPU can run
// so tests can force them.
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

ssa_kernel_table ssa_kernels;

// In order of preference: a later ISA this CPU runs wins. AMX is AVX-512 VNNI plus the tile unit.
enum { ISA_SCALAR, ISA_AVX2, ISA_AVX512, ISA_AMX, ISA_NEON, ISA_COUNT };

static const char *const isa_names[ISA_COUNT] = {"scalar", "avx2", "avx512vnni", "amx", "neon"};
// How far up a set is: SSA_ISA=X keeps the sets of X's rank or below (X's own family), so an AVX-512
// machine can run and test its AVX2 kernels as an AVX2-only CPU would.
static const int isa_rank[ISA_COUNT] = {[ISA_SCALAR] = 0, [ISA_AVX2] = 1, [ISA_AVX512] = 2, [ISA_AMX] = 3, [ISA_NEON] = 1};
static ssa_kernel_table tables[ISA_COUNT];
static int available[ISA_COUNT];
static int threads = 1;
static int isa_cap = ISA_COUNT;  // the set SSA_ISA asked for (ISA_COUNT: none)
static int isa_request = SSA_ISA_REQUEST_NONE;

// SSA_ISA, read once: the highest kernel set to use. SSA_NO_AMX=1 (any value but 0), its older
// spelling for one case, still means SSA_ISA=avx512vnni when SSA_ISA is unset.
static void read_isa_request(void) {
  const char *isa = getenv("SSA_ISA");
  if (isa && *isa) {
    for (int i = 0; i < ISA_COUNT; i++)
      if (strcmp(isa, isa_names[i]) == 0) isa_cap = i;
    isa_request = isa_cap < ISA_COUNT ? SSA_ISA_REQUEST_HONOURED : SSA_ISA_REQUEST_UNKNOWN;
    return;
  }
  const char *no_amx = getenv("SSA_NO_AMX");
  if (no_amx && *no_amx && strcmp(no_amx, "0") != 0) isa_cap = ISA_AVX512;
}

static int isa_allowed(int i) {
  return isa_cap == ISA_COUNT || i == ISA_SCALAR || i == isa_cap || isa_rank[i] < isa_rank[isa_cap];
}

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

static uint64_t xgetbv0(void) {
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (uint64_t)hi << 32 | lo;
}

// Nonzero when the OS lets this process use the tile registers (Linux asks each process to request
// them; elsewhere AMX is not used).
static int request_tile_data(void) {
#if defined(__linux__) && defined(__x86_64__)
  enum { ARCH_REQ_XCOMP_PERM = 0x1023, XFEATURE_XTILEDATA = 18 };
  return syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0;
#else
  return 0;
#endif
}

static int has_amx_bf16;

static void detect(void) {
  // the tile data is only requested from the OS when AMX may run
  const int amx_allowed = isa_allowed(ISA_AMX);
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return;
  const int osxsave = (c >> 27) & 1, fma = (c >> 12) & 1, f16c = (c >> 29) & 1, avx = (c >> 28) & 1;
  if (!osxsave || !avx) return;
  const uint64_t xcr0 = xgetbv0();
  const int ymm_os = (xcr0 & 0x6) == 0x6, zmm_os = (xcr0 & 0xe6) == 0xe6;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return;
  const int avx2 = (b >> 5) & 1, avx512f = (b >> 16) & 1, avx512bw = (b >> 30) & 1;
  const int avx512vl = (b >> 31) & 1, avx512vnni = (c >> 11) & 1;
  const int amx_tile = (d >> 24) & 1, amx_int8 = (d >> 25) & 1;
  available[ISA_AVX2] = ymm_os && avx2 && fma && f16c;
  available[ISA_AVX512] = available[ISA_AVX2] && zmm_os && avx512f && avx512bw && avx512vl && avx512vnni;
  // The tile registers: the OS must enable their state (XCR0 bits 17-18) and, on Linux, grant this
  // process the 8 KB of tile data per thread (arch_prctl ARCH_REQ_XCOMP_PERM, Linux 5.16+).
  const int tile_os = (xcr0 & 0x60000) == 0x60000;
  available[ISA_AMX] = available[ISA_AVX512] && amx_tile && amx_int8 && tile_os && amx_allowed && request_tile_data();
  const int amx_bf16 = (d >> 22) & 1;
  const int avx512bf16 = __get_cpuid_count(7, 1, &a, &b, &c, &d) && ((a >> 5) & 1);
  has_amx_bf16 = available[ISA_AMX] && amx_bf16 && avx512bf16;
}
#elif defined(__aarch64__)
#if defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif
static int query_dotprod(void) { return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0; }
#elif defined(__APPLE__)
#include <sys/sysctl.h>
static int query_dotprod(void) {
  int value = 0;
  size_t size = sizeof value;
  return sysctlbyname("hw.optional.arm.FEAT_DotProd", &value, &size, NULL, 0) == 0 && value;
}
#else
static int query_dotprod(void) { return 0; }
#endif
static int dotprod;
static void detect(void) {
  available[ISA_NEON] = 1;  // Advanced SIMD is mandatory on AArch64
  dotprod = query_dotprod();
}
#else
static void detect(void) {}
#endif


// Each ISA's table starts as a copy of the scalar one, so an entry an ISA lacks falls back.
static void (*const fillers[ISA_COUNT])(ssa_kernel_table *) = {
    [ISA_SCALAR] = NULL,
#if defined(__x86_64__)
    [ISA_AVX2] = ssa_fill_avx2,
    [ISA_AVX512] = ssa_fill_avx512,
    [ISA_AMX] = ssa_fill_amx,
#endif
#if defined(__aarch64__)
    [ISA_NEON] = ssa_fill_neon,
#endif
};

static void fill(int isa) {
  ssa_fill_scalar(&tables[isa]);
#if defined(__x86_64__)
  if (isa == ISA_AMX) ssa_fill_avx512(&tables[isa]);  // AMX adds to the AVX-512 kernels
#endif
  if (fillers[isa]) fillers[isa](&tables[isa]);
  tables[isa].name = isa_names[isa];
}

__attribute__((constructor)) static void ssa_dispatch_init(void) {
  available[ISA_SCALAR] = 1;
  read_isa_request();
  detect();
  if (isa_request == SSA_ISA_REQUEST_HONOURED && (!available[isa_cap] || !(isa_cap == ISA_SCALAR || fillers[isa_cap])))
    isa_request = SSA_ISA_REQUEST_CAPPED;
  int best = ISA_SCALAR;
  for (int i = 0; i < ISA_COUNT; i++) {
    if (i != ISA_SCALAR && !fillers[i]) available[i] = 0;  // no kernels for it in this build
    if (!isa_allowed(i)) available[i] = 0;
    if (!available[i]) continue;
    fill(i);
    best = i;
  }
  ssa_kernels = tables[best];
  ssa_set_threads(0);
}

int ssa_cpu_has_dotprod(void) {
#if defined(__aarch64__)
  return dotprod;
#else
  return 0;
#endif
}

int ssa_cpu_has_amx_bf16(void) {
#if defined(__x86_64__)
  return has_amx_bf16;
#else
  return 0;
#endif
}

const char *ssa_kernel_isa(void) { return ssa_kernels.name; }

int ssa_isa_request(void) { return isa_request; }

int ssa_force_isa(const char *isa) {
  for (int i = 0; i < ISA_COUNT; i++) {
    if (available[i] && strcmp(isa, isa_names[i]) == 0) {
      ssa_kernels = tables[i];
      return 1;
    }
  }
  return 0;
}

// Scratch sizes must hold for whichever table is active when the scratch is used.
size_t ssa_matmul_scratch_size(int wtype, int64_t cols, int64_t n) {
  if (wtype < 0 || wtype >= 256) return 0;
  size_t most = 0;
  for (int i = 0; i < ISA_COUNT; i++) {
    const ssa_mm_kernel *k = &tables[i].mm[wtype];
    if (!available[i] || !k->act_row_bytes) continue;
    // tile kernels: rows padded to whole tiles, then every scale again (matmul.c)
    const int64_t pad = k->pad_tokens, rows = pad > 0 ? (n + pad - 1) / pad * pad : n;
    const size_t bytes = k->act_row_bytes(cols) * (size_t)rows + (pad > 0 ? (size_t)rows * (size_t)(cols / QK) * 4 : 0);
    if (bytes > most) most = bytes;
  }
  return most;
}

size_t ssa_attention_scratch_size(int64_t n_ctx, int64_t n, int n_kv_heads, int head_dim) {
  (void)n;
  size_t most = 0;
  for (int i = 0; i < ISA_COUNT; i++) {
    if (!available[i] || !tables[i].attn_prep_bytes) continue;
    const size_t bytes = tables[i].attn_prep_bytes(n_ctx, n_kv_heads, head_dim);
    if (bytes > most) most = bytes;
  }
  return most;
}

void ssa_set_threads(int n) {
#ifdef _OPENMP
  threads = n > 0 ? n : omp_get_num_procs();
#else
  (void)n;
  threads = 1;
#endif
}

int ssa_get_threads(void) { return threads; }
int ssa_threads(void) { return threads; }
