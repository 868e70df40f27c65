// Ed25519 checkpoints over a real log file: signed, verified after more appends,
// forgeries and altered text refused; the text form round-trips.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <string>

#include "authority/audit/merkle.hpp"
#include "authority/hosted/audit_file.hpp"
#include "authority/hosted/checkpoint_ed25519.hpp"

using namespace authority;
using namespace authority::audit;
namespace fs = std::filesystem;

namespace {

struct log_fixture {
  fs::path dir;
  std::string path;
  std::unique_ptr<hosted::audit_file> file;

  log_fixture() {
    std::string tmpl = (fs::temp_directory_path() / "authority-cp-XXXXXX").string();
    dir = mkdtemp(tmpl.data());
    path = (dir / "log").string();
    hosted::recovery_report report;
    hosted::audit_file_options options;
    options.log_id[0] = 0x42;
    auto f = hosted::audit_file::open(path, options, report);
    REQUIRE(f.ok());
    file = std::move(*f);
  }
  ~log_fixture() {
    file.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  void append(int n) {
    for (int i = 0; i < n; ++i) {
      record r;
      r.op = static_cast<std::uint16_t>(i);
      r.time = static_cast<time_ns>(i);
      REQUIRE(file->append(r).ok());
    }
  }
  hosted::audit_log_contents read() const {
    auto log = hosted::read_audit_log(path);
    REQUIRE(log.ok());
    return std::move(*log);
  }
};

}  // namespace

TEST_CASE("checkpoint: Ed25519 signature verifies, and still does after more appends", "[audit][checkpoint]") {
  log_fixture log;
  log.append(9);
  auto keys = hosted::generate_ed25519_keypair();
  REQUIRE(keys.ok());
  auto c = hosted::checkpoint_of(log.read(), 9, 1234);
  REQUIRE(c.ok());
  CHECK(c->head == log.file->head().hash);
  CHECK(c->size == 9);
  auto s = hosted::sign_ed25519(*c, keys->secret_key);
  REQUIRE(s.ok());
  CHECK(hosted::verify_ed25519(*s, keys->public_key).ok());

  log.append(8);
  const auto grown = log.read();
  // The first 9 entries of the grown log still give the signed head and root ...
  auto again = hosted::checkpoint_of(grown, 9, 1234);
  REQUIRE(again.ok());
  CHECK(*again == *c);
  // ... and the grown log provably extends the checkpoint.
  const auto leaves = hosted::leaf_hashes(grown, 17);
  auto proof = merkle::consistency_proof(leaves, 9);
  REQUIRE(proof.ok());
  CHECK(merkle::verify_consistency(9, 17, proof->span(), s->body.root, merkle::root(leaves)).ok());
  // Entry 4 checked against the old checkpoint alone, in O(log n).
  auto inc = merkle::inclusion_proof(std::span<const digest>{leaves}.first(9), 3);
  REQUIRE(inc.ok());
  CHECK(merkle::verify_inclusion(leaves[3], 3, 9, inc->span(), s->body.root).ok());
  CHECK(hosted::checkpoint_of(grown, 18, 0).code() == errc::out_of_range);
}

TEST_CASE("checkpoint: forged or altered checkpoints are refused", "[audit][checkpoint]") {
  log_fixture log;
  log.append(3);
  auto keys = hosted::generate_ed25519_keypair();
  auto other = hosted::generate_ed25519_keypair();
  REQUIRE(keys.ok());
  REQUIRE(other.ok());
  auto c = hosted::checkpoint_of(log.read(), 3, 99);
  REQUIRE(c.ok());
  auto s = hosted::sign_ed25519(*c, keys->secret_key);
  REQUIRE(s.ok());

  CHECK(hosted::verify_ed25519(*s, other->public_key).code() == errc::checkpoint_signature);
  auto forged = hosted::sign_ed25519(*c, other->secret_key);
  REQUIRE(forged.ok());
  CHECK(hosted::verify_ed25519(*forged, keys->public_key).code() == errc::checkpoint_signature);
  for (int field = 0; field < 6; ++field) {
    signed_checkpoint altered = *s;
    switch (field) {
      case 0: altered.body.size += 1; break;
      case 1: altered.body.time += 1; break;
      case 2: altered.body.head[5] ^= 1; break;
      case 3: altered.body.root[31] ^= 0x80; break;
      case 4: altered.body.log_id[0] ^= 1; break;
      case 5: altered.signature[63] ^= 1; break;
    }
    INFO("altered field " << field);
    CHECK(hosted::verify_ed25519(altered, keys->public_key).code() == errc::checkpoint_signature);
  }
  signed_checkpoint wrong_alg = *s;
  wrong_alg.alg = signature_alg::hmac_sha256;
  CHECK(hosted::verify_ed25519(wrong_alg, keys->public_key).code() == errc::checkpoint_signature);
}

TEST_CASE("checkpoint: the text form round-trips and rejects damage", "[audit][checkpoint]") {
  log_fixture log;
  log.append(2);
  auto keys = hosted::generate_ed25519_keypair();
  REQUIRE(keys.ok());
  auto s = hosted::sign_ed25519(*hosted::checkpoint_of(log.read(), 2, 5), keys->secret_key);
  REQUIRE(s.ok());
  const std::string text = hosted::to_text(*s);
  auto back = hosted::parse_checkpoint_text(text);
  REQUIRE(back.ok());
  CHECK(*back == *s);
  CHECK(hosted::verify_ed25519(*back, keys->public_key).ok());

  const crypto::hmac_sha256_key mac_key{std::string_view{"kernel key"}};
  const signed_checkpoint mac = sign_hmac(s->body, mac_key);
  auto mac_back = hosted::parse_checkpoint_text(hosted::to_text(mac));
  REQUIRE(mac_back.ok());
  CHECK(verify_hmac(*mac_back, mac_key).ok());

  auto replace = [&](const std::string& from, const std::string& to) {
    std::string t = text;
    t.replace(t.find(from), from.size(), to);
    return t;
  };
  CHECK(hosted::parse_checkpoint_text(replace("authority-checkpoint v1", "authority-checkpoint v2")).code() ==
        errc::bad_magic);
  CHECK(hosted::parse_checkpoint_text(replace("size 2", "size 2x")).code() == errc::invalid_encoding);
  CHECK(hosted::parse_checkpoint_text(replace("alg ed25519", "alg rsa")).code() == errc::out_of_range);
  CHECK(hosted::parse_checkpoint_text(text + "size 3\n").code() == errc::invalid_argument);
  CHECK(hosted::parse_checkpoint_text(replace("size 2\n", "")).code() == errc::truncated);
  CHECK(hosted::parse_checkpoint_text(text.substr(0, text.size() - 3)).code() == errc::invalid_encoding);
  // A size edited in the text still parses but no longer verifies.
  auto edited = hosted::parse_checkpoint_text(replace("size 2", "size 1"));
  REQUIRE(edited.ok());
  CHECK(hosted::verify_ed25519(*edited, keys->public_key).code() == errc::checkpoint_signature);
}
