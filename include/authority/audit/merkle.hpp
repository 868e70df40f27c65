// Merkle tree over the log in the shape of RFC 9162 §2.1 (Certificate Transparency v2):
//   leaf  = SHA-256(0x00 || entry bytes)        (the 183-byte encoded entry)
//   node  = SHA-256(0x01 || left || right)
//   MTH of n > 1 leaves splits at k, the largest power of two smaller than n.
// With a checkpoint's root a verifier checks one entry in O(log n) (inclusion proof)
// and that a later log extends an earlier one (consistency proof).
//
// The provers take the leaf hashes in caller memory and recompute subtree roots: O(n)
// hashes per proof, O(log n) stack, no heap — enough for a kernel or the CLI. The
// verifiers follow RFC 9162 §2.1.3.2 and §2.1.4.2 step by step.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>

#include "authority/core/bytes.hpp"
#include "authority/core/result.hpp"
#include "authority/core/static_vector.hpp"
#include "authority/crypto/sha256.hpp"

namespace authority::audit::merkle {

using crypto::digest;

// Inclusion proofs have at most 64 hashes; consistency proofs one more.
inline constexpr std::size_t max_proof_length = 65;
using proof = static_vector<digest, max_proof_length>;

constexpr digest leaf_hash(bytes_view entry_bytes) noexcept {
  const byte prefix = 0x00;
  return crypto::sha256{}.update(bytes_view{&prefix, 1}).update(entry_bytes).finish();
}

constexpr digest node_hash(const digest& left, const digest& right) noexcept {
  const byte prefix = 0x01;
  return crypto::sha256{}.update(bytes_view{&prefix, 1}).update(bytes_view{left}).update(bytes_view{right}).finish();
}

// The root of the empty tree: SHA-256 of nothing.
constexpr digest empty_root() noexcept { return crypto::sha256::hash(bytes_view{}); }

// k: the largest power of two smaller than n (n >= 2).
constexpr std::size_t split_point(std::size_t n) noexcept { return std::bit_floor(n - 1); }

// MTH(D[n]) over leaf hashes.
constexpr digest root(std::span<const digest> leaves) noexcept {
  if (leaves.empty()) return empty_root();
  if (leaves.size() == 1) return leaves[0];
  const std::size_t k = split_point(leaves.size());
  return node_hash(root(leaves.first(k)), root(leaves.subspan(k)));
}

namespace detail {
// PATH(m, D[n]) of RFC 9162 §2.1.3.1, appended bottom-up.
constexpr void path(std::size_t m, std::span<const digest> leaves, proof& out) noexcept {
  if (leaves.size() <= 1) return;
  const std::size_t k = split_point(leaves.size());
  if (m < k) {
    path(m, leaves.first(k), out);
    (void)out.push_back(root(leaves.subspan(k)));
  } else {
    path(m - k, leaves.subspan(k), out);
    (void)out.push_back(root(leaves.first(k)));
  }
}
// SUBPROOF(m, D[n], b) of RFC 9162 §2.1.4.1.
constexpr void subproof(std::size_t m, std::span<const digest> leaves, bool complete, proof& out) noexcept {
  if (m == leaves.size()) {
    if (!complete) (void)out.push_back(root(leaves));
    return;
  }
  const std::size_t k = split_point(leaves.size());
  if (m <= k) {
    subproof(m, leaves.first(k), complete, out);
    (void)out.push_back(root(leaves.subspan(k)));
  } else {
    subproof(m - k, leaves.subspan(k), false, out);
    (void)out.push_back(root(leaves.first(k)));
  }
}
constexpr void shift_until_odd_or_zero(std::uint64_t& fn, std::uint64_t& sn) noexcept {
  while ((fn & 1) == 0 && fn != 0) {
    fn >>= 1;
    sn >>= 1;
  }
}
}  // namespace detail

// The inclusion proof of leaf `index` in the tree of the given leaves.
constexpr result<proof> inclusion_proof(std::span<const digest> leaves, std::uint64_t index) noexcept {
  if (index >= leaves.size()) return make_error(errc::out_of_range, "index");
  proof out;
  detail::path(static_cast<std::size_t>(index), leaves, out);
  return out;
}

// The consistency proof between the first `old_size` leaves and all of them
// (0 < old_size <= size; empty when equal, as RFC 9162 defines it).
constexpr result<proof> consistency_proof(std::span<const digest> leaves, std::uint64_t old_size) noexcept {
  if (old_size == 0 || old_size > leaves.size()) return make_error(errc::out_of_range, "old size");
  proof out;
  detail::subproof(static_cast<std::size_t>(old_size), leaves, true, out);
  return out;
}

// RFC 9162 §2.1.3.2. proof_invalid unless `leaf` is leaf `index` of the tree of
// `size` leaves whose root is `root`.
constexpr result<void> verify_inclusion(const digest& leaf, std::uint64_t index, std::uint64_t size,
                                        std::span<const digest> path, const digest& expected_root) noexcept {
  if (index >= size) return make_error(errc::proof_invalid, "index");
  if (path.size() > max_proof_length) return make_error(errc::proof_invalid, "proof length");
  std::uint64_t fn = index, sn = size - 1;
  digest r = leaf;
  for (const digest& p : path) {
    if (sn == 0) return make_error(errc::proof_invalid, "proof length");
    if ((fn & 1) != 0 || fn == sn) {
      r = node_hash(p, r);
      detail::shift_until_odd_or_zero(fn, sn);
    } else {
      r = node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return make_error(errc::proof_invalid, "proof length");
  if (r != expected_root) return make_error(errc::proof_invalid, "root");
  return success();
}

// RFC 9162 §2.1.4.2: the tree of `new_size` leaves with root `new_root` extends the tree
// of `old_size` leaves with root `old_root`. Equal sizes need an empty proof and equal
// roots; old_size 0 is refused (the RFC defines no proof for it).
constexpr result<void> verify_consistency(std::uint64_t old_size, std::uint64_t new_size, std::span<const digest> path,
                                          const digest& old_root, const digest& new_root) noexcept {
  if (old_size == 0 || old_size > new_size) return make_error(errc::proof_invalid, "sizes");
  if (old_size == new_size) {
    if (!path.empty()) return make_error(errc::proof_invalid, "proof length");
    if (old_root != new_root) return make_error(errc::proof_invalid, "root");
    return success();
  }
  if (path.empty() || path.size() > max_proof_length) return make_error(errc::proof_invalid, "proof length");
  // Step 2: for a power-of-two old size the old root itself starts the path.
  const bool prepend = std::has_single_bit(old_size);
  const std::size_t length = path.size() + (prepend ? 1 : 0);
  auto at = [&](std::size_t i) -> const digest& { return prepend ? (i == 0 ? old_root : path[i - 1]) : path[i]; };

  std::uint64_t fn = old_size - 1, sn = new_size - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  digest fr = at(0), sr = at(0);
  for (std::size_t i = 1; i < length; ++i) {
    const digest& c = at(i);
    if (sn == 0) return make_error(errc::proof_invalid, "proof length");
    if ((fn & 1) != 0 || fn == sn) {
      fr = node_hash(c, fr);
      sr = node_hash(c, sr);
      detail::shift_until_odd_or_zero(fn, sn);
    } else {
      sr = node_hash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return make_error(errc::proof_invalid, "proof length");
  if (fr != old_root) return make_error(errc::proof_invalid, "old root");
  if (sr != new_root) return make_error(errc::proof_invalid, "new root");
  return success();
}

}  // namespace authority::audit::merkle
