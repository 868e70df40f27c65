#!/usr/bin/env bash
# Boots an Authority kernel image under QEMU (software emulation) with the serial console
# on stdout, and exits with the kernel's own status on every arch.
#
# Usage: scripts/boot-kernel.sh ARCH IMAGE [BUNDLE] [-- EXTRA-QEMU-ARGS...]
#   ARCH    x86_64 | aarch64 | riscv64
#   IMAGE   x86_64: a GRUB ISO (*.iso, Multiboot2, the product path; the bundle is inside)
#                   or an ELF with a PVH note (fast -kernel path)
#           aarch64: the raw arm64 Image (*.img); riscv64: the ELF
#   BUNDLE  the boot bundle (cpio newc), passed as -initrd (not for an ISO)
# Environment: AUTHORITY_BOOT_TIMEOUT seconds (default 60), QEMU_MEMORY (default 128M).
# Exit status: the kernel's (0 ok, 2 self-test failed, 3 panic, 4 boot error),
#   124 timeout, 125 QEMU stopped without a status from the kernel (e.g. a triple fault).
set -uo pipefail
if [ $# -lt 2 ]; then
  sed -n '2,14p' "$0" >&2
  exit 64
fi
arch=$1 image=$2
shift 2
bundle=""
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
  bundle=$1
  shift
fi
[ "${1:-}" = "--" ] && shift
timeout_s=${AUTHORITY_BOOT_TIMEOUT:-60}
memory=${QEMU_MEMORY:-128M}
initrd=()
[ -n "$bundle" ] && initrd=(-initrd "$bundle")

case $arch in
  x86_64)
    cmd=(qemu-system-x86_64 -m "$memory" -display none -serial stdio -no-reboot -monitor none
         -device isa-debug-exit,iobase=0xf4,iosize=0x04)
    if [[ $image == *.iso ]]; then
      cmd+=(-cdrom "$image")
    else
      cmd+=(-kernel "$image" "${initrd[@]}")
    fi
    ;;
  aarch64)
    cmd=(qemu-system-aarch64 -M virt -cpu cortex-a57 -m "$memory" -nographic -monitor none -semihosting
         -kernel "$image" "${initrd[@]}")
    ;;
  riscv64)
    cmd=(qemu-system-riscv64 -M virt -m "$memory" -nographic -monitor none -bios default
         -kernel "$image" "${initrd[@]}")
    ;;
  *)
    echo "boot-kernel: unknown arch '$arch'" >&2
    exit 64
    ;;
esac

timeout --foreground -k 5 "$timeout_s" "${cmd[@]}" "$@" </dev/null
rc=$?
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
  echo "boot-kernel: timed out after ${timeout_s}s" >&2
  exit 124
fi
if [ "$arch" = x86_64 ]; then
  # isa-debug-exit makes QEMU exit with (status << 1) | 1; a plain 0 means the kernel
  # never wrote a status (triple fault with -no-reboot, or a shutdown).
  if [ $((rc & 1)) -eq 1 ]; then
    exit $((rc >> 1))
  fi
  echo "boot-kernel: QEMU exited with $rc without a status from the kernel" >&2
  exit 125
fi
exit $rc
