// riscv64 user mode (kernel/user.hpp): U-mode agents under Sv39 (arch_user.hpp has the
// layout), `ecall` for system calls, every other trap from U-mode a fault that ends the
// agent. The kernel's own tables come from satp (boot.S built them).
#include <cstdint>

#include "arch.hpp"
#include "user.hpp"

extern "C" std::uint64_t riscv_enter_user(kernel::arch::user_context* ctx, std::uint64_t satp);
extern "C" std::uint64_t riscv_user_stval;  // user.S

namespace kernel::arch {
namespace {

constexpr std::uint64_t window_base = 0x1'0000'0000;  // root entry 4
constexpr std::uint64_t window_end = 0x1'4000'0000;
constexpr std::size_t window_root_index = 4;

constexpr std::uint64_t pte_v = 1, pte_r = 2, pte_w = 4, pte_x = 8, pte_u = 16, pte_a = 64, pte_d = 128;
constexpr std::uint64_t satp_sv39 = std::uint64_t{8} << 60;

std::uint64_t kernel_root = 0;

std::uint64_t* table(std::uint64_t physical) { return reinterpret_cast<std::uint64_t*>(static_cast<std::uintptr_t>(physical)); }
constexpr std::uint64_t pte_to_address(std::uint64_t pte) { return ((pte >> 10) & 0xfff'ffff'ffff) << 12; }
constexpr std::uint64_t address_to_pte(std::uint64_t address) { return (address >> 12) << 10; }

authority::result<std::uint64_t> zeroed_frame(page_frame_allocator& frames) {
  const std::uint64_t f = AUTHORITY_TRY(frames.allocate());
  if (f >= 0x1'0000'0000) {  // the kernel reaches frames only through its identity map of [0, 4 GiB)
    (void)frames.free(f);
    return authority::make_error(authority::errc::capacity_exceeded, "user.frame");
  }
  auto* t = table(f);
  for (std::size_t i = 0; i < 512; ++i) t[i] = 0;
  return f;
}

// The next preemption tick, 10 ms of the time counter from now (SBI TIME set_timer;
// it also clears the pending timer interrupt).
void arm_timer() {
  std::uint64_t now;
  asm volatile("rdtime %0" : "=r"(now));
  const std::uint64_t slice = counter_hz() / 100;
  register std::uint64_t a0 asm("a0") = now + (slice ? slice : 100'000);
  register std::uint64_t a6 asm("a6") = 0;
  register std::uint64_t a7 asm("a7") = 0x5449'4d45;  // "TIME"
  asm volatile("ecall" : "+r"(a0) : "r"(a6), "r"(a7) : "a1", "memory");
}

// The level-0 entry for va, or nullptr when its table does not exist.
std::uint64_t* leaf(const address_space& as, std::uintptr_t va) {
  if (as.l1 == 0) return nullptr;
  const std::uint64_t l1e = table(as.l1)[(va >> 21) & 511];
  if ((l1e & pte_v) == 0) return nullptr;
  return &table(pte_to_address(l1e))[(va >> 12) & 511];
}

}  // namespace

user_range user_window() noexcept { return {window_base, window_end}; }

authority::result<void> user_init() noexcept {
  std::uint64_t satp;
  asm volatile("csrr %0, satp" : "=r"(satp));
  kernel_root = (satp & 0xfff'ffff'ffff) << 12;
  asm volatile("csrw sscratch, zero");
  // U-mode may read the cycle, time and instret counters (measurements): scounteren.
  asm volatile("csrw scounteren, %0" ::"r"(std::uint64_t{7}));
  // Preemption: the supervisor timer interrupt (sie.STIE). S-mode keeps sstatus.SIE
  // clear, so it only ever traps from U-mode; the SBI arms it every slice.
  arm_timer();
  asm volatile("csrs sie, %0" ::"r"(std::uint64_t{1} << 5));
  return authority::success();
}

authority::result<void> address_space_create(address_space& as, page_frame_allocator& frames) noexcept {
  as = address_space{};
  auto root = zeroed_frame(frames);
  if (!root) return root.error();
  as.root = *root;
  auto l1 = zeroed_frame(frames);
  if (!l1) {
    address_space_destroy(as, frames);
    return l1.error();
  }
  as.l1 = *l1;
  auto* r = table(as.root);
  for (std::size_t i = 0; i < 4; ++i) r[i] = table(kernel_root)[i];  // supervisor-only gigapages
  r[window_root_index] = address_to_pte(as.l1) | pte_v;                // a pointer: no R/W/X/U
  return authority::success();
}

authority::result<void> map_user_page(address_space& as, page_frame_allocator& frames, std::uintptr_t va,
                                      std::uint64_t frame, page_access access) noexcept {
  if (va < window_base || va >= window_end || va % page_size != 0 || frame % page_size != 0 || frame >= 0x1'0000'0000)
    return authority::make_error(authority::errc::bad_address, "user.map");
  if (has(access, page_access::write) && has(access, page_access::execute))
    return authority::make_error(authority::errc::invalid_argument, "user.map.w^x");
  auto& l1e = table(as.l1)[(va >> 21) & 511];
  if ((l1e & pte_v) == 0) l1e = address_to_pte(AUTHORITY_TRY(zeroed_frame(frames))) | pte_v;
  auto& pte = table(pte_to_address(l1e))[(va >> 12) & 511];
  if (pte & pte_v) return authority::make_error(authority::errc::invalid_argument, "user.map.mapped");
  pte = address_to_pte(frame) | pte_v | pte_u | pte_r | pte_a | pte_d | (has(access, page_access::write) ? pte_w : 0) |
        (has(access, page_access::execute) ? pte_x : 0);
  return authority::success();
}

authority::result<std::uint64_t> translate(const address_space& as, std::uintptr_t va, page_access access) noexcept {
  if (va < window_base || va >= window_end) return authority::make_error(authority::errc::bad_address, "user.pointer");
  const std::uint64_t* e = leaf(as, va);
  if (e == nullptr || (*e & (pte_v | pte_u | pte_r)) != (pte_v | pte_u | pte_r) ||
      (has(access, page_access::write) && (*e & pte_w) == 0) || (has(access, page_access::execute) && (*e & pte_x) == 0))
    return authority::make_error(authority::errc::bad_address, "user.pointer");
  return pte_to_address(*e) | (va & (page_size - 1));
}

void address_space_destroy(address_space& as, page_frame_allocator& frames) noexcept {
  if (as.l1 != 0) {
    auto* l1 = table(as.l1);
    for (std::size_t i = 0; i < 512; ++i) {
      if ((l1[i] & pte_v) == 0) continue;
      auto* l0 = table(pte_to_address(l1[i]));
      for (std::size_t j = 0; j < 512; ++j)
        if (l0[j] & pte_v) (void)frames.free(pte_to_address(l0[j]));
      (void)frames.free(pte_to_address(l1[i]));
    }
    (void)frames.free(as.l1);
  }
  if (as.root != 0) (void)frames.free(as.root);
  as = address_space{};
}

user_trap enter_user(address_space& as, user_context& ctx) noexcept {
  const std::uint64_t scause = riscv_enter_user(&ctx, satp_sv39 | (as.root >> 12));
  asm volatile("sfence.vma" ::: "memory");
  user_trap t;
  t.pc = ctx.x[0];
  t.code = scause;
  if (scause == ((std::uint64_t{1} << 63) | 5)) {  // supervisor timer interrupt
    arm_timer();
    t.kind = trap_kind::interrupt;
    return t;
  }
  if (scause == 8) {  // environment call from U-mode: resume after the ecall
    ctx.x[0] += 4;
    t.kind = trap_kind::syscall;
    return t;
  }
  t.kind = trap_kind::fault;
  switch (scause) {
    case 12:  // instruction page fault
    case 1:   // instruction access fault
      t.cause = fault_cause::page_fault, t.access = page_access::execute, t.address = riscv_user_stval;
      break;
    case 13:  // load page fault
    case 5:
      t.cause = fault_cause::page_fault, t.access = page_access::read, t.address = riscv_user_stval;
      break;
    case 15:  // store page fault
    case 7:
      t.cause = fault_cause::page_fault, t.access = page_access::write, t.address = riscv_user_stval;
      break;
    // Illegal instruction: undefined opcodes and privileged ones (CSR, wfi, sret) alike —
    // the hart does not tell them apart.
    case 2: t.cause = fault_cause::illegal_instruction; break;
    default: t.cause = fault_cause::other; break;  // breakpoint, misaligned, interrupts
  }
  return t;
}

}  // namespace kernel::arch
