// SHA-256 and HMAC-SHA256: each of our block functions against libsodium.
//   sha256_16k/<impl>, sha256_16k/libsodium       bytes per second over one 16 KiB message
//   hmac64_cached/<impl>                          a MAC of 64 bytes with a prepared key
//   hmac64_one_shot/<impl>                        the same, preparing the key every time
//   hmac64_one_shot/libsodium                     crypto_auth_hmacsha256, 32-byte key
// benchmarks/crypto_table.sh runs this with repetitions and prints medians side by side.
#include <benchmark/benchmark.h>
#include <sodium.h>

#include <cstdint>
#include <string>
#include <vector>

#include "authority/core/crc32c.hpp"
#include "authority/crypto/hmac.hpp"

using namespace authority;
using namespace authority::crypto;

namespace {

constexpr std::int64_t large_message = 16 * 1024;
constexpr std::size_t short_message = 64;

std::vector<byte> bytes_of(std::size_t n, std::uint8_t salt) {
  std::vector<byte> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<byte>(i * 131 + salt);
  return out;
}

// Makes `impl` active for one benchmark and restores the best one afterwards.
class using_impl {
 public:
  using_impl(benchmark::State& state, sha256_impl impl) : ok_(sha256_use_impl(impl)) {
    if (!ok_) state.SkipWithError("this block function is not available on this CPU");
  }
  using_impl(const using_impl&) = delete;
  using_impl& operator=(const using_impl&) = delete;
  ~using_impl() { sha256_use_impl(sha256_best_impl()); }
  bool ok() const { return ok_; }

 private:
  bool ok_;
};

void sha256_16k(benchmark::State& state, sha256_impl impl) {
  const using_impl use{state, impl};
  if (!use.ok()) return;
  const std::vector<byte> message = bytes_of(static_cast<std::size_t>(large_message), 1);
  for (auto _ : state) {
    benchmark::DoNotOptimize(message.data());
    digest d = sha256::hash(bytes_view{message});
    benchmark::DoNotOptimize(d);
  }
  state.SetBytesProcessed(state.iterations() * large_message);
}

void sha256_16k_libsodium(benchmark::State& state) {
  const std::vector<byte> message = bytes_of(static_cast<std::size_t>(large_message), 1);
  for (auto _ : state) {
    benchmark::DoNotOptimize(message.data());
    digest d{};
    crypto_hash_sha256(d.data(), message.data(), message.size());
    benchmark::DoNotOptimize(d);
  }
  state.SetBytesProcessed(state.iterations() * large_message);
}

void hmac64_cached(benchmark::State& state, sha256_impl impl) {
  const using_impl use{state, impl};
  if (!use.ok()) return;
  const std::vector<byte> key = bytes_of(crypto_auth_hmacsha256_KEYBYTES, 2);
  const std::vector<byte> message = bytes_of(short_message, 3);
  const hmac_sha256_key prepared{bytes_view{key}};
  for (auto _ : state) {
    benchmark::DoNotOptimize(message.data());
    digest mac = prepared.mac(bytes_view{message});
    benchmark::DoNotOptimize(mac);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void hmac64_one_shot(benchmark::State& state, sha256_impl impl) {
  const using_impl use{state, impl};
  if (!use.ok()) return;
  const std::vector<byte> key = bytes_of(crypto_auth_hmacsha256_KEYBYTES, 2);
  const std::vector<byte> message = bytes_of(short_message, 3);
  for (auto _ : state) {
    benchmark::DoNotOptimize(message.data());
    digest mac = hmac_sha256(bytes_view{key}, bytes_view{message});
    benchmark::DoNotOptimize(mac);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void hmac64_libsodium(benchmark::State& state) {
  const std::vector<byte> key = bytes_of(crypto_auth_hmacsha256_KEYBYTES, 2);
  const std::vector<byte> message = bytes_of(short_message, 3);
  for (auto _ : state) {
    benchmark::DoNotOptimize(message.data());
    digest mac{};
    crypto_auth_hmacsha256(mac.data(), message.data(), message.size(), key.data());
    benchmark::DoNotOptimize(mac);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// CRC-32C over an audit frame's size (every audit append computes one) and over 4 KiB.
void crc32c_bytes(benchmark::State& state, crc32c_impl impl) {
  const std::vector<byte> data = bytes_of(static_cast<std::size_t>(state.range(0)), 4);
  for (auto _ : state) {
    benchmark::DoNotOptimize(data.data());
    benchmark::DoNotOptimize(crc32c_with(impl, bytes_view{data.data(), data.size()}));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) return 1;
  // Only the block functions this CPU has; libsodium's portable code is the baseline.
  for (const sha256_impl impl : all_sha256_impls) {
    if (!sha256_impl_available(impl)) continue;
    const std::string name{sha256_impl_name(impl)};
    benchmark::RegisterBenchmark(("sha256_16k/" + name).c_str(), sha256_16k, impl);
    benchmark::RegisterBenchmark(("hmac64_cached/" + name).c_str(), hmac64_cached, impl);
    benchmark::RegisterBenchmark(("hmac64_one_shot/" + name).c_str(), hmac64_one_shot, impl);
  }
  benchmark::RegisterBenchmark("sha256_16k/libsodium", sha256_16k_libsodium);
  constexpr std::pair<crc32c_impl, const char*> crc_ways[] = {{crc32c_impl::bytewise, "bytewise"},
                                                              {crc32c_impl::slicing_by_8, "slicing-by-8"},
                                                              {crc32c_impl::x86_sse42, "x86-sse4.2"},
                                                              {crc32c_impl::armv8_crc32, "armv8-crc32"}};
  for (const auto& [impl, name] : crc_ways)
    if (crc32c_available(impl))
      benchmark::RegisterBenchmark((std::string("crc32c/") + name).c_str(), crc32c_bytes, impl)->Arg(192)->Arg(4096);
  benchmark::RegisterBenchmark("hmac64_one_shot/libsodium", hmac64_libsodium);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
