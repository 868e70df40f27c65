# Shared part of the three kernel toolchain files: clang + lld cross-compiling a
# freestanding C++20 kernel. Each arch file sets AUTHORITY_KERNEL_ARCH, the target
# triple, its extra flags and the gcc that knows its libgcc.a, then includes this.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR ${AUTHORITY_KERNEL_ARCH})

find_program(AUTHORITY_KERNEL_CLANG NAMES clang clang-14 REQUIRED)
find_program(AUTHORITY_KERNEL_CLANGXX NAMES clang++ clang++-14 REQUIRED)
set(CMAKE_C_COMPILER ${AUTHORITY_KERNEL_CLANG})
set(CMAKE_CXX_COMPILER ${AUTHORITY_KERNEL_CLANGXX})
set(CMAKE_ASM_COMPILER ${AUTHORITY_KERNEL_CLANG})
foreach(lang C CXX ASM)
  set(CMAKE_${lang}_COMPILER_TARGET ${AUTHORITY_KERNEL_TRIPLE})
endforeach()
# Compiler checks must not try to link a hosted program.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(AUTHORITY_KERNEL_COMMON_FLAGS
  -ffreestanding -fno-exceptions -fno-rtti -fno-pic -fno-pie -fno-stack-protector
  -fno-asynchronous-unwind-tables -fno-unwind-tables -fno-threadsafe-statics
  -ffunction-sections -fdata-sections)

# libgcc.a supplies the few helpers the compiler may call (128-bit division, ...).
execute_process(COMMAND ${AUTHORITY_KERNEL_LIBGCC_GCC} -print-libgcc-file-name
  OUTPUT_VARIABLE AUTHORITY_KERNEL_LIBGCC OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT EXISTS "${AUTHORITY_KERNEL_LIBGCC}")
  message(FATAL_ERROR "libgcc.a for ${AUTHORITY_KERNEL_ARCH} not found (${AUTHORITY_KERNEL_LIBGCC_GCC} "
                      "-print-libgcc-file-name); install the packages in scripts/install-deps.sh")
endif()
