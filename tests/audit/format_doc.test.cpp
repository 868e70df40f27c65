// docs/audit-format.md shows a worked example; this test recomputes it through the
// library and checks that the document prints the same values.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "authority/audit/chain.hpp"
#include "authority/audit/frame.hpp"
#include "authority/audit/sink.hpp"
#include "authority/core/encoding.hpp"

using namespace authority;
using namespace authority::audit;

namespace {
std::string hex(bytes_view b) {
  std::string out(2 * b.size(), '0');
  (void)encoding::hex_encode(b, std::span<char>{out.data(), out.size()});
  return out;
}
}  // namespace

TEST_CASE("audit format document: the worked example matches the library", "[audit][docs]") {
  std::ifstream in(std::string(AUTHORITY_SOURCE_DIR) + "/docs/audit-format.md");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();

  id16 log_id{};
  for (std::size_t i = 0; i < log_id.size(); ++i) log_id[i] = static_cast<byte>(i);
  record r;
  r.kind = entry_kind::decision;
  r.decision = verdict::allow;
  r.op = 0x0102;
  r.time = 1'700'000'000'000'000'000ull;
  r.agent_id.fill(0x11);
  r.run_id.fill(0x22);
  r.request_hash.fill(0xaa);
  r.policy_hash.fill(0xbb);

  memory_sink<2 * frame_size> out;
  chain c{out, log_id};
  auto first = c.append(r);
  REQUIRE(first.ok());
  r.kind = entry_kind::outcome;
  r.time += 1000;
  r.result_hash.fill(0xcc);
  auto second = c.append(r);
  REQUIRE(second.ok());

  const std::string genesis_hex = hex(genesis(log_id));
  char crc[9];
  std::snprintf(crc, sizeof crc, "%08x", load_le32(out.bytes().data() + frame_header_size + record_size));
  // The entry's first bytes as the document lists them, field by field.
  const bytes_view entry1 = out.bytes().subspan(frame_header_size, entry_size);
  const std::string seq_hex = hex(entry1.subspan(offset::seq, 8));
  const std::string time_hex = hex(entry1.subspan(offset::time, 8));

  CHECK(doc.find("= " + genesis_hex) != std::string::npos);
  CHECK(doc.find("hash(entry 1) = " + hex(first->hash)) != std::string::npos);
  CHECK(doc.find("hash(entry 2) = " + hex(second->hash)) != std::string::npos);
  CHECK(doc.find("frame CRC-32C = " + std::string(crc)) != std::string::npos);
  CHECK(doc.find(seq_hex + "                    seq = 1") != std::string::npos);
  CHECK(doc.find(time_hex + "                    time = 1700000000000000000") != std::string::npos);
  CHECK(doc.find(genesis_hex + "   prev_hash = genesis") != std::string::npos);
}
