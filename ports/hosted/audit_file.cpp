#include "authority/hosted/audit_file.hpp"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstring>

#include "authority/audit/frame.hpp"
#include "authority/hosted/platform.hpp"

namespace authority::hosted {

namespace {

errc errno_code(int e) {
  return (e == ENOSPC || e == EDQUOT || e == EFBIG) ? errc::log_full : errc::sink_failure;
}

result<void> write_all(int fd, const byte* data, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return make_error(errno_code(errno), "write");
    }
    data += w;
    n -= static_cast<std::size_t>(w);
  }
  return success();
}

result<void> fsync_directory_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return make_error(errc::io_error, "open directory");
  const int r = ::fsync(dfd);
  ::close(dfd);
  if (r != 0) return make_error(errc::io_error, "fsync directory");
  return success();
}

result<std::vector<byte>> read_whole(int fd) {
  std::vector<byte> out;
  byte buf[1 << 16];
  for (;;) {
    const ssize_t r = ::read(fd, buf, sizeof buf);
    if (r < 0) {
      if (errno == EINTR) continue;
      return make_error(errc::io_error, "read");
    }
    if (r == 0) break;
    out.insert(out.end(), buf, buf + r);
  }
  return out;
}

// True if some whole, CRC-valid frame starts anywhere after `from`: then the damage at
// `from` is not a torn tail.
bool whole_frame_after(bytes_view bytes, std::size_t from) {
  for (std::size_t pos = from + 1; pos + audit::frame_overhead <= bytes.size(); ++pos) {
    if (bytes[pos] != audit::frame_magic[0]) continue;
    if (audit::read_frame(bytes.subspan(pos)).ok()) return true;
  }
  return false;
}

// Futex wait / wake on a 32-bit word. std::atomic::wait would do, but libstdc++ spins
// and yields before it sleeps, which with more appenders than cores costs more CPU
// than the sleep it saves.
void wait_while_equal(std::atomic<std::uint32_t>& word, std::uint32_t value) {
  while (word.load(std::memory_order_acquire) == value)
    ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, value, nullptr, nullptr, 0);
}

void wake_all(std::atomic<std::uint32_t>& word) {
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, INT32_MAX, nullptr, nullptr, 0);
}

bool is_frame_damage(errc code) {
  return code == errc::truncated || code == errc::bad_magic || code == errc::out_of_range ||
         code == errc::bad_checksum;
}

audit_log_contents classify(audit_log_contents log) {
  const auto& v = log.verification;
  if (v.ok()) return log;
  // Frame-level damage with nothing whole after it is what an interrupted write leaves.
  // A frame that is whole but does not verify was written that way: corruption.
  auto frame = audit::read_frame(bytes_view{log.bytes}.subspan(v.byte_offset));
  log.torn_tail = !frame.ok() && is_frame_damage(frame.code()) && !whole_frame_after(log.bytes, v.byte_offset);
  return log;
}

// Every log gets its own genesis: an all-zero id in the options asks for a random one.
result<audit::id16> new_log_id(const audit_file_options& options) {
  audit::id16 log_id = options.log_id;
  if (all_zero(bytes_view{log_id}) && !sodium_entropy{}.fill(log_id.data(), log_id.size()))
    return make_error(errc::entropy_failure, "log_id");
  return log_id;
}

}  // namespace

std::vector<bytes_view> audit_log_contents::good_records() const {
  std::vector<bytes_view> out;
  const bytes_view all{bytes};
  std::size_t pos = audit::log_header_size;
  while (pos < verification.valid_bytes) {
    auto f = audit::read_frame(all.subspan(pos));
    if (!f) break;
    out.push_back(f->payload);
    pos += f->size;
  }
  return out;
}

result<audit_log_contents> read_audit_log(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(errno == ENOENT ? errc::not_found : errc::io_error, "open log");
  auto bytes = read_whole(fd);
  ::close(fd);
  if (!bytes) return bytes.error();
  audit_log_contents log;
  log.bytes = std::move(*bytes);
  AUTHORITY_TRY_ASSIGN(log.log_id, audit::read_log_header(bytes_view{log.bytes}));
  log.verification = audit::verify_log(bytes_view{log.bytes});
  return classify(std::move(log));
}

std::vector<audit::digest> leaf_hashes(const audit_log_contents& log, std::uint64_t count) {
  std::vector<audit::digest> out;
  for (const auto& rec : log.good_records()) {
    if (out.size() == count) break;
    out.push_back(audit::merkle::leaf_hash(rec.first(audit::entry_size)));
  }
  return out;
}

result<std::unique_ptr<audit_file>> audit_file::open(const std::string& path, const audit_file_options& options,
                                                     recovery_report& report) {
  report = {};
  int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT && options.create) {
    AUTHORITY_TRY_ASSIGN(const audit::id16 log_id, new_log_id(options));
    fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) return make_error(errc::io_error, "create log");
    const auto header = audit::make_log_header(log_id);
    if (auto w = write_all(fd, header.data(), header.size()); !w || ::fdatasync(fd) != 0) {
      ::close(fd);
      return make_error(errc::io_error, "write log header");
    }
    if (auto d = fsync_directory_of(path); !d) {
      ::close(fd);
      return d.error();
    }
    report.created = true;
    report.head = {0, audit::genesis(log_id)};
    return std::unique_ptr<audit_file>(new audit_file(fd, log_id, report.head, header.size(), options));
  }
  if (fd < 0) return make_error(errno == ENOENT ? errc::not_found : errc::io_error, "open log");

  auto bytes = read_whole(fd);
  if (!bytes) {
    ::close(fd);
    return bytes.error();
  }
  audit_log_contents log;
  log.bytes = std::move(*bytes);
  if (log.bytes.size() < audit::log_header_size && options.create) {
    // A crash while creating the file: no entry can have been acknowledged before the
    // header was durable, so the file is made again.
    auto log_id = new_log_id(options);
    if (!log_id) {
      ::close(fd);
      return log_id.error();
    }
    const auto header = audit::make_log_header(*log_id);
    if (::ftruncate(fd, 0) != 0 || !write_all(fd, header.data(), header.size()) || ::fdatasync(fd) != 0) {
      ::close(fd);
      return make_error(errc::io_error, "write log header");
    }
    report.created = true;
    report.truncated_bytes = log.bytes.size();
    report.head = {0, audit::genesis(*log_id)};
    return std::unique_ptr<audit_file>(new audit_file(fd, *log_id, report.head, header.size(), options));
  }
  auto id = audit::read_log_header(bytes_view{log.bytes});
  if (!id) {
    ::close(fd);
    report.verification.code = id.code();
    report.verification.field = id.error().field;
    report.verification.bad_seq = 1;
    return id.error();
  }
  log.log_id = *id;
  log.verification = audit::verify_log(bytes_view{log.bytes});
  log = classify(std::move(log));
  const auto& v = log.verification;
  if (!v.ok() && !log.torn_tail) {
    ::close(fd);
    report.verification = v;
    return make_error(v.code, v.field, static_cast<std::uint32_t>(v.byte_offset));
  }
  if (!v.ok()) {
    // Torn tail: cut it off and make the cut durable before anything is appended.
    if (::ftruncate(fd, static_cast<off_t>(v.valid_bytes)) != 0 || ::fsync(fd) != 0) {
      ::close(fd);
      return make_error(errc::io_error, "truncate torn tail");
    }
    report.truncated_bytes = log.bytes.size() - v.valid_bytes;
  }
  report.entries = v.count;
  report.head = {v.count, v.head};
  report.verification = v;  // on a torn tail: what was found where the tail was cut
  return std::unique_ptr<audit_file>(new audit_file(fd, log.log_id, report.head, v.valid_bytes, options));
}

audit_file::audit_file(int fd, const audit::id16& log_id, const audit::chain_head& head, std::uint64_t size,
                       const audit_file_options& options)
    : fd_(fd), log_id_(log_id), options_(options), chain_(sink_, head), durable_seq_(head.seq), bytes_taken_(size) {}

audit_file::~audit_file() {
  if (fd_ >= 0) ::close(fd_);
}

audit::chain_head audit_file::head() const {
  std::lock_guard lock(mutex_);
  return chain_.head();
}

std::uint64_t audit_file::size_bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_taken_;
}

result<void> audit_file::write_and_sync(const std::vector<byte>& batch) {
  AUTHORITY_TRY(write_all(fd_, batch.data(), batch.size()));
  if (::fdatasync(fd_) != 0) return make_error(errno_code(errno), "fdatasync");
  syncs_.fetch_add(1, std::memory_order_relaxed);
  return success();
}

// Each appender blocks until its entry is durable, so the last batch's size is how many
// appenders are active. Right after a sync they all wake up at once and append again,
// but one by one (more appenders than cores): a leader that synced at the first arrival
// would split them into a batch of one and a batch of the rest. So the leader waits
// until as many entries are pending as the last batch had, for at most half a sync
// (the commit delay of databases, adaptive): a lone appender never waits, and when an
// appender leaves, one batch waits out the delay and the next expects one fewer.
void audit_file::wait_for_batch(std::unique_lock<std::mutex>& lock) {
  if (expected_batch_ <= 1 || pending_entries_ >= expected_batch_) return;
  const auto delay = std::clamp(last_sync_ / 2, std::chrono::microseconds{10}, std::chrono::microseconds{2000});
  const auto deadline = std::chrono::steady_clock::now() + delay;
  leader_waiting_ = true;
  batch_full_.wait_until(lock, deadline, [&] { return pending_entries_ >= expected_batch_; });
  leader_waiting_ = false;
}

result<audit::appended> audit_file::append(const audit::record& r) {
  std::unique_lock lock(mutex_);
  if (failed_.code != errc::ok) return failed_;
  if (options_.max_bytes != 0 && bytes_taken_ + audit::frame_size > options_.max_bytes)
    return make_error(errc::log_full, "max_bytes");
  AUTHORITY_TRY_ASSIGN(const audit::appended mine, chain_.append(r));
  bytes_taken_ += audit::frame_size;

  if (!options_.group_commit) {
    std::vector<byte> batch;
    batch.swap(pending_);
    if (auto w = write_and_sync(batch); !w) {
      failed_ = w.error();
      return failed_;
    }
    durable_seq_.store(mine.seq, std::memory_order_relaxed);
    return mine;
  }

  ++pending_entries_;
  if (leader_waiting_ && pending_entries_ >= expected_batch_) batch_full_.notify_one();
  for (;;) {
    if (failed_.code != errc::ok) return failed_;
    if (durable_seq_.load(std::memory_order_relaxed) >= mine.seq) return mine;
    if (!syncing_) {
      lead_sync(lock);
      continue;
    }
    // Followers sleep on the sync generation, not on the mutex: when a sync ends, each
    // one sees its entry durable and returns without taking the lock again.
    const auto generation = sync_generation_.load(std::memory_order_acquire);
    lock.unlock();
    wait_while_equal(sync_generation_, generation);
    if (durable_seq_.load(std::memory_order_acquire) >= mine.seq) return mine;
    lock.lock();
  }
}

// Leader: takes everything appended so far and makes it durable in one go.
void audit_file::lead_sync(std::unique_lock<std::mutex>& lock) {
  syncing_ = true;
  wait_for_batch(lock);
  std::vector<byte> batch;
  batch.swap(pending_);
  const std::uint64_t batch_last = chain_.head().seq;
  expected_batch_ = pending_entries_;
  pending_entries_ = 0;
  lock.unlock();
  const auto started = std::chrono::steady_clock::now();
  auto written = write_and_sync(batch);
  const auto took = std::chrono::steady_clock::now() - started;
  lock.lock();
  last_sync_ = std::chrono::duration_cast<std::chrono::microseconds>(took);
  syncing_ = false;
  if (written)
    durable_seq_.store(batch_last, std::memory_order_release);
  else
    failed_ = written.error();
  sync_generation_.fetch_add(1, std::memory_order_release);
  wake_all(sync_generation_);
}

}  // namespace authority::hosted
