#!/usr/bin/env bash
# Checks the AMX kernels on any x86-64 machine: builds x86/amx.c with scalar tile registers
# (SSA_EMULATE_AMX, x86/amx_emulation.h) in place of the tile unit, and, on a CPU without AVX-512,
# simde's portable AVX-512 intrinsics (Debian: libsimde-dev), links them with the scalar references
# and the AVX-512 kernels, and runs tools/isa_check.c: AMX must equal the scalar reference and the
# AVX-512 R16 kernels bit for bit, at 1 and 2 threads. On a CPU with AMX the Swift tests run the
# native kernels too. EMULATE_AVX512=1 takes simde even on a CPU with AVX-512.
set -euo pipefail
case "${1:-}" in
  "") ;;
  -h|--help) echo "usage: tools/check_amx.sh (no arguments)"; exit 0 ;;
  *) echo "check_amx.sh: takes no arguments, got '$1'" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
omp_inc=$(ls -d /usr/lib/llvm-*/lib/clang/*/include 2>/dev/null | sort -V | tail -1)
omp_lib=$(dirname "$(ls /usr/lib/llvm-*/lib/libomp.so | sort -V | tail -1)")
flags=(-DSSA_EMULATE_AMX -DSSA_CHECK_AMX)
if [ -n "${EMULATE_AVX512:-}" ] || ! grep -qw avx512_vnni /proc/cpuinfo; then
  [ -f /usr/include/simde/x86/avx512.h ] || { echo "no AVX-512 here: needs simde (apt-get install libsimde-dev)" >&2; exit 1; }
  flags+=(-DSSA_EMULATE_AVX512)
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
src=Sources/CKernels
clang -O2 -mavx2 -mfma -mf16c -fopenmp -isystem "$omp_inc" -I"$src" -I"$src/include" "${flags[@]}" -Wall -Wno-unknown-pragmas -Wno-psabi \
  "$src"/ref/*.c "$src"/support/fp16.c "$src"/ops.c "$src"/matmul.c "$src"/attention.c "$src"/dispatch.c \
  "$src"/x86/avx2.c "$src"/x86/avx512.c "$src"/x86/amx.c tools/isa_check.c \
  -o "$out/isa_check" -L"$omp_lib" -Wl,-rpath,"$omp_lib" -lomp -lm
"$out/isa_check"
