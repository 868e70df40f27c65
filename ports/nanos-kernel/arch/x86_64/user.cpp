// x86_64 user mode (kernel/user.hpp): GDT with ring-3 segments and a TSS, `syscall` via
// the STAR/LSTAR/FMASK MSRs, NX for W^X, SMEP/SMAP when the CPU has them, and agent page
// tables (arch_user.hpp has the layout).
#include <cstdint>

#include "user.hpp"

extern "C" char pml4[];              // boot.S: the kernel's tables
extern "C" char page_directories[];  // four 4 KiB page directories: [0, 4 GiB) in 2 MiB pages
extern "C" std::uint64_t x86_enter_user(kernel::arch::user_context* ctx, std::uint64_t cr3);
extern "C" [[noreturn]] void x86_user_fault_return(std::uint64_t vector);
extern "C" void x86_syscall_entry();
extern "C" kernel::arch::user_context* x86_user_ctx;  // user.S
extern "C" {
std::uint64_t x86_kernel_cr3 = 0;  // read by user.S
}

namespace kernel::arch {
namespace {

constexpr std::uint64_t window_base = 0x4000'0000;  // PDPT[1]
constexpr std::uint64_t window_end = 0x8000'0000;
constexpr std::uint64_t trap_syscall = 256;

constexpr std::uint64_t pte_present = 1, pte_write = 2, pte_user = 4, pte_nx = std::uint64_t{1} << 63;
constexpr std::uint64_t pte_address = 0x000f'ffff'ffff'f000;

// Selectors. STAR wants: kernel CS, CS + 8 = kernel SS; user base + 16 = 64-bit user CS,
// base + 8 = user SS (so 0x18 is an unused 32-bit user code slot).
constexpr std::uint16_t kernel_cs = 0x08, kernel_ds = 0x10, user_base = 0x18, tss_selector = 0x30;

struct [[gnu::packed]] tss64 {
  std::uint32_t reserved0;
  std::uint64_t rsp0, rsp1, rsp2;
  std::uint64_t reserved1;
  std::uint64_t ist[7];
  std::uint64_t reserved2;
  std::uint16_t reserved3;
  std::uint16_t iomap_base;  // = sizeof(tss64): there is no I/O permission bitmap
};
static_assert(sizeof(tss64) == 104);

struct [[gnu::packed]] gdt_pointer {
  std::uint16_t limit;
  std::uint64_t base;
};

alignas(16) std::uint64_t gdt[8];
alignas(16) tss64 tss;
// Where the CPU switches on a trap from ring 3 (TSS.RSP0): never the kernel's own stack,
// which holds the frames of the enter_user() caller.
alignas(16) std::uint8_t trap_stack[16384];

// The local APIC (identity-mapped, uncached) and its timer: periodic, vector 32, only
// ever taken in ring 3 (the kernel runs with IF clear). The legacy PIC is masked.
constexpr std::uint8_t timer_vector = 32;
constexpr std::uintptr_t lapic_base = 0xfee0'0000;
constexpr std::uintptr_t lapic_eoi = 0xb0, lapic_svr = 0xf0, lapic_lvt_timer = 0x320, lapic_timer_initial = 0x380,
                         lapic_timer_divide = 0x3e0;
volatile std::uint32_t& lapic(std::uintptr_t reg) { return *reinterpret_cast<volatile std::uint32_t*>(lapic_base + reg); }

// Fault details of the last user trap (x86_user_trap → enter_user).
std::uint64_t fault_error = 0, fault_cr2 = 0;

void wrmsr(std::uint32_t msr, std::uint64_t v) {
  asm volatile("wrmsr" ::"c"(msr), "a"(static_cast<std::uint32_t>(v)), "d"(static_cast<std::uint32_t>(v >> 32)));
}
std::uint64_t rdmsr(std::uint32_t msr) {
  std::uint32_t lo, hi;
  asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return (std::uint64_t{hi} << 32) | lo;
}

std::uint64_t* table(std::uint64_t physical) { return reinterpret_cast<std::uint64_t*>(static_cast<std::uintptr_t>(physical)); }

authority::result<std::uint64_t> zeroed_frame(page_frame_allocator& frames) {
  const std::uint64_t f = AUTHORITY_TRY(frames.allocate());
  if (f >= window_base) {  // the kernel reaches frames only through its identity map below 1 GiB
    (void)frames.free(f);
    return authority::make_error(authority::errc::capacity_exceeded, "user.frame");
  }
  auto* t = table(f);
  for (std::size_t i = 0; i < 512; ++i) t[i] = 0;
  return f;
}

}  // namespace

user_range user_window() noexcept { return {window_base, window_end}; }

authority::result<void> user_init() noexcept {
  gdt[0] = 0;
  gdt[1] = 0x00af9a000000ffff;  // 0x08 kernel code, 64-bit
  gdt[2] = 0x00cf92000000ffff;  // 0x10 kernel data
  gdt[3] = 0x00cffa000000ffff;  // 0x18 user code, 32-bit (unused; STAR's layout)
  gdt[4] = 0x00cff2000000ffff;  // 0x20 user data (DPL 3)
  gdt[5] = 0x00affa000000ffff;  // 0x28 user code, 64-bit (DPL 3)
  tss.rsp0 = reinterpret_cast<std::uint64_t>(trap_stack + sizeof trap_stack);
  tss.iomap_base = sizeof(tss64);
  const auto base = reinterpret_cast<std::uint64_t>(&tss);
  constexpr std::uint64_t limit = sizeof(tss64) - 1;
  gdt[6] = (limit & 0xffff) | ((base & 0xff'ffff) << 16) | (std::uint64_t{0x89} << 40) | (((limit >> 16) & 0xf) << 48) |
           (((base >> 24) & 0xff) << 56);  // 0x30: available 64-bit TSS, DPL 0
  gdt[7] = base >> 32;
  const gdt_pointer p{sizeof gdt - 1, reinterpret_cast<std::uint64_t>(&gdt)};
  asm volatile(
      "lgdt %0\n"
      "pushq %1\n"
      "leaq 1f(%%rip), %%rax\n"
      "pushq %%rax\n"
      "lretq\n"
      "1: mov %2, %%ds\n"
      "mov %2, %%es\n"
      "mov %2, %%ss\n"
      "ltr %3\n" ::"m"(p),
      "i"(kernel_cs), "r"(static_cast<std::uint32_t>(kernel_ds)), "r"(tss_selector)
      : "rax", "memory");

  // Supervisor-mode execution and access prevention when present (CPUID.7.0:EBX 7, 20);
  // CR0.WP so read-only pages bind the kernel too.
  std::uint32_t a = 7, b = 0, c = 0, d = 0;
  asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
  std::uint64_t cr4;
  asm volatile("mov %%cr4, %0" : "=r"(cr4));
  if (b & (1u << 7)) cr4 |= std::uint64_t{1} << 20;  // SMEP
  if (b & (1u << 20)) cr4 |= std::uint64_t{1} << 21;  // SMAP (the kernel copies through the identity map)
  cr4 &= ~(std::uint64_t{1} << 2);                    // TSD clear: rdtsc allowed in ring 3 (measurements)
  asm volatile("mov %0, %%cr4" ::"r"(cr4));
  std::uint64_t cr0;
  asm volatile("mov %%cr0, %0" : "=r"(cr0));
  asm volatile("mov %0, %%cr0" ::"r"(cr0 | (std::uint64_t{1} << 16)));

  constexpr std::uint32_t efer = 0xc000'0080, star = 0xc000'0081, lstar = 0xc000'0082, fmask = 0xc000'0084;
  wrmsr(efer, rdmsr(efer) | 1 | (1u << 11));  // SCE (syscall), NXE
  wrmsr(star, (std::uint64_t{user_base} << 48) | (std::uint64_t{kernel_cs} << 32));
  wrmsr(lstar, reinterpret_cast<std::uint64_t>(&x86_syscall_entry));
  wrmsr(fmask, 0x4'7700);  // TF, IF, DF, IOPL, NT, AC cleared on entry
  asm volatile("mov %%cr3, %0" : "=r"(x86_kernel_cr3));

  // Preemption: legacy PIC masked; the local APIC enabled (IA32_APIC_BASE, SVR with the
  // spurious vector 0xff) and its timer periodic on vector 32, divide by 16. Under QEMU
  // the APIC timer counts at 1 GHz: 625,000 / 62.5 MHz = every 10 ms of user time.
  asm volatile("outb %0, $0x21; outb %0, $0xa1" ::"a"(std::uint8_t{0xff}));
  constexpr std::uint32_t apic_base_msr = 0x1b;
  const std::uint64_t apic = rdmsr(apic_base_msr);
  if ((apic & ~std::uint64_t{0xfff}) != lapic_base) return authority::make_error(authority::errc::not_supported, "lapic.base");
  wrmsr(apic_base_msr, apic | (1u << 11));
  lapic(lapic_svr) = 0x1ff;
  lapic(lapic_timer_divide) = 0x3;
  lapic(lapic_lvt_timer) = timer_vector | (1u << 17);
  lapic(lapic_timer_initial) = 625'000;
  return authority::success();
}

authority::result<void> address_space_create(address_space& as, page_frame_allocator& frames) noexcept {
  as = address_space{};
  auto release = [&] { address_space_destroy(as, frames); };
  auto pml4_frame = zeroed_frame(frames);
  if (!pml4_frame) return pml4_frame.error();
  as.pml4 = *pml4_frame;
  auto pdpt_frame = zeroed_frame(frames);
  if (!pdpt_frame) {
    release();
    return pdpt_frame.error();
  }
  as.pdpt = *pdpt_frame;
  auto pd_frame = zeroed_frame(frames);
  if (!pd_frame) {
    release();
    return pd_frame.error();
  }
  as.pd = *pd_frame;
  const auto kernel_pd = reinterpret_cast<std::uint64_t>(page_directories);
  table(as.pml4)[0] = as.pdpt | pte_present | pte_write | pte_user;
  auto* pdpt = table(as.pdpt);
  pdpt[0] = (kernel_pd + 0 * 4096) | pte_present | pte_write;  // supervisor-only: U clear
  pdpt[1] = as.pd | pte_present | pte_write | pte_user;
  pdpt[2] = (kernel_pd + 2 * 4096) | pte_present | pte_write;
  pdpt[3] = (kernel_pd + 3 * 4096) | pte_present | pte_write;
  return authority::success();
}

authority::result<void> map_user_page(address_space& as, page_frame_allocator& frames, std::uintptr_t va,
                                      std::uint64_t frame, page_access access) noexcept {
  if (va < window_base || va >= window_end || va % page_size != 0 || frame % page_size != 0 || frame >= window_base)
    return authority::make_error(authority::errc::bad_address, "user.map");
  if (has(access, page_access::write) && has(access, page_access::execute))
    return authority::make_error(authority::errc::invalid_argument, "user.map.w^x");
  auto* pd = table(as.pd);
  const std::size_t pd_index = (va - window_base) >> 21;
  if ((pd[pd_index] & pte_present) == 0) {
    const std::uint64_t pt = AUTHORITY_TRY(zeroed_frame(frames));
    pd[pd_index] = pt | pte_present | pte_write | pte_user;
  }
  auto* pt = table(pd[pd_index] & pte_address);
  const std::size_t pt_index = (va >> 12) & 511;
  if (pt[pt_index] & pte_present) return authority::make_error(authority::errc::invalid_argument, "user.map.mapped");
  pt[pt_index] = frame | pte_present | pte_user | (has(access, page_access::write) ? pte_write : 0) |
                 (has(access, page_access::execute) ? 0 : pte_nx);
  return authority::success();
}

authority::result<std::uint64_t> translate(const address_space& as, std::uintptr_t va, page_access access) noexcept {
  if (va < window_base || va >= window_end || as.pd == 0) return authority::make_error(authority::errc::bad_address, "user.pointer");
  const std::uint64_t pde = table(as.pd)[(va - window_base) >> 21];
  if ((pde & (pte_present | pte_user)) != (pte_present | pte_user))
    return authority::make_error(authority::errc::bad_address, "user.pointer");
  const std::uint64_t pte = table(pde & pte_address)[(va >> 12) & 511];
  if ((pte & (pte_present | pte_user)) != (pte_present | pte_user) ||
      (has(access, page_access::write) && (pte & pte_write) == 0) ||
      (has(access, page_access::execute) && (pte & pte_nx) != 0))
    return authority::make_error(authority::errc::bad_address, "user.pointer");
  return (pte & pte_address) | (va & (page_size - 1));
}

void address_space_destroy(address_space& as, page_frame_allocator& frames) noexcept {
  if (as.pd != 0) {
    auto* pd = table(as.pd);
    for (std::size_t i = 0; i < 512; ++i) {
      if ((pd[i] & pte_present) == 0) continue;
      auto* pt = table(pd[i] & pte_address);
      for (std::size_t j = 0; j < 512; ++j)
        if (pt[j] & pte_present) (void)frames.free(pt[j] & pte_address);
      (void)frames.free(pd[i] & pte_address);
    }
    (void)frames.free(as.pd);
  }
  if (as.pdpt != 0) (void)frames.free(as.pdpt);
  if (as.pml4 != 0) (void)frames.free(as.pml4);
  as = address_space{};
}

user_trap enter_user(address_space& as, user_context& ctx) noexcept {
  // Only the flags an agent may own go back: CF PF AF ZF SF TF DF OF and AC; IF set
  // (the timer preempts), IOPL 0, NT/RF/VM/ID clear.
  ctx.rflags = (ctx.rflags & (0x0dd5 | 0x4'0000)) | 0x202;
  const std::uint64_t code = x86_enter_user(&ctx, as.pml4);
  user_trap t;
  t.pc = ctx.rip;
  if (code == trap_syscall) {
    t.kind = trap_kind::syscall;
    return t;
  }
  if (code == timer_vector) {
    lapic(lapic_eoi) = 0;
    t.kind = trap_kind::interrupt;
    return t;
  }
  t.kind = trap_kind::fault;
  t.code = (code << 32) | (fault_error & 0xffff'ffff);
  switch (code) {
    case 14:
      t.cause = fault_cause::page_fault;
      t.address = fault_cr2;
      t.access = (fault_error & 16) ? page_access::execute : (fault_error & 2) ? page_access::write : page_access::read;
      break;
    case 13: t.cause = fault_cause::privileged; break;  // hlt, cli, mov cr3, in/out at IOPL 0, ...
    case 6: t.cause = fault_cause::illegal_instruction; break;
    case 0:
    case 16:
    case 19: t.cause = fault_cause::arithmetic; break;
    default: t.cause = fault_cause::other; break;
  }
  return t;
}

[[noreturn]] void x86_user_trap(const x86_trap_frame& f, std::uint64_t cr2) noexcept {
  user_context& c = *x86_user_ctx;
  c.r15 = f.r15, c.r14 = f.r14, c.r13 = f.r13, c.r12 = f.r12, c.r11 = f.r11, c.r10 = f.r10, c.r9 = f.r9, c.r8 = f.r8;
  c.rbp = f.rbp, c.rdi = f.rdi, c.rsi = f.rsi, c.rdx = f.rdx, c.rcx = f.rcx, c.rbx = f.rbx, c.rax = f.rax;
  c.rip = f.rip, c.rsp = f.rsp, c.rflags = f.rflags;
  fault_error = f.error_code;
  fault_cr2 = cr2;
  x86_user_fault_return(f.vector);
}

}  // namespace kernel::arch
