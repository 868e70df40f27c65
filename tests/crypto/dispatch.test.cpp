// crypto: choosing the SHA-256 block function at run time — the first call from many
// threads at once, forcing a path, and reporting which one runs.
#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "authority/crypto/hmac.hpp"

using namespace authority;
using namespace authority::crypto;

TEST_CASE("sha256 first use from many threads picks the best block function once", "[crypto][dispatch]") {
  // ctest runs each test case in its own process, so this is usually the first hash;
  // when it is not (the whole binary run at once), the threads still must agree.
  if (detail::sha256_active.load() != &detail::sha256_compress_first_call)
    WARN("the block function was chosen before this test; the first-call race is not exercised");
  constexpr digest abc = sha256::hash(std::string_view{"abc"});  // portable, at compile time
  std::atomic<int> ready{0};
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      ready.fetch_add(1);
      while (ready.load() < 8) {
      }
      for (int i = 0; i < 1000; ++i)
        if (sha256::hash(std::string_view{"abc"}) != abc) wrong.fetch_add(1);
    });
  }
  for (auto& t : threads) t.join();
  CHECK(wrong.load() == 0);
  CHECK(sha256_active_impl() == sha256_best_impl());
}

TEST_CASE("sha256 block functions can be forced and reported", "[crypto][dispatch]") {
  CHECK(sha256_impl_available(sha256_impl::portable));
  CHECK(sha256_impl_name(sha256_impl::portable) == "portable");
  CHECK(sha256_impl_name(sha256_impl::x86_sha_ni) == "x86-sha-ni");
  CHECK(sha256_impl_name(sha256_impl::armv8_sha2) == "armv8-sha2");
#if defined(__x86_64__)
  CHECK(!sha256_impl_available(sha256_impl::armv8_sha2));
#elif defined(__aarch64__)
  CHECK(!sha256_impl_available(sha256_impl::x86_sha_ni));
#endif
  for (sha256_impl impl : all_sha256_impls) {
    INFO(std::string{sha256_impl_name(impl)});
    if (sha256_impl_available(impl)) {
      CHECK(sha256_use_impl(impl));
      CHECK(sha256_active_impl() == impl);
      constexpr digest abc = sha256::hash(std::string_view{"abc"});  // portable, at compile time
      CHECK(sha256::hash(std::string_view{"abc"}) == abc);
    } else {
      const sha256_impl before = sha256_active_impl();
      CHECK_FALSE(sha256_use_impl(impl));
      CHECK(sha256_active_impl() == before);
    }
  }
  REQUIRE(sha256_use_impl(sha256_best_impl()));
  CHECK(sha256_active_impl() == sha256_best_impl());
}
