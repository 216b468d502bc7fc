// The int8 (and fp32) multiply-add peak of one x86 core without VNNI or AMX: how many AVX2
// multiply-add instructions of each kind issue per core clock, from register-only loops (12
// independent chains, so latency never limits), and the core clock itself (a chain of dependent
// scalar adds, one per clock). The int8 peak of the machine is then
//   (int8 multiply-adds per instruction) x (instructions per clock) x clock x cores,
// for the instruction sequence a kernel must use:
//   vpmaddubsw                   32 u8 x s8 products summed in pairs to int16 (the raw multiplier rate)
//   vpmaddubsw + vpmaddwd(1s)    the same widened to int32 (Q8_0: int16 pair sums cannot be added twice)
//   vpsignb + vpmaddubsw + vpmaddwd + vpaddd   a whole signed x signed step, as Q8_0 kernels take it
//   8 vpmaddubsw + 7 vpaddw + vpmaddwd        Q4_0 nibbles: int16 sums of 8 products, one widening
// and vfmadd231ps (8 fp32 multiply-adds) as a control. With AVX-512 VNNI or AVX-VNNI the figure
// would be vpdpbusd's (not measured here: this probe is for the AVX2 path).
//
// clang -O2 -mavx2 -mfma int8-probe.c -o int8-probe && ./int8-probe [SECONDS]
// Prints, per sequence, the best of several passes: instructions per clock and int8 multiply-adds
// per clock and per second on one core. Run it on an idle core (taskset) for the unshared figure.
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define ITERS 2000000L

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

// Core clocks per second: 8 dependent adds per iteration, one clock each.
static double clock_hz(void) {
  const long n = ITERS;
  uint64_t x = 0;
  const double t0 = now();
  for (long i = 0; i < n; i++)
    __asm__ volatile("add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
                     "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0" : "+r"(x));
  return 8.0 * n / (now() - t0);
}

// 12 independent vpmaddubsw per iteration.
static double run_maddubs(void) {
  const double t0 = now();
  __asm__ volatile(
      "vpcmpeqb %%ymm15, %%ymm15, %%ymm15\n\t"
      "mov %0, %%rcx\n"
      "1:\n\t"
      "vpmaddubsw %%ymm15, %%ymm14, %%ymm0\n\tvpmaddubsw %%ymm15, %%ymm14, %%ymm1\n\t"
      "vpmaddubsw %%ymm15, %%ymm14, %%ymm2\n\tvpmaddubsw %%ymm15, %%ymm14, %%ymm3\n\t"
      "vpmaddubsw %%ymm15, %%ymm14, %%ymm4\n\tvpmaddubsw %%ymm15, %%ymm14, %%ymm5\n\t"
      "vpmaddubsw %%ymm15, %%ymm14, %%ymm6\n\tvpmaddubsw %%ymm15, %%ymm14, %%ymm7\n\t"
      "vpmaddubsw %%ymm15, %%ymm14, %%ymm8\n\tvpmaddubsw %%ymm15, %%ymm14, %%ymm9\n\t"
      "vpmaddubsw %%ymm15, %%ymm14, %%ymm10\n\tvpmaddubsw %%ymm15, %%ymm14, %%ymm11\n\t"
      "dec %%rcx\n\tjnz 1b"
      :: "r"(ITERS) : "rcx", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
        "xmm9", "xmm10", "xmm11", "xmm14", "xmm15");
  return now() - t0;
}

// 6 independent (vpmaddubsw, vpmaddwd) pairs per iteration.
static double run_maddubs_madd(void) {
  const double t0 = now();
  __asm__ volatile(
      "vpcmpeqb %%ymm15, %%ymm15, %%ymm15\n\t"
      "mov %0, %%rcx\n"
      "1:\n\t"
      "vpmaddubsw %%ymm15, %%ymm14, %%ymm0\n\tvpmaddubsw %%ymm15, %%ymm14, %%ymm1\n\t"
      "vpmaddubsw %%ymm15, %%ymm14, %%ymm2\n\tvpmaddubsw %%ymm15, %%ymm14, %%ymm3\n\t"
      "vpmaddubsw %%ymm15, %%ymm14, %%ymm4\n\tvpmaddubsw %%ymm15, %%ymm14, %%ymm5\n\t"
      "vpmaddwd %%ymm13, %%ymm0, %%ymm6\n\tvpmaddwd %%ymm13, %%ymm1, %%ymm7\n\t"
      "vpmaddwd %%ymm13, %%ymm2, %%ymm8\n\tvpmaddwd %%ymm13, %%ymm3, %%ymm9\n\t"
      "vpmaddwd %%ymm13, %%ymm4, %%ymm10\n\tvpmaddwd %%ymm13, %%ymm5, %%ymm11\n\t"
      "dec %%rcx\n\tjnz 1b"
      :: "r"(ITERS) : "rcx", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
        "xmm9", "xmm10", "xmm11", "xmm13", "xmm14", "xmm15");
  return now() - t0;
}

// 4 independent signed steps per iteration: vpsignb, vpmaddubsw, vpmaddwd, vpaddd into an accumulator.
static double run_signed_step(void) {
  const double t0 = now();
  __asm__ volatile(
      "vpcmpeqb %%ymm15, %%ymm15, %%ymm15\n\t"
      "mov %0, %%rcx\n"
      "1:\n\t"
      "vpsignb %%ymm15, %%ymm14, %%ymm0\n\tvpsignb %%ymm15, %%ymm14, %%ymm1\n\t"
      "vpsignb %%ymm15, %%ymm14, %%ymm2\n\tvpsignb %%ymm15, %%ymm14, %%ymm3\n\t"
      "vpmaddubsw %%ymm0, %%ymm12, %%ymm0\n\tvpmaddubsw %%ymm1, %%ymm12, %%ymm1\n\t"
      "vpmaddubsw %%ymm2, %%ymm12, %%ymm2\n\tvpmaddubsw %%ymm3, %%ymm12, %%ymm3\n\t"
      "vpmaddwd %%ymm13, %%ymm0, %%ymm0\n\tvpmaddwd %%ymm13, %%ymm1, %%ymm1\n\t"
      "vpmaddwd %%ymm13, %%ymm2, %%ymm2\n\tvpmaddwd %%ymm13, %%ymm3, %%ymm3\n\t"
      "vpaddd %%ymm0, %%ymm4, %%ymm4\n\tvpaddd %%ymm1, %%ymm5, %%ymm5\n\t"
      "vpaddd %%ymm2, %%ymm6, %%ymm6\n\tvpaddd %%ymm3, %%ymm7, %%ymm7\n\t"
      "dec %%rcx\n\tjnz 1b"
      :: "r"(ITERS) : "rcx", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
        "xmm12", "xmm13", "xmm14", "xmm15");
  return now() - t0;
}

// 2 independent Q4_0 sums per iteration: 8 vpmaddubsw added in int16 (7 vpaddw), one vpmaddwd.
static double run_q4_step(void) {
  const double t0 = now();
  __asm__ volatile(
      "vpcmpeqb %%ymm15, %%ymm15, %%ymm15\n\t"
      "mov %0, %%rcx\n"
      "1:\n\t"
      "vpmaddubsw %%ymm15, %%ymm14, %%ymm0\n\tvpmaddubsw %%ymm15, %%ymm14, %%ymm1\n\t"
      "vpmaddubsw %%ymm15, %%ymm14, %%ymm2\n\tvpmaddubsw %%ymm15, %%ymm14, %%ymm3\n\t"
      "vpmaddubsw %%ymm15, %%ymm14, %%ymm4\n\tvpmaddubsw %%ymm15, %%ymm14, %%ymm5\n\t"
      "vpmaddubsw %%ymm15, %%ymm14, %%ymm6\n\tvpmaddubsw %%ymm15, %%ymm14, %%ymm7\n\t"
      "vpaddw %%ymm0, %%ymm1, %%ymm0\n\tvpaddw %%ymm2, %%ymm3, %%ymm2\n\t"
      "vpaddw %%ymm4, %%ymm5, %%ymm4\n\tvpaddw %%ymm6, %%ymm7, %%ymm6\n\t"
      "vpaddw %%ymm0, %%ymm2, %%ymm0\n\tvpaddw %%ymm4, %%ymm6, %%ymm4\n\t"
      "vpaddw %%ymm0, %%ymm4, %%ymm0\n\t"
      "vpmaddwd %%ymm13, %%ymm0, %%ymm0\n\t"
      "vpmaddubsw %%ymm15, %%ymm14, %%ymm8\n\tvpmaddubsw %%ymm15, %%ymm14, %%ymm9\n\t"
      "vpmaddubsw %%ymm15, %%ymm14, %%ymm10\n\tvpmaddubsw %%ymm15, %%ymm14, %%ymm11\n\t"
      "vpmaddubsw %%ymm15, %%ymm14, %%ymm1\n\tvpmaddubsw %%ymm15, %%ymm14, %%ymm2\n\t"
      "vpmaddubsw %%ymm15, %%ymm14, %%ymm3\n\tvpmaddubsw %%ymm15, %%ymm14, %%ymm5\n\t"
      "vpaddw %%ymm8, %%ymm9, %%ymm8\n\tvpaddw %%ymm10, %%ymm11, %%ymm10\n\t"
      "vpaddw %%ymm1, %%ymm2, %%ymm1\n\tvpaddw %%ymm3, %%ymm5, %%ymm3\n\t"
      "vpaddw %%ymm8, %%ymm10, %%ymm8\n\tvpaddw %%ymm1, %%ymm3, %%ymm1\n\t"
      "vpaddw %%ymm8, %%ymm1, %%ymm8\n\t"
      "vpmaddwd %%ymm13, %%ymm8, %%ymm8\n\t"
      "dec %%rcx\n\tjnz 1b"
      :: "r"(ITERS) : "rcx", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
        "xmm9", "xmm10", "xmm11", "xmm13", "xmm14", "xmm15");
  return now() - t0;
}

// 12 independent vpaddd per iteration (the integer ALU's rate, for the other instructions of a kernel).
static double run_paddd(void) {
  const double t0 = now();
  __asm__ volatile(
      "mov %0, %%rcx\n"
      "1:\n\t"
      "vpaddd %%ymm15, %%ymm0, %%ymm0\n\tvpaddd %%ymm15, %%ymm1, %%ymm1\n\t"
      "vpaddd %%ymm15, %%ymm2, %%ymm2\n\tvpaddd %%ymm15, %%ymm3, %%ymm3\n\t"
      "vpaddd %%ymm15, %%ymm4, %%ymm4\n\tvpaddd %%ymm15, %%ymm5, %%ymm5\n\t"
      "vpaddd %%ymm15, %%ymm6, %%ymm6\n\tvpaddd %%ymm15, %%ymm7, %%ymm7\n\t"
      "vpaddd %%ymm15, %%ymm8, %%ymm8\n\tvpaddd %%ymm15, %%ymm9, %%ymm9\n\t"
      "vpaddd %%ymm15, %%ymm10, %%ymm10\n\tvpaddd %%ymm15, %%ymm11, %%ymm11\n\t"
      "dec %%rcx\n\tjnz 1b"
      :: "r"(ITERS) : "rcx", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
        "xmm9", "xmm10", "xmm11", "xmm15");
  return now() - t0;
}

// 12 independent vfmadd231ps per iteration.
static double run_fma(void) {
  const double t0 = now();
  __asm__ volatile(
      "vxorps %%ymm15, %%ymm15, %%ymm15\n\tvxorps %%ymm14, %%ymm14, %%ymm14\n\t"
      "mov %0, %%rcx\n"
      "1:\n\t"
      "vfmadd231ps %%ymm15, %%ymm14, %%ymm0\n\tvfmadd231ps %%ymm15, %%ymm14, %%ymm1\n\t"
      "vfmadd231ps %%ymm15, %%ymm14, %%ymm2\n\tvfmadd231ps %%ymm15, %%ymm14, %%ymm3\n\t"
      "vfmadd231ps %%ymm15, %%ymm14, %%ymm4\n\tvfmadd231ps %%ymm15, %%ymm14, %%ymm5\n\t"
      "vfmadd231ps %%ymm15, %%ymm14, %%ymm6\n\tvfmadd231ps %%ymm15, %%ymm14, %%ymm7\n\t"
      "vfmadd231ps %%ymm15, %%ymm14, %%ymm8\n\tvfmadd231ps %%ymm15, %%ymm14, %%ymm9\n\t"
      "vfmadd231ps %%ymm15, %%ymm14, %%ymm10\n\tvfmadd231ps %%ymm15, %%ymm14, %%ymm11\n\t"
      "dec %%rcx\n\tjnz 1b"
      :: "r"(ITERS) : "rcx", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
        "xmm9", "xmm10", "xmm11", "xmm14", "xmm15");
  return now() - t0;
}


// Which other instructions issue alongside the multiplies (the pipes they share): 8 independent
// vpmaddubsw and 8 independent instructions of another kind per iteration. If the other kind runs on
// pipes of its own, an iteration takes the 4 clocks of the multiplies; if it shares theirs, 8.
#define MIX(NAME, OTHER)                                                                              \
  static double NAME(void) {                                                                          \
    static _Alignas(32) int32_t mem[64];                                                              \
    const double t0 = now();                                                                          \
    __asm__ volatile(                                                                                 \
        "vpcmpeqb %%ymm15, %%ymm15, %%ymm15\n\t"                                                      \
        "mov %0, %%rcx\n"                                                                             \
        "1:\n\t"                                                                                       \
        "vpmaddubsw %%ymm15, %%ymm14, %%ymm0\n\tvpmaddubsw %%ymm15, %%ymm14, %%ymm1\n\t"               \
        "vpmaddubsw %%ymm15, %%ymm14, %%ymm2\n\tvpmaddubsw %%ymm15, %%ymm14, %%ymm3\n\t"               \
        "vpmaddubsw %%ymm15, %%ymm14, %%ymm4\n\tvpmaddubsw %%ymm15, %%ymm14, %%ymm5\n\t"               \
        "vpmaddubsw %%ymm15, %%ymm14, %%ymm6\n\tvpmaddubsw %%ymm15, %%ymm14, %%ymm7\n\t"               \
        OTHER("8") OTHER("9") OTHER("10") OTHER("11") OTHER("12") OTHER("13") OTHER("8") OTHER("9")     \
        "dec %%rcx\n\tjnz 1b"                                                                          \
        :: "r"(ITERS), "r"(mem) : "rcx", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",        \
          "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "memory");       \
    return now() - t0;                                                                                \
  }
#define SIGNB(r) "vpsignb %%ymm15, %%ymm14, %%ymm" r "\n\t"
#define PADDD(r) "vpaddd %%ymm15, %%ymm14, %%ymm" r "\n\t"
#define BCASTM(r) "vpbroadcastd 4(%1), %%ymm" r "\n\t"
#define BCASTR(r) "vpbroadcastd %%xmm15, %%ymm" r "\n\t"
#define CVT(r) "vcvtdq2ps %%ymm15, %%ymm" r "\n\t"
#define FMA(r) "vfmadd231ps %%ymm15, %%ymm14, %%ymm" r "\n\t"
#define MADDM(r) "vpmaddubsw (%1), %%ymm14, %%ymm" r "\n\t"
MIX(run_mix_sign, SIGNB)
MIX(run_mix_add, PADDD)
MIX(run_mix_bcast_mem, BCASTM)
MIX(run_mix_bcast_reg, BCASTR)
MIX(run_mix_cvt, CVT)
MIX(run_mix_fma, FMA)
MIX(run_mix_madd_mem, MADDM)

typedef struct {
  const char *name;
  double (*run)(void);
  double insns;  // instructions per iteration
  double macs;   // int8 (or fp32) multiply-adds per iteration
} probe;

static const probe probes[] = {
    {"vpmaddubsw", run_maddubs, 12, 12 * 32},
    {"vpmaddubsw + vpmaddwd", run_maddubs_madd, 12, 6 * 32},
    {"vpsignb + vpmaddubsw + vpmaddwd + vpaddd", run_signed_step, 16, 4 * 32},
    {"8 vpmaddubsw + 7 vpaddw + vpmaddwd", run_q4_step, 32, 16 * 32},
    {"vpaddd (no multiplies)", run_paddd, 12, 0},
    {"vfmadd231ps (fp32)", run_fma, 12, 12 * 8},
    {"8 vpmaddubsw + 8 vpsignb", run_mix_sign, 16, 8 * 32},
    {"8 vpmaddubsw + 8 vpaddd", run_mix_add, 16, 8 * 32},
    {"8 vpmaddubsw + 8 vpbroadcastd from memory", run_mix_bcast_mem, 16, 8 * 32},
    {"8 vpmaddubsw + 8 vpbroadcastd from a register", run_mix_bcast_reg, 16, 8 * 32},
    {"8 vpmaddubsw + 8 vcvtdq2ps", run_mix_cvt, 16, 8 * 32},
    {"8 vpmaddubsw + 8 vfmadd231ps", run_mix_fma, 16, 8 * 32},
    {"8 vpmaddubsw + 8 vpmaddubsw with a memory operand", run_mix_madd_mem, 16, 16 * 32},
};
#define NP (int)(sizeof probes / sizeof probes[0])

// Runs are short and many: on a shared VM a run may lose part of its time slice or run at a lower
// clock, so the fastest run of each sequence and the fastest clock chain of all are the unshared figures.
int main(int argc, char **argv) {
  const int passes = argc > 1 ? atoi(argv[1]) : 40;
  double best[NP], hz = 0;
  for (int i = 0; i < NP; i++) best[i] = 1e30;
  for (int p = 0; p < passes; p++) {
    for (int i = 0; i < NP; i++) {
      const double h = clock_hz(), t = probes[i].run();
      if (h > hz) hz = h;
      if (t < best[i]) best[i] = t;
    }
  }
  printf("core clock (fastest chain of dependent adds): %.2f GHz\n", hz / 1e9);
  printf("%-52s %9s %13s %12s\n", "sequence", "insn/clk", "mult-add/clk", "GMAC/s/core");
  for (int i = 0; i < NP; i++) {
    const double clocks = best[i] * hz, iters = (double)ITERS;
    printf("%-52s %9.2f %13.1f %12.1f\n", probes[i].name, probes[i].insns * iters / clocks,
           probes[i].macs * iters / clocks, probes[i].macs * iters / best[i] / 1e9);
  }
  return 0;
}
