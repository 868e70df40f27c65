// Ring 3 entry and exit (kernel/user.hpp, arch_user.hpp). One agent runs at a time; the
// kernel calls x86_enter_user(ctx, cr3), which returns the trap code when the agent
// traps: 256 for `syscall`, else the exception vector (traps.S saves the registers and
// arch.cpp sends user-mode exceptions here). The agent's registers, FP/SIMD state
// included, are in *ctx in between.
#define CTX_RIP 120
#define CTX_RSP 128
#define CTX_RFLAGS 136
#define CTX_REGS_END 144
#define CTX_FX 160
#define USER_CS 0x2b
#define USER_SS 0x23
#define TRAP_SYSCALL 256

.section .text, "ax"
.code64

// std::uint64_t x86_enter_user(user_context* ctx, std::uint64_t cr3)
.global x86_enter_user
x86_enter_user:
  push %rbx
  push %rbp
  push %r12
  push %r13
  push %r14
  push %r15
  mov %rsp, x86_kernel_rsp(%rip)
  mov %rdi, x86_user_ctx(%rip)
  lea CTX_REGS_END(%rdi), %rax
  mov %rax, x86_user_ctx_end(%rip)
  fxrstor64 CTX_FX(%rdi)
  mov %rsi, %cr3
  pushq $USER_SS
  pushq CTX_RSP(%rdi)
  pushq CTX_RFLAGS(%rdi)
  pushq $USER_CS
  pushq CTX_RIP(%rdi)
  mov 0(%rdi), %r15
  mov 8(%rdi), %r14
  mov 16(%rdi), %r13
  mov 24(%rdi), %r12
  mov 32(%rdi), %r11
  mov 40(%rdi), %r10
  mov 48(%rdi), %r9
  mov 56(%rdi), %r8
  mov 64(%rdi), %rbp
  mov 80(%rdi), %rsi
  mov 88(%rdi), %rdx
  mov 96(%rdi), %rcx
  mov 104(%rdi), %rbx
  mov 112(%rdi), %rax
  mov 72(%rdi), %rdi
  iretq

// IA32_LSTAR. In: rcx = user rip, r11 = user rflags, rsp = user rsp; RFLAGS masked
// (IF, DF, TF, AC, IOPL, NT clear). The registers go straight into *ctx: rsp is pointed
// at the end of its register block and they are pushed in the struct's order.
.global x86_syscall_entry
x86_syscall_entry:
  mov %rsp, x86_user_rsp(%rip)
  mov x86_user_ctx_end(%rip), %rsp
  push %r11                        // rflags
  pushq x86_user_rsp(%rip)         // rsp
  push %rcx                        // rip
  push %rax
  push %rbx
  push %rcx
  push %rdx
  push %rsi
  push %rdi
  push %rbp
  push %r8
  push %r9
  push %r10
  push %r11
  push %r12
  push %r13
  push %r14
  push %r15
  mov x86_user_ctx(%rip), %rdi
  fxsave64 CTX_FX(%rdi)
  mov $TRAP_SYSCALL, %eax
  jmp leave_user

// Called (never returns) by the exception path once the registers are in *ctx and the
// FP/SIMD state saved (traps.S): rdi = the vector.
.global x86_user_fault_return
x86_user_fault_return:
  mov %rdi, %rax

// rax = the trap code. Back to the kernel: its address space, its stack, a clean FP
// control state (the agent may have changed MXCSR or the x87 control word, which the
// ABI says callers keep), then return from x86_enter_user.
leave_user:
  mov x86_kernel_cr3(%rip), %rdx
  mov %rdx, %cr3
  mov x86_kernel_rsp(%rip), %rsp
  cld
  fninit
  ldmxcsr default_mxcsr(%rip)
  pop %r15
  pop %r14
  pop %r13
  pop %r12
  pop %rbp
  pop %rbx
  ret

.section .rodata, "a"
.balign 4
default_mxcsr:
  .long 0x1f80

.section .bss, "aw", @nobits
.balign 8
.global x86_kernel_rsp, x86_user_ctx, x86_user_ctx_end, x86_user_rsp
x86_kernel_rsp: .skip 8
x86_user_ctx: .skip 8
x86_user_ctx_end: .skip 8
x86_user_rsp: .skip 8
