// What the C ABI tests share: keys, tokens and policy blobs made with the C++ library
// (the C ABI mints and compiles nothing), and an audit sink in memory behind the C
// callbacks. Everything under test is called through authority.h.
#pragma once

#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "authority/authority.h"
#include "authority/capability/issue.hpp"
#include "authority/hosted/policy_compiler.hpp"
#include "authority/hosted/policy_text.hpp"
#include "gate/fixture.hpp"

namespace authority::c_abi_test {

using testing::counter_entropy;  // deterministic ids, from the gate tests' fixture
using testing::t0;

inline std::array<std::uint8_t, 32> test_key(std::uint8_t seed = 1) {
  std::array<std::uint8_t, 32> k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(seed + i);
  return k;
}

// The issuer's side, in C++: the same key as the C key ring under test.
struct issuer {
  capability::key_ring keys{3600 * ns_per_s};
  counter_entropy entropy;
  explicit issuer(std::uint8_t seed = 1, std::uint32_t key_id = 1) {
    const auto k = test_key(seed);
    if (!keys.add_active(key_id, std::span<const byte, 32>{k.data(), 32}, t0)) throw std::runtime_error("key");
  }

  std::vector<std::uint8_t> mint(const capability::grant& g, time_ns now = t0) {
    auto t = std::make_unique<capability::token>();
    if (!capability::mint(keys, g, now, entropy, *t)) throw std::runtime_error("mint failed");
    std::vector<std::uint8_t> buf(capability::max_token_size);
    auto enc = capability::encode(*t, buf);
    if (!enc) throw std::runtime_error("encode failed");
    buf.resize(enc->size());
    return buf;
  }
  std::vector<std::uint8_t> mint_fs(std::string_view resource, std::uint64_t ttl_ms = 3'600'000,
                                    capability::rate_limit rate = {}) {
    return mint({capability::cap_type::fs, resource, capability::method_set::everything(), ttl_ms, rate, {}});
  }

  std::vector<std::uint8_t> compile(const std::string& json, std::uint64_t revision = 1) {
    auto parsed = policy_text::parse_json(json, "test.json");
    if (!parsed.ok()) throw std::runtime_error(parsed.diagnostics.front().to_string());
    hosted::policy_compile_options o;
    o.revision = revision;
    auto compiled = hosted::compile_policy(*parsed.ast, keys, o);
    if (!compiled.ok()) throw std::runtime_error(compiled.failure->message);
    return compiled.blob;
  }
};

// A C key ring holding the issuer's key.
struct c_keys {
  authority_key_ring ring;
  explicit c_keys(std::uint8_t seed = 1, std::uint32_t key_id = 1) {
    const auto k = test_key(seed);
    if (authority_key_ring_init(&ring, 3600 * ns_per_s) != 0 ||
        authority_key_ring_add_active(&ring, key_id, k.data(), t0, nullptr) != 0)
      throw std::runtime_error("C key ring");
  }
  ~c_keys() { authority_key_ring_destroy(&ring); }
};

// Frames in memory behind the C sink callbacks; can be told to fail.
struct memory_log {
  std::vector<std::uint8_t> bytes;
  std::size_t synced = 0;
  int syncs = 0;
  int appends_left = 1'000'000;  // then append fails with fail_with
  int fail_with = AUTHORITY_ERR_SINK_FAILURE;
  int locks = 0, unlocks = 0;

  authority_audit_sink sink(bool with_lock = false) {
    authority_audit_sink s{};
    s.context = this;
    s.append = [](void* c, const std::uint8_t* frame, std::size_t len) {
      auto* self = static_cast<memory_log*>(c);
      if (self->appends_left-- <= 0) return self->fail_with;
      self->bytes.insert(self->bytes.end(), frame, frame + len);
      return 0;
    };
    s.sync = [](void* c) {
      auto* self = static_cast<memory_log*>(c);
      self->synced = self->bytes.size();
      ++self->syncs;
      return 0;
    };
    if (with_lock) {
      s.lock = [](void* c) { ++static_cast<memory_log*>(c)->locks; };
      s.unlock = [](void* c) { ++static_cast<memory_log*>(c)->unlocks; };
    }
    return s;
  }
};

inline std::string field_of(const authority_error& e) { return std::string(e.field); }

inline capability::id128 array_to_id(const std::uint8_t (&a)[16]) {
  capability::id128 id{};
  for (std::size_t i = 0; i < id.size(); ++i) id[i] = a[i];
  return id;
}

}  // namespace authority::c_abi_test
