// Shared set-up for capability tests (freestanding: also used by the kernel's run).
#pragma once

#include "authority/capability/issue.hpp"
#include "authority/capability/verify.hpp"

namespace authority::capability::testing {

// Deterministic "entropy" for tests: distinct ids from a counter.
struct counter_entropy {
  std::uint64_t next = 1;
  bool fill(unsigned char* out, std::uint64_t n) noexcept {
    for (std::uint64_t i = 0; i < n; ++i) out[i] = static_cast<unsigned char>((next * 131 + i * 7) >> (i % 3));
    store_le64(out, next++);
    return true;
  }
};

inline constexpr time_ns t0 = 1'700'000'000ull * ns_per_s;  // a fixed "now"

inline key_secret secret_of(byte seed) {
  key_secret s{};
  for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<byte>(seed + 3 * i);
  return s;
}

inline id128 id_of(byte seed) {
  id128 id{};
  for (std::size_t i = 0; i < id.size(); ++i) id[i] = static_cast<byte>(seed ^ (i * 29));
  return id;
}

// Everything a verifier needs, with storage, sized for tests. Large: keep it static.
struct world {
  key_ring keys{3600 * ns_per_s};
  revocation_slot revocation_storage[64]{};
  revocation_list revoked{revocation_storage};
  bucket_slot bucket_storage[16]{};
  rate_limiter rates{bucket_storage};
  verified_slot cache_storage[4]{};
  verified_cache cache{cache_storage};
  verifier v{keys, revoked, &rates, &cache};
  counter_entropy entropy{};

  world() { reset(); }

  // Back to one active key (id 1) and empty revocation, rate and cache tables.
  void reset() {
    keys.wipe();
    keys.set_grace_period(3600 * ns_per_s);
    const auto s = secret_of(1);
    (void)keys.add_active(1, s, t0);
    revoked = revocation_list{revocation_storage};
    rates = rate_limiter{bucket_storage};
    cache = verified_cache{cache_storage};
    entropy = counter_entropy{};
  }

  grant fs_grant(std::string_view resource, std::uint32_t method_bits, std::uint64_t ttl_ms = 60'000) const {
    grant g;
    g.type = cap_type::fs;
    g.resource = resource;
    g.methods = method_set::of(method_bits);
    g.ttl_ms = ttl_ms;
    return g;
  }

  // Mint and encode; returns the wire length in `buf`.
  std::size_t mint_wire(const grant& g, token& t, byte (&buf)[max_token_size], time_ns now = t0) {
    if (!mint(keys, g, now, entropy, t)) return 0;
    auto w = encode(t, buf);
    return w ? w->size() : 0;
  }
};

inline constexpr std::uint8_t fs_read = 0, fs_write = 1, fs_exec = 2;
inline constexpr std::uint32_t bit(std::uint8_t m) { return std::uint32_t{1} << m; }

inline access_request fs_access(std::string_view target, std::uint8_t method, id128 run = {}) {
  return access_request{cap_type::fs, target, method, run};
}

}  // namespace authority::capability::testing
