// The MAC chain: mac₀ = HMAC(issuer key, signed body); macᵢ = HMAC(macᵢ₋₁, caveatᵢ).
// A holder who knows macₙ can append a caveat (macₙ₊₁) but cannot remove one, because
// that would need macₙ₋₁; the verifier recomputes the chain from the issuer's key.
#pragma once

#include "authority/capability/wire.hpp"
#include "authority/crypto/hmac.hpp"

namespace authority::capability {

inline mac_bytes extend_mac(const mac_bytes& previous, bytes_view caveat_bytes) noexcept {
  return crypto::hmac_sha256(previous, caveat_bytes);
}

// From a decoded token's wire bytes and layout (the verifier's path).
inline mac_bytes compute_mac(const crypto::hmac_sha256_key& key, bytes_view wire, const wire_layout& layout,
                             std::size_t caveats) noexcept {
  mac_bytes m = key.mac(wire.first(layout.body_end));
  for (std::size_t i = 0; i < caveats; ++i)
    m = extend_mac(m, wire.subspan(layout.caveat_begin[i], layout.caveat_end[i] - layout.caveat_begin[i]));
  return m;
}

// From a token in memory (the issuer's path).
inline result<mac_bytes> compute_mac(const crypto::hmac_sha256_key& key, const token& t) noexcept {
  byte buf[max_token_size];
  byte_writer w{buf};
  encode_body(t, w);
  const auto body = AUTHORITY_TRY(w.finish());
  mac_bytes m = key.mac(body);
  for (const auto& c : t.caveats) {
    byte cbuf[2 + encoding::varint_max_size + max_resource_size + 16];
    byte_writer cw{cbuf};
    encode_caveat(c, cw);
    m = extend_mac(m, AUTHORITY_TRY(cw.finish()));
  }
  return m;
}

}  // namespace authority::capability
