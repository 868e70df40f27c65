// libFuzzer: token decoding (binary and text) and verification never crash; whatever
// decodes re-encodes to exactly the same bytes (one canonical encoding).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "authority/capability/verify.hpp"

using namespace authority;
using namespace authority::capability;

namespace {
struct fixture {
  key_ring keys;
  revocation_slot revocation_storage[16]{};
  revocation_list revoked{revocation_storage};
  bucket_slot buckets[16]{};
  rate_limiter rates{buckets};
  verified_slot cache_storage[2]{};
  verified_cache cache{cache_storage};
  verifier v{keys, revoked, &rates, &cache};
  fixture() {
    key_secret s{};
    for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<byte>(i);
    (void)keys.add_active(0, s, 0);
    (void)keys.add_active(1, s, 0);
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static fixture* fx = new fixture();
  static token* t = new token();
  const bytes_view in(data, size);
  if (decode(in, *t).ok()) {
    static byte out[max_token_size];
    auto enc = encode(*t, out);
    if (!enc || enc->size() != size || std::memcmp(enc->data(), data, size) != 0) std::abort();
    static token_view* view = new token_view();
    const std::string target(t->resource.view());  // a pattern used as a target: fine for fuzzing
    (void)fx->v.verify(in, access_request{t->type, target, 0, t->run_id}, 1'700'000'000'000'000'000ull, *view);
  }
  (void)decode_text(std::string_view(reinterpret_cast<const char*>(data), size), *t);
  return 0;
}
