// executors/ram_fs: the in-memory executor's file system — seeds viewed in place,
// writes copied into the arena, implied and explicit directories, deterministic
// listings, and refusals (missing, below a file, full).
#include "authority/executors/ram_fs.hpp"
#include "selftest/selftest.hpp"

using namespace authority;
using executors::ram_fs;
using executors::ram_node;

namespace {
ram_node nodes[8];
byte arena[64];

std::string_view text(result<bytes_view> r) { return r ? as_chars(*r) : std::string_view{"<error>"}; }

// The listing of `dir` as "a,b,c".
std::string_view listing(const ram_fs& fs, std::string_view dir) {
  static char out[128];
  std::size_t n = 0;
  auto listed = fs.list(dir, [&](std::string_view name) {
    if (n != 0) out[n++] = ',';
    for (char c : name) out[n++] = c;
  });
  return listed ? std::string_view{out, n} : std::string_view{"<error>"};
}
}  // namespace

SELFTEST("kernel/ram_fs seeds, reads, writes and lists") {
  ram_fs fs{nodes, arena};
  static const byte report[] = {'r', 'e', 'p'};
  ST_REQUIRE(fs.seed_file("/data/report.txt", report).ok());
  ST_REQUIRE(fs.seed_directory("/data/out").ok());
  ST_CHECK(text(fs.read("/data/report.txt")) == "rep");
  ST_CHECK(fs.read("/data/report.txt")->data() == report);  // a seed is viewed, not copied
  ST_CHECK(fs.arena_used() == 9);                            // only the directory's path was stored
  ST_REQUIRE(fs.write("/data/out/a", as_bytes(std::string_view{"one"})).ok());
  ST_REQUIRE(fs.write("/data/out/a", as_bytes(std::string_view{"two!"})).ok());  // replaced
  ST_CHECK(text(fs.read("/data/out/a")) == "two!");
  ST_REQUIRE(fs.write("/logs/today/x", {}).ok());  // parents are implied
  ST_CHECK(fs.is_directory("/logs") && fs.is_directory("/logs/today") && !fs.is_directory("/logs/today/x"));
  ST_CHECK(listing(fs, "/") == "data,logs");
  ST_CHECK(listing(fs, "/data") == "report.txt,out");
  ST_CHECK(listing(fs, "/data/out") == "a");
  ST_CHECK(fs.list("/nope", [](std::string_view) {}).code() == errc::not_found);
  ST_CHECK(fs.list("/data/report.txt", [](std::string_view) {}).code() == errc::invalid_argument);
}

SELFTEST("kernel/ram_fs refuses what a file system must not do") {
  ram_fs fs{nodes, arena};
  ST_REQUIRE(fs.seed_file("/a", as_bytes(std::string_view{"x"})).ok());
  ST_CHECK(fs.seed_file("/a", {}).code() == errc::invalid_argument);        // exists
  ST_CHECK(fs.seed_file("relative", {}).code() == errc::invalid_path);
  ST_CHECK(fs.read("/missing").code() == errc::not_found);
  ST_CHECK(fs.write("/a/b", {}).code() == errc::invalid_argument);          // below a file
  ST_CHECK(fs.mkdir("/a/d").code() == errc::invalid_argument);
  ST_CHECK(fs.write("/", {}).code() == errc::invalid_argument);
  ST_REQUIRE(fs.mkdir("/d").ok());
  ST_CHECK(fs.write("/d", {}).code() == errc::invalid_argument);            // a directory
  ST_CHECK(fs.read("/d").code() == errc::invalid_argument);
  ST_CHECK(fs.unlink("/d").code() == errc::invalid_argument);
  ST_CHECK(fs.unlink("/nope").code() == errc::not_found);
  // The arena only grows: 64 bytes hold what fits and refuse the rest, all or nothing.
  static const byte big[60]{};
  ST_CHECK(fs.write("/big", big).code() == errc::capacity_exceeded);  // 60 + "/big" > 64 - "/d"
  ST_CHECK(!fs.exists("/big") && fs.arena_used() == 2);
  for (int i = 0; i < 8; ++i) (void)fs.mkdir(i % 2 ? "/e" : "/f");
  std::size_t made = 0;
  const std::string_view names[] = {"/g", "/h", "/i", "/j", "/k", "/l", "/m"};
  for (auto n : names) made += fs.mkdir(n).ok();
  ST_CHECK(made == 4);  // 8 nodes: /a /d /f /e and four more
  ST_CHECK(fs.mkdir("/n").code() == errc::capacity_exceeded);
}

SELFTEST("kernel/ram_fs unlinks and renames files") {
  ram_fs fs{nodes, arena};
  ST_REQUIRE(fs.seed_file("/a", as_bytes(std::string_view{"A"})).ok());
  ST_REQUIRE(fs.seed_file("/b", as_bytes(std::string_view{"B"})).ok());
  ST_REQUIRE(fs.rename("/a", "/dir/c").ok());
  ST_CHECK(!fs.exists("/a") && text(fs.read("/dir/c")) == "A");
  ST_REQUIRE(fs.rename("/dir/c", "/b").ok());  // replaces /b
  ST_CHECK(text(fs.read("/b")) == "A" && !fs.exists("/dir/c") && !fs.exists("/dir"));
  ST_CHECK(fs.rename("/b", "/b/x").code() == errc::invalid_argument);  // into itself
  ST_CHECK(fs.rename("/nope", "/x").code() == errc::not_found);
  ST_REQUIRE(fs.unlink("/b").ok());
  ST_CHECK(listing(fs, "/").empty());
  ST_REQUIRE(fs.write("/again", {}).ok());  // the freed slot is reused
  ST_CHECK(listing(fs, "/") == "again");
}
