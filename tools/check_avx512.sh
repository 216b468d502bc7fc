#!/usr/bin/env bash
# Checks the AVX-512 VNNI kernels on a machine without AVX-512: builds x86/avx512.c with simde's
# portable AVX-512 intrinsics (Debian: libsimde-dev) in place of the native ones, links it with the
# scalar references and the AVX2 kernels, and runs tools/isa_check.c: AVX-512 must equal the scalar
# reference (bitwise on exact data, within 2e-5 otherwise) and AVX2 bit for bit, at 1 and 2 threads.
# On a CPU with AVX-512 VNNI the Swift tests run the native kernels instead.
set -euo pipefail
case "${1:-}" in
  "") ;;
  -h|--help) echo "usage: tools/check_avx512.sh (no arguments)"; exit 0 ;;
  *) echo "check_avx512.sh: takes no arguments, got '$1'" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
[ -f /usr/include/simde/x86/avx512.h ] || { echo "needs simde: apt-get install libsimde-dev" >&2; exit 1; }
omp_inc=$(ls -d /usr/lib/llvm-*/lib/clang/*/include 2>/dev/null | sort -V | tail -1)
omp_lib=$(dirname "$(ls /usr/lib/llvm-*/lib/libomp.so | sort -V | tail -1)")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
src=Sources/CKernels
clang -O2 -mavx2 -mfma -mf16c -fopenmp -isystem "$omp_inc" -I"$src" -I"$src/include" -DSSA_EMULATE_AVX512 -DSSA_EMULATE_AMX -Wall -Wno-unknown-pragmas -Wno-psabi \
  "$src"/ref/*.c "$src"/support/fp16.c "$src"/ops.c "$src"/matmul.c "$src"/attention.c "$src"/dispatch.c \
  "$src"/x86/avx2.c "$src"/x86/avx512.c "$src"/x86/amx.c tools/isa_check.c \
  -o "$out/isa_check" -L"$omp_lib" -Wl,-rpath,"$omp_lib" -lomp -lm
# dispatch.c detects no AVX-512 here; the check fills and installs the tables itself.
"$out/isa_check"
