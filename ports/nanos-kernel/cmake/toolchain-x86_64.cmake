set(AUTHORITY_KERNEL_ARCH x86_64)
set(AUTHORITY_KERNEL_TRIPLE x86_64-linux-gnu)
# No red zone: traps push onto the interrupted stack. The kernel sits in the low 2 GiB
# (identity-mapped at 1 MiB), so the default small code model fits.
set(AUTHORITY_KERNEL_ARCH_FLAGS -mno-red-zone)
set(AUTHORITY_KERNEL_LIBGCC_GCC gcc)
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-common.cmake)
