// Fuzzes the audit entry, record, frame and checkpoint decoders: no input may crash
// them, and whatever decodes must re-encode to exactly the same bytes (one canonical
// encoding per entry).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "authority/audit/checkpoint.hpp"
#include "authority/audit/entry.hpp"
#include "authority/audit/frame.hpp"
#include "authority/hosted/checkpoint_ed25519.hpp"

using namespace authority;
using namespace authority::audit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const bytes_view in{data, size};

  if (auto e = decode(in)) {
    const encoded_entry again = encode(*e);
    if (size != entry_size || bytes_view{again}.size() != size) std::abort();
    for (std::size_t i = 0; i < size; ++i)
      if (again[i] != data[i]) std::abort();
  }

  if (auto r = decode_record(in)) {
    const encoded_record again = make_record(encode(r->value), r->claimed_hash);
    for (std::size_t i = 0; i < size; ++i)
      if (again[i] != data[i]) std::abort();
  }

  if (auto f = read_frame(in)) {
    if (f->size > size || f->payload.size() + frame_overhead != f->size) std::abort();
  }

  if (auto c = decode_checkpoint(in)) {
    const auto again = encode(*c);
    if (size != again.size()) std::abort();
    for (std::size_t i = 0; i < size; ++i)
      if (again[i] != data[i]) std::abort();
  }

  // The checkpoint text parser: what parses prints back to text that parses the same.
  const std::string_view text{reinterpret_cast<const char*>(data), size};
  if (auto s = hosted::parse_checkpoint_text(text)) {
    auto back = hosted::parse_checkpoint_text(hosted::to_text(*s));
    if (!back || !(*back == *s)) std::abort();
  }
  return 0;
}
