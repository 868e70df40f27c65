// The hosted durable log: group commit, recovery of torn tails, refusal of corruption in
// the middle, fail-closed when full, tamper detection at the right sequence number.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "authority/audit/frame.hpp"
#include "authority/audit/verify.hpp"
#include "authority/hosted/audit_file.hpp"

using namespace authority;
using namespace authority::audit;
using authority::hosted::audit_file;
using authority::hosted::audit_file_options;
using authority::hosted::recovery_report;

namespace fs = std::filesystem;

namespace {

struct temp_dir {
  fs::path path;
  temp_dir() {
    std::string tmpl = (fs::temp_directory_path() / "authority-audit-XXXXXX").string();
    path = mkdtemp(tmpl.data());
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

id16 test_log_id() {
  id16 id{};
  for (std::size_t i = 0; i < id.size(); ++i) id[i] = static_cast<byte>(0xa0 + i);
  return id;
}

record sample(std::uint64_t n) {
  record r;
  r.kind = n % 2 ? entry_kind::decision : entry_kind::outcome;
  r.decision = n % 3 ? verdict::allow : verdict::deny;
  r.reason = n % 3 ? errc::ok : errc::not_allowed;
  r.op = static_cast<std::uint16_t>(n % 7);
  r.time = 1'000'000 + n;
  r.request_hash[0] = static_cast<byte>(n);
  return r;
}

std::unique_ptr<audit_file> open_ok(const std::string& path, recovery_report& report,
                                    audit_file_options options = {}) {
  options.log_id = test_log_id();
  auto f = audit_file::open(path, options, report);
  INFO("open: " << name_of(f.code()) << " bad_seq " << report.verification.bad_seq);
  REQUIRE(f.ok());
  return std::move(*f);
}

void write_log(const std::string& path, int entries) {
  recovery_report report;
  auto f = open_ok(path, report);
  for (int i = 1; i <= entries; ++i) REQUIRE(f->append(sample(static_cast<std::uint64_t>(i))).ok());
}

std::vector<byte> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void write_bytes(const std::string& path, const std::vector<byte>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::size_t frame_offset(std::uint64_t seq) { return log_header_size + (seq - 1) * frame_size; }

}  // namespace

TEST_CASE("audit file: appends are durable and the chain resumes after reopening", "[audit][file]") {
  temp_dir dir;
  const auto path = dir.file("log");
  recovery_report report;
  {
    auto f = open_ok(path, report);
    CHECK(report.created);
    for (std::uint64_t i = 1; i <= 10; ++i) {
      auto a = f->append(sample(i));
      REQUIRE(a.ok());
      CHECK(a->seq == i);
    }
    CHECK(f->sync_count() == 10);  // one appender: every entry waited for its own sync
  }
  auto f = open_ok(path, report);
  CHECK_FALSE(report.created);
  CHECK(report.entries == 10);
  CHECK(report.truncated_bytes == 0);
  auto next = f->append(sample(11));
  REQUIRE(next.ok());
  CHECK(next->seq == 11);
  auto log = hosted::read_audit_log(path);
  REQUIRE(log.ok());
  CHECK(log->verification.ok());
  CHECK(log->verification.count == 11);
  CHECK(log->verification.head == next->hash);
  CHECK(log->log_id == test_log_id());
}

TEST_CASE("audit file: concurrent appenders share fdatasyncs and keep the order", "[audit][file]") {
  temp_dir dir;
  const auto path = dir.file("log");
  recovery_report report;
  auto f = open_ok(path, report);
  constexpr int threads = 16, per_thread = 40;
  std::vector<std::vector<std::uint64_t>> seqs(threads);
  std::atomic<int> failures{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        auto a = f->append(sample(static_cast<std::uint64_t>(t * 1000 + i)));
        if (!a) {
          ++failures;
          continue;
        }
        seqs[static_cast<std::size_t>(t)].push_back(a->seq);
      }
    });
  for (auto& t : pool) t.join();
  CHECK(failures.load() == 0);
  std::set<std::uint64_t> all;
  for (const auto& s : seqs) {
    CHECK(std::is_sorted(s.begin(), s.end()));  // each thread sees its seqs increase
    all.insert(s.begin(), s.end());
  }
  CHECK(all.size() == threads * per_thread);
  CHECK(*all.begin() == 1);
  CHECK(*all.rbegin() == threads * per_thread);
  INFO("fdatasyncs: " << f->sync_count() << " for " << threads * per_thread << " entries");
  CHECK(f->sync_count() < threads * per_thread / 2);  // syncs were shared
  auto log = hosted::read_audit_log(path);
  REQUIRE(log.ok());
  CHECK(log->verification.ok());
  CHECK(log->verification.count == threads * per_thread);
}

TEST_CASE("audit file: a torn last record is cut at every byte offset and the chain resumes", "[audit][file]") {
  temp_dir dir;
  const auto good_path = dir.file("good");
  write_log(good_path, 4);
  const auto good = read_bytes(good_path);
  REQUIRE(good.size() == frame_offset(5));
  for (std::size_t cut = frame_offset(4); cut < good.size(); ++cut) {
    const auto path = dir.file("cut");
    write_bytes(path, std::vector<byte>(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(cut)));
    recovery_report report;
    auto f = open_ok(path, report);
    INFO("cut at " << cut);
    CHECK(report.entries == 3);
    CHECK(report.truncated_bytes == cut - frame_offset(4));
    CHECK(fs::file_size(path) == frame_offset(4));
    auto a = f->append(sample(99));
    REQUIRE(a.ok());
    CHECK(a->seq == 4);
    f.reset();
    auto log = hosted::read_audit_log(path);
    REQUIRE(log.ok());
    CHECK(log->verification.ok());
    CHECK(log->verification.count == 4);
    fs::remove(path);
  }
}

TEST_CASE("audit file: damage in the last record is a torn tail, damage before it refuses to open",
          "[audit][file]") {
  temp_dir dir;
  const auto good_path = dir.file("good");
  write_log(good_path, 5);
  const auto good = read_bytes(good_path);
  const auto path = dir.file("damaged");
  for (std::size_t pos = frame_offset(5); pos < good.size(); ++pos) {
    auto bytes = good;
    bytes[pos] ^= 0x5a;
    write_bytes(path, bytes);
    recovery_report report;
    auto f = open_ok(path, report);
    INFO("flipped byte " << pos);
    CHECK(report.entries == 4);
    CHECK(report.truncated_bytes == frame_size);
  }
  for (std::uint64_t seq = 1; seq <= 4; ++seq) {
    for (std::size_t within : {std::size_t{0}, std::size_t{5}, frame_header_size + offset::seq, frame_size - 1}) {
      auto bytes = good;
      bytes[frame_offset(seq) + within] ^= 0x01;
      write_bytes(path, bytes);
      recovery_report report;
      audit_file_options options;
      options.log_id = test_log_id();
      auto f = audit_file::open(path, options, report);
      INFO("seq " << seq << " byte " << within);
      CHECK_FALSE(f.ok());
      CHECK(report.verification.bad_seq == seq);
      CHECK(read_bytes(path) == bytes);  // nothing was cut
    }
  }
}

TEST_CASE("audit file: every flipped bit of a small log is found at its sequence number", "[audit][file][tamper]") {
  temp_dir dir;
  const auto path = dir.file("log");
  write_log(path, 3);
  const auto good = read_bytes(path);
  REQUIRE(verify_log(bytes_view{good}).ok());
  std::size_t checked = 0;
  for (std::size_t pos = 0; pos < good.size(); ++pos) {
    const std::uint64_t expected_seq = pos < log_header_size ? 1 : (pos - log_header_size) / frame_size + 1;
    for (int bit = 0; bit < 8; ++bit) {
      auto bytes = good;
      bytes[pos] = static_cast<byte>(bytes[pos] ^ (1u << bit));
      const auto v = verify_log(bytes_view{bytes});
      if (v.ok() || v.bad_seq != expected_seq) {
        FAIL_CHECK("bit " << bit << " of byte " << pos << ": " << name_of(v.code) << " at seq " << v.bad_seq
                          << ", expected seq " << expected_seq);
      }
      ++checked;
    }
  }
  CHECK(checked == good.size() * 8);
}

TEST_CASE("audit file: a file cut inside its header is made again, a damaged header is refused", "[audit][file]") {
  temp_dir dir;
  const auto good_path = dir.file("good");
  write_log(good_path, 1);
  const auto good = read_bytes(good_path);
  const auto path = dir.file("log");
  for (std::size_t cut = 0; cut < log_header_size; ++cut) {
    write_bytes(path, std::vector<byte>(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(cut)));
    recovery_report report;
    auto f = open_ok(path, report);
    CHECK(report.created);
    CHECK(report.truncated_bytes == cut);
    CHECK(f->append(sample(1))->seq == 1);
  }
  auto bytes = good;
  bytes[3] ^= 1;
  write_bytes(path, bytes);
  recovery_report report;
  audit_file_options options;
  auto refused = audit_file::open(path, options, report);
  CHECK(refused.code() == errc::bad_magic);
  CHECK(report.verification.bad_seq == 1);
  CHECK(read_bytes(path) == bytes);
}

TEST_CASE("audit file: a new log without a given id gets a random one", "[audit][file]") {
  temp_dir dir;
  recovery_report a_report, b_report;
  auto a = audit_file::open(dir.file("a"), audit_file_options{}, a_report);
  auto b = audit_file::open(dir.file("b"), audit_file_options{}, b_report);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK_FALSE(all_zero(bytes_view{(*a)->log_id()}));
  CHECK((*a)->log_id() != (*b)->log_id());
  CHECK(a_report.head.hash == genesis((*a)->log_id()));
  CHECK(a_report.head.hash != b_report.head.hash);
}

TEST_CASE("audit file: a size limit fails closed with log_full and keeps every entry", "[audit][file]") {
  temp_dir dir;
  const auto path = dir.file("log");
  recovery_report report;
  audit_file_options options;
  options.max_bytes = log_header_size + 3 * frame_size;
  auto f = open_ok(path, report, options);
  for (std::uint64_t i = 1; i <= 3; ++i) REQUIRE(f->append(sample(i)).ok());
  auto full = f->append(sample(4));
  CHECK(full.code() == errc::log_full);
  CHECK(f->append(sample(5)).code() == errc::log_full);
  CHECK(f->head().seq == 3);
  auto log = hosted::read_audit_log(path);
  REQUIRE(log.ok());
  CHECK(log->verification.ok());
  CHECK(log->verification.count == 3);
}

TEST_CASE("audit file: a full disk fails closed and recovery keeps every acknowledged entry", "[audit][file]") {
  // RLIMIT_FSIZE makes write() fail with EFBIG like a full disk; done in a child so the
  // test process keeps its limits.
  temp_dir dir;
  const auto path = dir.file("log");
  int report_pipe[2];
  REQUIRE(pipe(report_pipe) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    signal(SIGXFSZ, SIG_IGN);
    const rlim_t limit = log_header_size + 5 * frame_size + frame_size / 2;
    rlimit rl{limit, limit};
    setrlimit(RLIMIT_FSIZE, &rl);
    recovery_report report;
    audit_file_options options;
    options.log_id = test_log_id();
    auto f = audit_file::open(path, options, report);
    if (!f) _exit(2);
    std::uint64_t acked = 0;
    errc first_error = errc::ok, second_error = errc::ok;
    for (std::uint64_t i = 1; i <= 10; ++i) {
      auto a = (*f)->append(sample(i));
      if (!a) {
        first_error = a.code();
        second_error = (*f)->append(sample(i + 1)).code();
        break;
      }
      acked = a->seq;
    }
    std::uint64_t out[3] = {acked, static_cast<std::uint64_t>(first_error), static_cast<std::uint64_t>(second_error)};
    (void)!write(report_pipe[1], out, sizeof out);
    _exit(0);
  }
  close(report_pipe[1]);
  std::uint64_t in[3]{};
  REQUIRE(read(report_pipe[0], in, sizeof in) == static_cast<ssize_t>(sizeof in));
  close(report_pipe[0]);
  int status = 0;
  waitpid(child, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(in[0] == 5);
  CHECK(static_cast<errc>(in[1]) == errc::log_full);
  CHECK(static_cast<errc>(in[2]) == errc::log_full);
  recovery_report report;
  auto f = open_ok(path, report);
  CHECK(report.entries == 5);
  CHECK(report.truncated_bytes == frame_size / 2);  // the part of entry 6 that fit
  CHECK(f->append(sample(6))->seq == 6);
}

TEST_CASE("audit file: a log killed at random points recovers every acknowledged entry", "[audit][file][crash]") {
  temp_dir dir;
  std::uint64_t seed = 12345;
  auto next_random = [&] {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return seed >> 33;
  };
  constexpr int runs = 200;
  const auto path = dir.file("log");
  std::uint64_t total_acked = 0, max_entries = 0, torn = 0;
  for (int run = 0; run < runs; ++run) {
    int acks[2];
    REQUIRE(pipe(acks) == 0);
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      close(acks[0]);
      recovery_report report;
      audit_file_options options;
      options.log_id = test_log_id();
      auto f = audit_file::open(path, options, report);
      if (!f) _exit(2);
      // Four appenders, each reporting the seqs it was told are durable.
      std::vector<std::thread> appenders;
      for (int t = 0; t < 4; ++t)
        appenders.emplace_back([&] {
          for (std::uint64_t i = 0;; ++i) {
            auto a = (*f)->append(sample(i));
            if (!a) _exit(3);
            if (write(acks[1], &a->seq, sizeof a->seq) != sizeof a->seq) _exit(4);
          }
        });
      for (auto& t : appenders) t.join();
      _exit(0);
    }
    close(acks[1]);
    usleep(static_cast<useconds_t>(next_random() % 15'000));
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    std::uint64_t max_acked = 0, seq = 0;
    while (read(acks[0], &seq, sizeof seq) == sizeof seq) {
      max_acked = std::max(max_acked, seq);
      ++total_acked;
    }
    close(acks[0]);
    REQUIRE(WIFSIGNALED(status));

    recovery_report report;
    audit_file_options options;
    options.log_id = test_log_id();
    auto f = audit_file::open(path, options, report);
    INFO("run " << run << ": " << name_of(f.code()) << " at seq " << report.verification.bad_seq);
    REQUIRE(f.ok());
    REQUIRE(report.entries >= max_acked);
    if (report.truncated_bytes > 0) ++torn;
    max_entries = report.entries;
  }
  auto log = hosted::read_audit_log(path);
  REQUIRE(log.ok());
  CHECK(log->verification.ok());
  CHECK(log->verification.count == max_entries);
  WARN("crash test: " << runs << " kills, " << total_acked << " acknowledgements received, " << max_entries
                      << " entries at the end, " << torn << " recoveries cut a torn tail");
  CHECK(max_entries > 0);
}
