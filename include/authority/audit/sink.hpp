// Where audit frames go. A sink is a concept, not a base class: the kernel streams
// frames over a serial line or into memory, the hosted port writes a file
// (hosted/audit_file.hpp).
//
//   append(bytes)  takes one whole frame or fails without taking any of it
//                  (log_full when there is no room, sink_failure otherwise)
//   sync()         makes everything appended so far durable, or fails (sink_failure)
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>

#include "authority/core/bytes.hpp"
#include "authority/core/result.hpp"

namespace authority::audit {

template <class S>
concept sink = requires(S& s, bytes_view frame) {
  { s.append(frame) } -> std::same_as<result<void>>;
  { s.sync() } -> std::same_as<result<void>>;
};

// A fixed-capacity sink in memory (kernels, tests). Full means full: the append that
// does not fit fails with log_full, and nothing is dropped or overwritten.
template <std::size_t Capacity>
class memory_sink {
 public:
  result<void> append(bytes_view frame) noexcept {
    if (frame.size() > Capacity - size_) return make_error(errc::log_full, "memory sink", static_cast<std::uint32_t>(size_));
    for (std::size_t i = 0; i < frame.size(); ++i) data_[size_ + i] = frame[i];
    size_ += frame.size();
    return success();
  }
  result<void> sync() noexcept {
    synced_ = size_;
    ++syncs_;
    return success();
  }

  bytes_view bytes() const noexcept { return {data_.data(), size_}; }
  std::size_t synced_size() const noexcept { return synced_; }
  std::uint64_t sync_count() const noexcept { return syncs_; }
  static constexpr std::size_t capacity() noexcept { return Capacity; }

 private:
  byte_array<Capacity> data_{};
  std::size_t size_ = 0;
  std::size_t synced_ = 0;
  std::uint64_t syncs_ = 0;
};

}  // namespace authority::audit
