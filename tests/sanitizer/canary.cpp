// Sanitizer canaries: each mode commits the bug its sanitizer exists to find, and the
// sanitized CI stages register it as a test that must FAIL (tests/CMakeLists.txt). If a
// canary passes, the sanitizer is not in the build (or does not report), and the stage's
// clean run proves nothing.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace {
int shared_counter = 0;  // written by two threads without synchronization

void* volatile sink = nullptr;
__attribute__((noinline)) void leak_one(std::size_t n) {
  sink = std::malloc(64 + n);
  sink = nullptr;  // the last pointer to the block is gone
}

__attribute__((noinline)) int read_past(const int* p, int i) { return p[i]; }
}  // namespace

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "";
  if (std::strcmp(mode, "heap-overflow") == 0) {
    int* p = new int[4]{1, 2, 3, 4};
    const int v = read_past(p, argc + 2);  // index 4: one past the end
    delete[] p;
    std::printf("read %d\n", v);
    return 0;
  }
  if (std::strcmp(mode, "signed-overflow") == 0) {
    int x = 0x7fffffff - 2 + argc;  // INT_MAX when argc == 2
    x += argc;                      // undefined
    std::printf("%d\n", x);
    return 0;
  }
  if (std::strcmp(mode, "leak") == 0) {
    for (int i = 0; i < 10; ++i) leak_one(static_cast<std::size_t>(argc));
    return 0;
  }
  if (std::strcmp(mode, "race") == 0) {
    std::thread a([] { for (int i = 0; i < 100000; ++i) ++shared_counter; });
    std::thread b([] { for (int i = 0; i < 100000; ++i) ++shared_counter; });
    a.join();
    b.join();
    std::printf("%d\n", shared_counter);
    return 0;
  }
  std::fprintf(stderr, "usage: sanitizer_canary heap-overflow|signed-overflow|leak|race\n");
  return 2;
}
