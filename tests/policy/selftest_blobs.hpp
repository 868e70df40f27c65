// Real compiled policies for the freestanding self-tests, which also run inside the
// bare-metal kernel (no files there): tests/policy/data/*.json compiled with the public
// test key in tests/policy/data/selftest.keys. Regenerate after a compiler or format
// change (the Catch2 test "selftest blobs are current" fails until you do):
//
//   cd tests/policy/data
//   authority policy compile kernel.json    --key selftest.keys --revision 1 --c-array kernel_blob    -o ../generated/kernel.inc
//   authority policy compile kernel_v2.json --key selftest.keys --revision 2 --c-array kernel_v2_blob -o ../generated/kernel_v2.inc
#pragma once

#include <cstdint>

#include "authority/capability/key_ring.hpp"

namespace authority::policy::selftest_blobs {

#include "policy/generated/kernel.inc"
#include "policy/generated/kernel_v2.inc"

// The key of selftest.keys: id 7, secret a0 a1 ... bf. Test data, not a secret.
inline constexpr std::uint32_t key_id = 7;
constexpr capability::key_secret key_secret() noexcept {
  capability::key_secret s{};
  for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<byte>(0xa0 + i);
  return s;
}

}  // namespace authority::policy::selftest_blobs
