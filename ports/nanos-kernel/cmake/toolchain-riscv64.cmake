set(AUTHORITY_KERNEL_ARCH riscv64)
set(AUTHORITY_KERNEL_TRIPLE riscv64-linux-gnu)
# medany: the kernel runs at 0x80200000, outside the +-2 GiB around 0 that medlow needs.
# lld does not implement RISC-V linker relaxation.
set(AUTHORITY_KERNEL_ARCH_FLAGS -march=rv64gc -mabi=lp64d -mcmodel=medany -mno-relax)
set(AUTHORITY_KERNEL_LIBGCC_GCC riscv64-linux-gnu-gcc)
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-common.cmake)
