#!/usr/bin/env bash
# Installs every Debian 12 package Authority needs to build, test, fuzz and boot its kernels.
# Idempotent: skips apt-get entirely when everything is already present.
set -euo pipefail

packages=(
  # build
  cmake ninja-build g++ clang lld libclang-rt-14-dev pkg-config python3 cpio
  # scripts/coverage.sh (llvm-profdata-14, llvm-cov-14) and symbolized fuzzer reports
  llvm-14
  # library and hosted port
  libboost-dev libsodium-dev catch2 libcli11-dev libbenchmark-dev
  # kernel cross headers and libgcc for aarch64/riscv64
  g++-aarch64-linux-gnu g++-riscv64-linux-gnu
  # boot
  qemu-system-x86 qemu-system-arm qemu-system-misc grub-pc-bin grub-common xorriso
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
