#!/usr/bin/env bash
# Checks the NEON kernels on an x86 machine: cross-compiles the C kernels and tools/isa_check.c for
# AArch64 with the same clang (Debian: gcc-aarch64-linux-gnu libc6-dev-arm64-cross for the sysroot,
# qemu-user for the emulator) and runs the check under qemu-aarch64 twice: on a CPU model without the
# dot-product extension (cortex-a53) and on one with it (max). Built without OpenMP (no AArch64
# libomp here), so the thread-count comparison is trivially equal in this run.
set -euo pipefail
case "${1:-}" in
  "") ;;
  -h|--help) echo "usage: tools/check_neon.sh (no arguments)"; exit 0 ;;
  *) echo "check_neon.sh: takes no arguments, got '$1'" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
command -v qemu-aarch64 > /dev/null || { echo "needs qemu-user and gcc-aarch64-linux-gnu" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
src=Sources/CKernels
clang --target=aarch64-linux-gnu -O2 -Wall -Wno-unknown-pragmas -I"$src" -I"$src/include" \
  "$src"/ref/*.c "$src"/support/fp16.c "$src"/ops.c "$src"/matmul.c "$src"/attention.c "$src"/dispatch.c \
  "$src"/arm/neon.c tools/isa_check.c -o "$out/isa_check" -lm
for cpu in cortex-a53 max; do
  echo "qemu-aarch64 -cpu $cpu:"
  qemu-aarch64 -cpu "$cpu" -L /usr/aarch64-linux-gnu "$out/isa_check"
done
