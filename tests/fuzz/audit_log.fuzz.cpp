// Fuzzes log verification over arbitrary byte streams: verify_log must never crash or
// read out of bounds, and its answer must be self-consistent (the good prefix is whole
// frames, re-verifying the good prefix gives the same count and head). The input also
// drives Merkle proof verification with arbitrary proofs.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "authority/audit/frame.hpp"
#include "authority/audit/merkle.hpp"
#include "authority/audit/verify.hpp"

using namespace authority;
using namespace authority::audit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const bytes_view in{data, size};
  const verification v = verify_log(in);
  if (v.valid_bytes > size) std::abort();
  if (v.ok() && v.valid_bytes != size) std::abort();
  if (v.valid_bytes >= log_header_size) {
    if ((v.valid_bytes - log_header_size) % frame_size != 0) std::abort();
    if ((v.valid_bytes - log_header_size) / frame_size != v.count) std::abort();
    const verification prefix = verify_log(in.first(v.valid_bytes));
    if (!prefix.ok() || prefix.count != v.count || prefix.head != v.head) std::abort();
  }
  if (!v.ok() && v.bad_seq != v.count + 1) std::abort();

  // Merkle verification with input-chosen sizes, index and proof never crashes.
  if (size >= 16 + 64) {
    const std::uint64_t a = load_le64(data), b = load_le64(data + 8);
    digest leaf{}, root{};
    for (std::size_t i = 0; i < 32; ++i) {
      leaf[i] = data[16 + i];
      root[i] = data[48 + i];
    }
    std::vector<digest> proof((size - 80) / 32);
    for (std::size_t k = 0; k < proof.size(); ++k)
      for (std::size_t i = 0; i < 32; ++i) proof[k][i] = data[80 + 32 * k + i];
    (void)merkle::verify_inclusion(leaf, a, b, proof, root);
    (void)merkle::verify_consistency(a, b, proof, leaf, root);
  }
  return 0;
}
