// aarch64 user mode (kernel/user.hpp): EL0 agents under stage-1 tables of their own
// (arch_user.hpp has the layout), `svc #0` for system calls, every other exception from
// EL0 a fault that ends the agent. The kernel's own level-1 table comes from TTBR0_EL1
// (boot.S built it).
#include <cstdint>

#include "user.hpp"

extern "C" std::uint64_t aarch64_enter_user(kernel::arch::user_context* ctx, std::uint64_t ttbr0);
extern "C" std::uint64_t aarch64_user_far;     // user.S
extern "C" std::uint64_t aarch64_user_vector;  // vector entry index (8-11: from EL0)

namespace kernel::arch {
namespace {

constexpr std::uint64_t window_base = 0x1'0000'0000;  // level-1 entry 4
constexpr std::uint64_t window_end = 0x1'4000'0000;
constexpr std::size_t window_l1_index = 4;

constexpr std::uint64_t desc_valid = 1, desc_table = 3, desc_page = 3;
constexpr std::uint64_t attr_normal = 1 << 2;  // MAIR attr1: normal write-back (boot.S)
constexpr std::uint64_t inner_shareable = 3 << 8;
constexpr std::uint64_t access_flag = 1 << 10;
constexpr std::uint64_t ap_el0_rw = 1 << 6;   // AP[2:1] = 01: EL1 and EL0 read/write
constexpr std::uint64_t ap_el0_ro = 3 << 6;   // AP[2:1] = 11: EL1 and EL0 read-only
constexpr std::uint64_t pxn = std::uint64_t{1} << 53, uxn = std::uint64_t{1} << 54;
constexpr std::uint64_t address_mask = 0x0000'ffff'ffff'f000;

std::uint64_t kernel_l1 = 0;

// Preemption: the EL1 virtual timer (PPI 27) through the GICv2 of QEMU virt; IRQs are
// unmasked at EL0 only (the kernel keeps PSTATE.I set).
constexpr std::uintptr_t gicd = 0x0800'0000, gicc = 0x0801'0000;
constexpr std::uint32_t timer_irq = 27;
volatile std::uint32_t& mmio32(std::uintptr_t a) { return *reinterpret_cast<volatile std::uint32_t*>(a); }
std::uint64_t timer_slice = 0;

void arm_timer() {
  asm volatile("msr cntv_tval_el0, %0; msr cntv_ctl_el0, %1; isb" ::"r"(timer_slice), "r"(std::uint64_t{1}));
}

std::uint64_t* table(std::uint64_t physical) { return reinterpret_cast<std::uint64_t*>(static_cast<std::uintptr_t>(physical)); }

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

std::uint64_t* leaf(const address_space& as, std::uintptr_t va) {
  if (as.l2 == 0) return nullptr;
  const std::uint64_t l2e = table(as.l2)[(va >> 21) & 511];
  if ((l2e & 3) != desc_table) return nullptr;
  return &table(l2e & address_mask)[(va >> 12) & 511];
}

}  // namespace

user_range user_window() noexcept { return {window_base, window_end}; }

authority::result<void> user_init() noexcept {
  std::uint64_t ttbr0;
  asm volatile("mrs %0, ttbr0_el1" : "=r"(ttbr0));
  kernel_l1 = ttbr0 & address_mask;
  // EL0: WFI/WFE trap (nTWI, nTWE clear: an agent cannot park the CPU), no cache
  // maintenance (UCI), no DAIF access (UMA clear).
  std::uint64_t sctlr;
  asm volatile("mrs %0, sctlr_el1" : "=r"(sctlr));
  sctlr &= ~((std::uint64_t{1} << 16) | (std::uint64_t{1} << 18) | (std::uint64_t{1} << 26) | (std::uint64_t{1} << 9));
  asm volatile("msr sctlr_el1, %0; isb" ::"r"(sctlr));
  // EL0 may read the virtual counter (measurements), nothing else of the timer.
  asm volatile("msr cntkctl_el1, %0; isb" ::"r"(std::uint64_t{2}));
  // The GIC: distributor and CPU interface on, the timer's PPI enabled, every priority
  // unmasked; the timer every 10 ms of the virtual counter.
  mmio32(gicd + 0x000) = 1;                                   // GICD_CTLR
  mmio32(gicd + 0x100) = 1u << timer_irq;                     // GICD_ISENABLER0
  *reinterpret_cast<volatile std::uint8_t*>(gicd + 0x400 + timer_irq) = 0x80;  // GICD_IPRIORITYR
  mmio32(gicc + 0x004) = 0xff;                                // GICC_PMR
  mmio32(gicc + 0x000) = 1;                                   // GICC_CTLR
  std::uint64_t hz;
  asm volatile("mrs %0, cntfrq_el0" : "=r"(hz));
  timer_slice = hz / 100;
  arm_timer();
  return authority::success();
}

authority::result<void> address_space_create(address_space& as, page_frame_allocator& frames) noexcept {
  as = address_space{};
  auto l1 = zeroed_frame(frames);
  if (!l1) return l1.error();
  as.l1 = *l1;
  auto l2 = zeroed_frame(frames);
  if (!l2) {
    address_space_destroy(as, frames);
    return l2.error();
  }
  as.l2 = *l2;
  auto* t = table(as.l1);
  // The kernel's blocks, EL1-only by their AP bits; UXN so EL0 cannot run kernel code.
  for (std::size_t i = 0; i < 4; ++i) t[i] = table(kernel_l1)[i] | uxn;
  t[window_l1_index] = as.l2 | desc_table;
  return authority::success();
}

authority::result<void> map_user_page(address_space& as, page_frame_allocator& frames, std::uintptr_t va,
                                      std::uint64_t frame, page_access access) noexcept {
  if (va < window_base || va >= window_end || va % page_size != 0 || frame % page_size != 0 || frame >= 0x1'0000'0000)
    return authority::make_error(authority::errc::bad_address, "user.map");
  if (has(access, page_access::write) && has(access, page_access::execute))
    return authority::make_error(authority::errc::invalid_argument, "user.map.w^x");
  auto& l2e = table(as.l2)[(va >> 21) & 511];
  if ((l2e & 3) != desc_table) l2e = AUTHORITY_TRY(zeroed_frame(frames)) | desc_table;
  auto& pte = table(l2e & address_mask)[(va >> 12) & 511];
  if (pte & desc_valid) return authority::make_error(authority::errc::invalid_argument, "user.map.mapped");
  pte = frame | desc_page | attr_normal | inner_shareable | access_flag | pxn |
        (has(access, page_access::write) ? ap_el0_rw : ap_el0_ro) | (has(access, page_access::execute) ? 0 : uxn);
  return authority::success();
}

authority::result<std::uint64_t> translate(const address_space& as, std::uintptr_t va, page_access access) noexcept {
  if (va < window_base || va >= window_end) return authority::make_error(authority::errc::bad_address, "user.pointer");
  const std::uint64_t* e = leaf(as, va);
  if (e == nullptr || (*e & 3) != desc_page || (*e & (std::uint64_t{1} << 6)) == 0 ||  // AP[1]: EL0 access
      (has(access, page_access::write) && (*e & (std::uint64_t{1} << 7)) != 0) ||    // AP[2]: read-only
      (has(access, page_access::execute) && (*e & uxn) != 0))
    return authority::make_error(authority::errc::bad_address, "user.pointer");
  return (*e & address_mask) | (va & (page_size - 1));
}

void address_space_destroy(address_space& as, page_frame_allocator& frames) noexcept {
  if (as.l2 != 0) {
    auto* l2 = table(as.l2);
    for (std::size_t i = 0; i < 512; ++i) {
      if ((l2[i] & 3) != desc_table) continue;
      auto* l3 = table(l2[i] & address_mask);
      for (std::size_t j = 0; j < 512; ++j)
        if (l3[j] & desc_valid) (void)frames.free(l3[j] & address_mask);
      (void)frames.free(l2[i] & address_mask);
    }
    (void)frames.free(as.l2);
  }
  if (as.l1 != 0) (void)frames.free(as.l1);
  as = address_space{};
}

user_trap enter_user(address_space& as, user_context& ctx) noexcept {
  // Only NZCV is the agent's; EL0t with D, A, F masked and IRQs (the timer) unmasked.
  ctx.pstate = (ctx.pstate & 0xf000'0000) | 0x340;
  const std::uint64_t esr = aarch64_enter_user(&ctx, as.l1);
  const std::uint64_t ec = (esr >> 26) & 0x3f;
  user_trap t;
  t.pc = ctx.elr;
  t.code = (aarch64_user_vector << 32) | (esr & 0xffff'ffff);
  t.kind = trap_kind::fault;
  if (aarch64_user_vector == 9) {  // IRQ from EL0: acknowledge; the timer is re-armed
    const std::uint32_t id = mmio32(gicc + 0x00c);  // GICC_IAR
    if ((id & 0x3ff) < 1020) mmio32(gicc + 0x010) = id;  // GICC_EOIR
    if ((id & 0x3ff) == timer_irq) arm_timer();
    t.kind = trap_kind::interrupt;
    return t;
  }
  if (aarch64_user_vector != 8) return t;  // FIQ, SError from EL0: other
  switch (ec) {
    case 0x15: t.kind = trap_kind::syscall; break;  // SVC: ELR already points after it
    case 0x24:                                      // data abort from EL0
      t.cause = fault_cause::page_fault, t.address = aarch64_user_far;
      t.access = (esr >> 6) & 1 ? page_access::write : page_access::read;
      break;
    case 0x20:  // instruction abort from EL0
      t.cause = fault_cause::page_fault, t.address = aarch64_user_far, t.access = page_access::execute;
      break;
    case 0x00: t.cause = fault_cause::illegal_instruction; break;  // undefined, incl. EL1-only system registers
    case 0x01:                                                     // WFI/WFE trapped
    case 0x18: t.cause = fault_cause::privileged; break;           // MSR/MRS/system instruction trapped
    case 0x28:
    case 0x2c: t.cause = fault_cause::arithmetic; break;
    default: t.cause = fault_cause::other; break;  // BRK, alignment, illegal state, ...
  }
  return t;
}

}  // namespace kernel::arch
