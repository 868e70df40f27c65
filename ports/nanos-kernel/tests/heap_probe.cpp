// Built only by the ctest kernel_has_no_global_heap_<arch>: a kernel image whose code
// uses global operator new and malloc. It must fail to link, because the kernel gives
// library code no hidden heap (its own heap has its own API).
#include <cstddef>

#include "kernel.hpp"

extern "C" void* malloc(std::size_t);

int kernel::run(environment&) noexcept {
  int* p = new int(7);
  void* q = malloc(16);
  return *p + (q != nullptr ? 1 : 0);
}
