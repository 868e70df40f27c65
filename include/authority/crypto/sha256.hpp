// SHA-256 (FIPS 180-4). One implementation usable in constexpr (the portable block
// function) and at run time, where sha256_compress() runs the fastest block function
// the CPU offers: SHA-NI on x86_64, the SHA2 extension on aarch64, else the portable code.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <type_traits>

#include "authority/core/bytes.hpp"
#include "authority/crypto/ct.hpp"
#include "authority/crypto/sha256_armv8.hpp"
#include "authority/crypto/sha256_portable.hpp"
#include "authority/crypto/sha256_x86.hpp"

namespace authority::crypto {

// The block functions. Every one exists on every target; the hardware ones are
// available only where the CPU has the instructions.
enum class sha256_impl : std::uint8_t { portable, x86_sha_ni, armv8_sha2 };

inline constexpr std::array<sha256_impl, 3> all_sha256_impls{sha256_impl::portable, sha256_impl::x86_sha_ni,
                                                             sha256_impl::armv8_sha2};

constexpr std::string_view sha256_impl_name(sha256_impl impl) noexcept {
  switch (impl) {
    case sha256_impl::portable: return "portable";
    case sha256_impl::x86_sha_ni: return "x86-sha-ni";
    case sha256_impl::armv8_sha2: return "armv8-sha2";
  }
  return "unknown";
}

namespace detail {

using sha256_compress_fn = void (*)(sha256_midstate&, const byte*, std::size_t) noexcept;

inline bool sha256_cpu_supports(sha256_impl impl) noexcept {
  switch (impl) {
    case sha256_impl::portable: return true;
#if defined(__x86_64__)
    case sha256_impl::x86_sha_ni: return x86::cpu_has_sha_ni();
#endif
#if defined(__aarch64__)
    case sha256_impl::armv8_sha2: return armv8::cpu_has_sha2();
#endif
    default: return false;
  }
}

// Bit i set: impl i is available. Bit 7: the CPU has been asked. Asking is idempotent,
// so threads that race on the first call all store the same value.
inline constexpr std::uint32_t sha256_features_known = 1u << 7;
inline std::atomic<std::uint32_t> sha256_features{0};
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

inline std::uint32_t sha256_available_mask() noexcept {
  std::uint32_t mask = sha256_features.load(std::memory_order_relaxed);
  if ((mask & sha256_features_known) == 0) {
    mask = sha256_features_known;
    for (const sha256_impl impl : all_sha256_impls)
      if (sha256_cpu_supports(impl)) mask |= 1u << static_cast<unsigned>(impl);
    sha256_features.store(mask, std::memory_order_relaxed);
  }
  return mask;
}

constexpr sha256_compress_fn sha256_compress_function(sha256_impl impl) noexcept {
  switch (impl) {
#if defined(__x86_64__)
    case sha256_impl::x86_sha_ni: return &x86::sha256_compress_sha_ni;
#endif
#if defined(__aarch64__)
    case sha256_impl::armv8_sha2: return &armv8::sha256_compress_sha2;
#endif
    default: return &sha256_compress_portable;
  }
}

inline void sha256_compress_first_call(sha256_midstate& s, const byte* blocks, std::size_t n) noexcept;

// The block function run-time calls use: a resolver until the first call picks one.
inline std::atomic<sha256_compress_fn> sha256_active{&sha256_compress_first_call};
static_assert(std::atomic<sha256_compress_fn>::is_always_lock_free);

}  // namespace detail

// True when this CPU can run `impl` (the portable code always can).
inline bool sha256_impl_available(sha256_impl impl) noexcept {
  return (detail::sha256_available_mask() >> static_cast<unsigned>(impl)) & 1u;
}

// The fastest available block function.
inline sha256_impl sha256_best_impl() noexcept {
  for (const sha256_impl impl : {sha256_impl::x86_sha_ni, sha256_impl::armv8_sha2})
    if (sha256_impl_available(impl)) return impl;
  return sha256_impl::portable;
}

// Makes `impl` the block function of every later run-time hash (tests, benchmarks, or a
// kernel that wants the portable code). False, and nothing changes, if unavailable.
inline bool sha256_use_impl(sha256_impl impl) noexcept {
  if (!sha256_impl_available(impl)) return false;
  detail::sha256_active.store(detail::sha256_compress_function(impl), std::memory_order_relaxed);
  return true;
}

// The block function run-time hashing uses now (chosen on first use if not yet).
inline sha256_impl sha256_active_impl() noexcept {
  detail::sha256_compress_fn active = detail::sha256_active.load(std::memory_order_relaxed);
  if (active == &detail::sha256_compress_first_call) {
    const sha256_impl best = sha256_best_impl();
    detail::sha256_compress_fn chosen = detail::sha256_compress_function(best);
    // Only replace the resolver: a concurrent sha256_use_impl() wins.
    if (detail::sha256_active.compare_exchange_strong(active, chosen, std::memory_order_relaxed)) return best;
  }
  for (const sha256_impl impl : all_sha256_impls)
    if (active == detail::sha256_compress_function(impl) && sha256_impl_available(impl)) return impl;
  return sha256_impl::portable;
}

// Runs exactly the block function `impl`; an unavailable one runs the portable code
// rather than faulting on a missing instruction.
inline void sha256_compress_with(sha256_impl impl, sha256_midstate& s, const byte* blocks, std::size_t n) noexcept {
  if (!sha256_impl_available(impl)) impl = sha256_impl::portable;
  detail::sha256_compress_function(impl)(s, blocks, n);
}

// Processes n whole 64-byte blocks. In constant evaluation always portable.
constexpr void sha256_compress(sha256_midstate& s, const byte* blocks, std::size_t n) noexcept {
  if (std::is_constant_evaluated()) {
    detail::sha256_compress_portable(s, blocks, n);
  } else {
    detail::sha256_active.load(std::memory_order_relaxed)(s, blocks, n);
  }
}

inline void detail::sha256_compress_first_call(sha256_midstate& s, const byte* blocks, std::size_t n) noexcept {
  sha256_compress_function(sha256_active_impl())(s, blocks, n);
}

namespace detail {

template <class Char>
constexpr byte to_byte(Char c) noexcept {
  return static_cast<byte>(c);
}

constexpr digest sha256_digest_of(const sha256_midstate& s) noexcept {
  digest out{};
  for (std::size_t i = 0; i < 8; ++i) store_be32(out.data() + 4 * i, s.h[i]);
  return out;
}

// Compresses n whole blocks of chars or bytes. Run time hashes chars in place; constant
// evaluation cannot reinterpret them, so it copies each block first.
template <class Char>
constexpr void sha256_compress_chars(sha256_midstate& s, const Char* p, std::size_t n) noexcept {
  if (n == 0) return;  // spares short messages an indirect call that would do nothing
  if constexpr (std::is_same_v<Char, byte>) {
    sha256_compress(s, p, n);
  } else if (std::is_constant_evaluated()) {
    for (; n > 0; --n, p += sha256_block_size) {
      byte block[sha256_block_size]{};
      for (std::size_t i = 0; i < sha256_block_size; ++i) block[i] = to_byte(p[i]);
      sha256_compress(s, block, 1);
    }
  } else {
    sha256_compress(s, reinterpret_cast<const byte*>(p), n);
  }
}

enum class wipe_tail : bool { no, yes };

// Hashes the last `n` bytes of a message whose first `done` bytes (a multiple of 64)
// are already in `s`, then pads: whole blocks straight from the input, the tail and
// padding in one or two blocks on the stack (zeroed afterwards for secret input).
// Returns the bytes compressed in all.
template <class Char, wipe_tail Wipe = wipe_tail::no>
constexpr std::uint64_t sha256_absorb_last(sha256_midstate& s, std::uint64_t done, const Char* p, std::size_t n) noexcept {
  const std::uint64_t bit_length = (done + n) * 8;
  const std::size_t whole = n / sha256_block_size;
  sha256_compress_chars(s, p, whole);
  p += whole * sha256_block_size;
  n -= whole * sha256_block_size;

  byte tail[2 * sha256_block_size]{};
  copy_bytes(tail, p, n);
  tail[n] = 0x80;
  const std::size_t blocks = n < sha256_block_size - 8 ? 1 : 2;
  store_be64(tail + blocks * sha256_block_size - 8, bit_length);
  sha256_compress(s, tail, blocks);
  if (Wipe == wipe_tail::yes && !std::is_constant_evaluated()) secure_zero(tail, sizeof tail);
  return done + (whole + blocks) * sha256_block_size;
}

}  // namespace detail

class sha256 {
 private:
  // Member templates come before their callers: clang 14 cannot constant-evaluate a
  // call to one defined further down the class.
  template <class Char>
  static constexpr digest hash_chars(const Char* p, std::size_t n) noexcept {
    sha256_midstate s = sha256_initial;
    detail::sha256_absorb_last(s, 0, p, n);
    return detail::sha256_digest_of(s);
  }

  template <class Char>
  constexpr void absorb(const Char* p, std::size_t n) noexcept {
    total_ += n;
    if (buffered_ > 0) {
      const std::size_t take = n < sha256_block_size - buffered_ ? n : sha256_block_size - buffered_;
      copy_bytes(buffer_.data() + buffered_, p, take);
      buffered_ += take;
      p += take;
      n -= take;
      if (buffered_ < sha256_block_size) return;
      sha256_compress(state_, buffer_.data(), 1);
      buffered_ = 0;
    }
    const std::size_t whole = n / sha256_block_size;
    detail::sha256_compress_chars(state_, p, whole);
    p += whole * sha256_block_size;
    n -= whole * sha256_block_size;
    copy_bytes(buffer_.data() + buffered_, p, n);
    buffered_ += n;
  }

 public:
  constexpr sha256() noexcept = default;
  // Resumes from a midstate after `bytes_done` bytes (a multiple of 64).
  constexpr sha256(const sha256_midstate& s, std::uint64_t bytes_done) noexcept
      : state_(s), total_(bytes_done) {}

  constexpr sha256& update(bytes_view data) noexcept {
    absorb(data.data(), data.size());
    return *this;
  }
  constexpr sha256& update(std::string_view text) noexcept {
    absorb(text.data(), text.size());
    return *this;
  }

  // The digest of everything updated so far. Afterwards the object holds the final
  // state: start a new one for another message.
  constexpr digest finish() noexcept {
    total_ = detail::sha256_absorb_last(state_, total_ - buffered_, buffer_.data(), buffered_);
    buffered_ = 0;
    return detail::sha256_digest_of(state_);
  }

  constexpr const sha256_midstate& midstate() const noexcept { return state_; }

  static constexpr digest hash(bytes_view data) noexcept { return hash_chars(data.data(), data.size()); }
  static constexpr digest hash(std::string_view text) noexcept { return hash_chars(text.data(), text.size()); }

 private:
  sha256_midstate state_ = sha256_initial;
  byte_array<sha256_block_size> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t total_ = 0;
};

}  // namespace authority::crypto
