// Fuzzes the request frame decoder (include/authority/request_frame.hpp). Checks, besides
// not crashing:
//   - an error names a field and an offset inside the input (or its end);
//   - request_frame_size agrees with decode_request: a frame that decodes is exactly the
//     size the header announces;
//   - what decodes re-encodes to exactly the same bytes (one canonical encoding per
//     request), and decoding that again gives the same request;
//   - every view of a decoded request lies inside the frame.
// The input is decoded as given, and a second time with its header's length and CRC
// repaired, so that mutations of the payload reach the field decoders instead of
// stopping at the checksum.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "authority/request_frame.hpp"

using namespace authority;

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

bool inside(bytes_view part, bytes_view whole) {
  if (part.empty()) return true;
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}
bool inside(std::string_view part, bytes_view whole) { return inside(as_bytes(part), whole); }

bool same(const effect_request& a, const effect_request& b) {
  if (a.op != b.op || a.seq != b.seq || a.target != b.target || a.target2 != b.target2 || a.version != b.version ||
      a.tokens != b.tokens || a.labels != b.labels)
    return false;
  for (std::size_t i = 0; i < budget::resource_count; ++i)
    if (a.cost.at(i) != b.cost.at(i)) return false;
  const auto eq = [](bytes_view x, bytes_view y) {
    return x.size() == y.size() && (x.empty() || std::memcmp(x.data(), y.data(), x.size()) == 0);
  };
  return eq(a.capability, b.capability) && eq(a.payload, b.payload);
}

void check(bytes_view frame) {
  const auto size = request_frame_size(frame);
  auto r = decode_request(frame);
  if (!r) {
    require(!r.error().field.empty());
    require(r.error().offset <= frame.size());
    require(r.code() != errc::ok);
    return;
  }
  require(size.ok() && *size == frame.size());
  require(inside(r->target, frame) && inside(r->target2, frame) && inside(r->version, frame));
  require(inside(r->capability, frame) && inside(r->payload, frame));

  static std::vector<byte> out(request_header_size + max_request_payload + 64);
  auto again = encode_request(*r, out);
  require(again.ok());
  require(again->size() == frame.size() && std::memcmp(again->data(), frame.data(), frame.size()) == 0);
  auto twice = decode_request(*again);
  require(twice.ok() && same(*twice, *r));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const bytes_view in{data, size};
  check(in);

  // Repaired header: magic, version, reserved, length and CRC made right for the payload.
  if (size >= request_header_size && size - request_header_size <= max_request_payload) {
    static std::vector<byte> fixed;
    fixed.assign(data, data + size);
    const bytes_view payload{fixed.data() + request_header_size, size - request_header_size};
    byte_writer h{mutable_bytes{fixed.data(), request_header_size}};
    h.bytes(request_magic);
    h.le16(request_frame_version);
    h.le16(0);
    h.le32(static_cast<std::uint32_t>(payload.size()));
    h.le32(crc32c(payload));
    check(bytes_view{fixed.data(), size});
    // Header-valid frames must only fail in the payload, at an offset past the header.
    auto r = decode_request(bytes_view{fixed.data(), size});
    if (!r) require(r.error().offset >= request_header_size);
  }

  // A stream of frames splits into frames whose sizes add up to the stream's.
  std::size_t at = 0;
  while (at < size) {
    const auto n = request_frame_size(in.subspan(at));
    if (!n) break;
    require(*n >= request_header_size && *n <= size - at);
    at += *n;
  }
  return 0;
}
