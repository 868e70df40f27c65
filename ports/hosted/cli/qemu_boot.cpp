#include "qemu_boot.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace authority::cli {
namespace {

namespace fs = std::filesystem;

struct child {
  pid_t pid = -1;
  int output = -1;  // read end of its stdout
};

// Starts argv with stdin from /dev/null, stdout into a pipe, stderr as ours.
std::optional<child> spawn(const std::vector<std::string>& argv, bool capture) {
  int pipe_fds[2] = {-1, -1};
  if (capture && pipe2(pipe_fds, O_CLOEXEC) != 0) return std::nullopt;
  const pid_t pid = fork();
  if (pid < 0) return std::nullopt;
  if (pid == 0) {
    const int null_fd = open("/dev/null", O_RDWR);
    dup2(null_fd, 0);
    dup2(capture ? pipe_fds[1] : null_fd, 1);
    if (!capture) dup2(null_fd, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  if (capture) close(pipe_fds[1]);
  return child{pid, capture ? pipe_fds[0] : -1};
}

int wait_for(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

std::string joined(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

// An ISO that GRUB boots: the kernel as Multiboot2, the bundle as its module. No serial
// terminal for GRUB itself, so its escape codes stay out of the console stream.
std::optional<std::string> make_iso(const std::string& image, const std::string& bundle, const fs::path& work,
                                    std::string& error) {
  std::error_code ec;
  const fs::path root = work / "iso";
  fs::create_directories(root / "boot" / "grub", ec);
  fs::copy_file(image, root / "boot" / "kernel.elf", fs::copy_options::overwrite_existing, ec);
  if (!ec) fs::copy_file(bundle, root / "boot" / "bundle", fs::copy_options::overwrite_existing, ec);
  if (ec) {
    error = "cannot prepare the ISO tree: " + ec.message();
    return std::nullopt;
  }
  std::ofstream(root / "boot" / "grub" / "grub.cfg")
      << "set timeout=0\nmenuentry \"authority\" {\n  multiboot2 /boot/kernel.elf\n  module2 /boot/bundle\n  boot\n}\n";
  const std::string iso = (work / "kernel.iso").string();
  auto mkrescue = spawn({"grub-mkrescue", "-o", iso, root.string()}, false);
  if (!mkrescue || wait_for(mkrescue->pid) != 0) {
    error = "grub-mkrescue failed (scripts/install-deps.sh installs grub-pc-bin, grub-common and xorriso)";
    return std::nullopt;
  }
  return iso;
}

}  // namespace

std::string default_kernel_image(const std::string& arch) {
  char self[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  const fs::path dir = n > 0 ? fs::path{std::string{self, static_cast<std::size_t>(n)}}.parent_path() : fs::current_path();
  return (dir / "ports" / "nanos-kernel" / arch / (arch == "aarch64" ? "kernel.img" : "kernel.stripped.elf")).string();
}

qemu_boot_result boot_qemu(const qemu_boot_request& r, const std::function<void(std::string_view)>& on_output) {
  qemu_boot_result out;
  char work_template[] = "/tmp/authority-run-XXXXXX";
  if (mkdtemp(work_template) == nullptr) {
    out.error = std::string{"cannot create a work directory: "} + std::strerror(errno);
    return out;
  }
  const fs::path work{work_template};
  struct cleanup {
    fs::path dir;
    ~cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } remove_work{work};

  std::vector<std::string> argv;
  if (r.arch == "x86_64") {
    argv = {"qemu-system-x86_64", "-m", r.memory, "-display", "none", "-serial", "stdio", "-no-reboot", "-monitor", "none",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"};
    if (r.grub) {
      auto iso = make_iso(r.image, r.bundle_path, work, out.error);
      if (!iso) return out;
      argv.insert(argv.end(), {"-cdrom", *iso});
    } else {
      argv.insert(argv.end(), {"-kernel", r.image, "-initrd", r.bundle_path});
    }
  } else if (r.arch == "aarch64") {
    argv = {"qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a57", "-m", r.memory, "-nographic", "-monitor", "none",
            "-semihosting", "-kernel", r.image, "-initrd", r.bundle_path};
  } else if (r.arch == "riscv64") {
    argv = {"qemu-system-riscv64", "-M", "virt", "-m", r.memory, "-nographic", "-monitor", "none", "-bios", "default",
            "-kernel", r.image, "-initrd", r.bundle_path};
  } else {
    out.error = "unknown arch " + r.arch;
    return out;
  }
  out.command = joined(argv);

  out.started = std::chrono::steady_clock::now();
  auto qemu = spawn(argv, true);
  if (!qemu) {
    out.error = std::string{"cannot start "} + argv[0] + ": " + std::strerror(errno);
    return out;
  }
  const auto deadline = out.started + std::chrono::seconds(r.timeout_seconds);
  char buf[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      out.timed_out = true;
      kill(qemu->pid, SIGKILL);
      break;
    }
    pollfd p{qemu->output, POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    const ssize_t n = read(qemu->output, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // QEMU closed its side: it is exiting
    on_output(std::string_view{buf, static_cast<std::size_t>(n)});
  }
  close(qemu->output);
  const int rc = wait_for(qemu->pid);
  if (out.timed_out) return out;
  if (rc == 127) {
    out.error = argv[0] + " is not installed (scripts/install-deps.sh installs it)";
    return out;
  }
  if (r.arch == "x86_64") {
    // isa-debug-exit: QEMU exits with (status << 1) | 1; an even code means the kernel
    // never wrote one (a triple fault with -no-reboot, or QEMU's own failure).
    if ((rc & 1) == 1) out.kernel_status = rc >> 1;
    else out.error = "QEMU exited with " + std::to_string(rc) + " without a status from the kernel";
  } else {
    out.kernel_status = rc;
  }
  return out;
}

}  // namespace authority::cli
