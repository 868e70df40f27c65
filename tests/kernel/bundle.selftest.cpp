// kernel/bundle: the cpio newc boot bundle reader accepts what `cpio -H newc` writes and
// refuses every malformed or unsafe archive with the field and offset of the problem.
#include <cstddef>
#include <cstdint>

#include "../../ports/nanos-kernel/kernel/cpio.hpp"
#include "kernel/cpio_writer.hpp"
#include "selftest/selftest.hpp"

using authority::errc;
using kernel::cpio::archive;

namespace {

using cpio_writer = kernel_test::cpio_writer<2048>;

constexpr std::uint32_t file = 0100644, dir = 0040755;

cpio_writer good_archive() {
  cpio_writer w;
  w.entry(".", dir, "");
  w.entry("policy", dir, "");
  w.entry("policy/compiled.bin", file, "\x01\x02\x03");
  w.entry("keys", file, "0123456789abcdef");
  w.trailer();
  while (w.size % 512 != 0) w.buf[w.size++] = 0;  // cpio pads to its block size
  return w;
}

}  // namespace

SELFTEST("kernel/bundle reads a valid archive and finds files by name") {
  const auto w = good_archive();
  auto a = archive::open(w.view());
  ST_REQUIRE(a.ok());
  ST_CHECK(a->size() == 4);
  auto policy = a->find("policy/compiled.bin");
  ST_REQUIRE(policy.ok());
  ST_CHECK(policy->size() == 3 && (*policy)[0] == 1 && (*policy)[2] == 3);
  auto keys = a->find("keys");
  ST_CHECK(keys.ok() && authority::as_chars(*keys) == "0123456789abcdef");
  ST_CHECK(a->find("policy").code() == errc::not_found);  // a directory is not a file
  ST_CHECK(a->find("missing").code() == errc::not_found);
  std::size_t seen = 0;
  a->for_each([&](const kernel::cpio::entry&) { return ++seen < 2; });
  ST_CHECK(seen == 2);  // stops when asked
}

SELFTEST("kernel/bundle checks the crc variant's checksum") {
  cpio_writer ok;
  ok.entry("a", file, "\x01\x02\xff", "070702", 1 + 2 + 255);
  ok.trailer();
  ST_CHECK(archive::open(ok.view()).ok());
  cpio_writer bad;
  bad.entry("a", file, "\x01\x02\xff", "070702", 1 + 2 + 254);
  bad.trailer();
  auto r = archive::open(bad.view());
  ST_CHECK(r.code() == errc::bad_checksum && r.error().field == "cpio.check" && r.error().offset == 102);
}

SELFTEST("kernel/bundle refuses malformed headers with field and offset") {
  {
    auto w = good_archive();
    w.buf[0] = '1';
    auto r = archive::open(w.view());
    ST_CHECK(r.code() == errc::bad_magic && r.error().offset == 0);
  }
  {
    auto w = good_archive();
    w.buf[6 + 8 + 3] = 'g';  // a non-hex digit inside the mode field of the first header
    auto r = archive::open(w.view());
    ST_CHECK(r.code() == errc::invalid_encoding && r.error().field == "cpio.mode");
  }
  {
    cpio_writer w;  // name without its NUL: namesize one short
    w.entry("abc", file, "");
    w.buf[6 + 8 * 11 + 7] = '3';
    w.trailer();
    ST_CHECK(archive::open(w.view()).code() == errc::invalid_argument);
  }
  {
    cpio_writer w;  // namesize 0
    w.entry("abc", file, "");
    for (int i = 0; i < 8; ++i) w.buf[6 + 8 * 11 + i] = '0';
    ST_CHECK(archive::open(w.view()).code() == errc::out_of_range);
  }
  {
    cpio_writer w;  // filesize runs past the end
    w.entry("a", file, "xy");
    w.buf[6 + 8 * 6 + 6] = 'F';
    ST_CHECK(archive::open(w.view()).code() == errc::truncated);
  }
  {
    cpio_writer w;  // non-zero padding after the name
    w.entry("ab", file, "x");
    w.buf[110 + 3] = 'z';
    w.trailer();
    auto r = archive::open(w.view());
    ST_CHECK(r.code() == errc::non_canonical && r.error().offset == 113);
  }
}

SELFTEST("kernel/bundle refuses unsafe names, special files and missing or trailing data") {
  const std::string_view unsafe[] = {"/etc/passwd", "../up", "a/../b", "a//b", "a/./b", "a/", ""};
  for (auto name : unsafe) {
    cpio_writer w;
    w.entry(name, file, "x");
    w.trailer();
    const auto code = archive::open(w.view()).code();
    ST_CHECK(code == errc::invalid_path || (name.empty() && code == errc::out_of_range));
  }
  {
    cpio_writer w;  // a symlink
    w.entry("link", 0120777, "target");
    w.trailer();
    ST_CHECK(archive::open(w.view()).code() == errc::invalid_argument);
  }
  {
    cpio_writer w;  // no trailer
    w.entry("a", file, "x");
    ST_CHECK(archive::open(w.view()).code() == errc::truncated);
  }
  {
    auto w = good_archive();
    w.buf[w.size - 1] = 1;  // junk in the block padding after the trailer
    auto r = archive::open(w.view());
    ST_CHECK(r.code() == errc::trailing_bytes && r.error().field == "cpio.after_trailer");
  }
  ST_CHECK(archive::open({}).code() == errc::truncated);
}

SELFTEST("kernel/bundle every truncation and every single-byte change is handled") {
  const auto w = good_archive();
  const auto full = w.view();
  // Cut before the trailer's end: must fail, never read past the end.
  std::size_t trailer_end = 0;
  for (std::size_t n = 0; n < full.size(); ++n) {
    if (archive::open(full.first(n)).ok()) {
      trailer_end = n;
      break;
    }
  }
  ST_CHECK(trailer_end > 0 && trailer_end % 4 == 0);
  // Any byte changed inside the entries must either fail or leave a valid archive.
  std::size_t refused = 0;
  for (std::size_t i = 0; i < trailer_end; ++i) {
    auto copy = w;
    copy.buf[i] ^= 0x5a;
    auto a = archive::open(copy.view());
    if (!a) {
      ++refused;
      continue;
    }
    std::size_t bytes = 0;
    a->for_each([&](const kernel::cpio::entry& e) {
      bytes += e.data.size();
      return true;
    });
    ST_CHECK(bytes <= full.size());
  }
  ST_CHECK(refused > trailer_end / 2);
}
