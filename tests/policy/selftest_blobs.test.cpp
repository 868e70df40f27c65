// The blobs the kernel self-tests use are what the current compiler makes of their
// sources with the test key: a compiler or format change without regenerating them
// (see the command in selftest_blobs.hpp) fails here.
#include "authority/hosted/keyfile.hpp"
#include "policy/selftest_blobs.hpp"
#include "support.hpp"

using namespace policy_core_test;
namespace blobs = authority::policy::selftest_blobs;

TEST_CASE("selftest blobs are current: recompiling their sources gives the same bytes") {
  const std::filesystem::path data = std::filesystem::path{AUTHORITY_SOURCE_DIR} / "tests" / "policy" / "data";
  auto keys = hosted::load_key_file((data / "selftest.keys").string());
  REQUIRE(keys.ok());
  const auto slot = keys.value->ring->signing_key();
  REQUIRE(slot.ok());
  CHECK((*slot)->id == blobs::key_id);
  CHECK((*slot)->secret == blobs::key_secret());

  const struct {
    const char* file;
    std::uint64_t revision;
    bytes_view embedded;
  } cases[] = {{"kernel.json", 1, blobs::kernel_blob}, {"kernel_v2.json", 2, blobs::kernel_v2_blob}};
  for (const auto& c : cases) {
    INFO(c.file << ": regenerate tests/policy/generated/ with the commands in tests/policy/selftest_blobs.hpp");
    const auto ast = parse_ok(read_file(data / c.file), pt::format::json, c.file);
    hosted::policy_compile_options options;
    options.revision = c.revision;
    auto compiled = hosted::compile_policy(ast, *keys.value->ring, options);
    REQUIRE(compiled.ok());
    std::size_t first_difference = 0;
    while (first_difference < std::min(c.embedded.size(), compiled.blob.size()) &&
           c.embedded[first_difference] == compiled.blob[first_difference])
      ++first_difference;
    INFO("embedded " << c.embedded.size() << " bytes, compiled " << compiled.blob.size() << " bytes, first difference at "
                     << first_difference);
    CHECK((c.embedded.size() == compiled.blob.size() && first_difference == compiled.blob.size()));
  }
}
