set(AUTHORITY_KERNEL_ARCH aarch64)
set(AUTHORITY_KERNEL_TRIPLE aarch64-linux-gnu)
# No outline atomics: they call a libgcc helper that reads a Linux auxv.
set(AUTHORITY_KERNEL_ARCH_FLAGS -mstrict-align -mno-outline-atomics)
set(AUTHORITY_KERNEL_LIBGCC_GCC aarch64-linux-gnu-gcc)
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-common.cmake)
