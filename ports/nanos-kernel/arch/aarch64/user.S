// EL0 entry and exit (kernel/user.hpp, arch_user.hpp). One agent runs at a time:
// aarch64_enter_user(ctx, ttbr0) returns ESR_EL1 when the agent traps. vectors.S sends
// exceptions from EL0 (vector entries 8-11) to aarch64_user_trap with x0 and x1 saved at
// [sp] and x1 = the vector index.
#define CTX_SP 248
#define CTX_ELR 256
#define CTX_PSTATE 264
#define CTX_Q 272
#define CTX_FPCR 784
#define CTX_FPSR 792

.section .text, "ax"
.balign 4

// std::uint64_t aarch64_enter_user(user_context* ctx, std::uint64_t ttbr0)
.global aarch64_enter_user
aarch64_enter_user:
  adrp x9, kernel_save
  add x9, x9, :lo12:kernel_save
  stp x19, x20, [x9, #0]
  stp x21, x22, [x9, #16]
  stp x23, x24, [x9, #32]
  stp x25, x26, [x9, #48]
  stp x27, x28, [x9, #64]
  stp x29, x30, [x9, #80]
  mov x10, sp
  mrs x11, ttbr0_el1
  stp x10, x11, [x9, #96]
  adrp x10, aarch64_user_ctx
  str x0, [x10, :lo12:aarch64_user_ctx]
  dsb ish
  msr ttbr0_el1, x1
  tlbi vmalle1
  dsb ish
  isb
  ldr x2, [x0, #CTX_SP]
  msr sp_el0, x2
  ldr x2, [x0, #CTX_ELR]
  msr elr_el1, x2
  ldr x2, [x0, #CTX_PSTATE]
  msr spsr_el1, x2
  ldp q0, q1, [x0, #272]
  ldp q2, q3, [x0, #304]
  ldp q4, q5, [x0, #336]
  ldp q6, q7, [x0, #368]
  ldp q8, q9, [x0, #400]
  ldp q10, q11, [x0, #432]
  ldp q12, q13, [x0, #464]
  ldp q14, q15, [x0, #496]
  ldp q16, q17, [x0, #528]
  ldp q18, q19, [x0, #560]
  ldp q20, q21, [x0, #592]
  ldp q22, q23, [x0, #624]
  ldp q24, q25, [x0, #656]
  ldp q26, q27, [x0, #688]
  ldp q28, q29, [x0, #720]
  ldp q30, q31, [x0, #752]
  ldr x2, [x0, #CTX_FPCR]
  msr fpcr, x2
  ldr x2, [x0, #CTX_FPSR]
  msr fpsr, x2
  ldp x2, x3, [x0, #16]
  ldp x4, x5, [x0, #32]
  ldp x6, x7, [x0, #48]
  ldp x8, x9, [x0, #64]
  ldp x10, x11, [x0, #80]
  ldp x12, x13, [x0, #96]
  ldp x14, x15, [x0, #112]
  ldp x16, x17, [x0, #128]
  ldp x18, x19, [x0, #144]
  ldp x20, x21, [x0, #160]
  ldp x22, x23, [x0, #176]
  ldp x24, x25, [x0, #192]
  ldp x26, x27, [x0, #208]
  ldp x28, x29, [x0, #224]
  ldr x30, [x0, #240]
  ldp x0, x1, [x0, #0]
  eret

.global aarch64_user_trap
aarch64_user_trap:
  adrp x0, aarch64_user_ctx
  ldr x0, [x0, :lo12:aarch64_user_ctx]
  stp x2, x3, [x0, #16]
  stp x4, x5, [x0, #32]
  stp x6, x7, [x0, #48]
  stp x8, x9, [x0, #64]
  stp x10, x11, [x0, #80]
  stp x12, x13, [x0, #96]
  stp x14, x15, [x0, #112]
  stp x16, x17, [x0, #128]
  stp x18, x19, [x0, #144]
  stp x20, x21, [x0, #160]
  stp x22, x23, [x0, #176]
  stp x24, x25, [x0, #192]
  stp x26, x27, [x0, #208]
  stp x28, x29, [x0, #224]
  str x30, [x0, #240]
  ldp x2, x3, [sp, #0]             // the agent's x0 and x1 (vectors.S)
  stp x2, x3, [x0, #0]
  mrs x2, sp_el0
  str x2, [x0, #CTX_SP]
  mrs x2, elr_el1
  str x2, [x0, #CTX_ELR]
  mrs x2, spsr_el1
  str x2, [x0, #CTX_PSTATE]
  stp q0, q1, [x0, #272]
  stp q2, q3, [x0, #304]
  stp q4, q5, [x0, #336]
  stp q6, q7, [x0, #368]
  stp q8, q9, [x0, #400]
  stp q10, q11, [x0, #432]
  stp q12, q13, [x0, #464]
  stp q14, q15, [x0, #496]
  stp q16, q17, [x0, #528]
  stp q18, q19, [x0, #560]
  stp q20, q21, [x0, #592]
  stp q22, q23, [x0, #624]
  stp q24, q25, [x0, #656]
  stp q26, q27, [x0, #688]
  stp q28, q29, [x0, #720]
  stp q30, q31, [x0, #752]
  mrs x2, fpcr
  str x2, [x0, #CTX_FPCR]
  mrs x2, fpsr
  str x2, [x0, #CTX_FPSR]
  msr fpcr, xzr                    // the kernel's FP control state
  adrp x2, aarch64_user_far
  mrs x3, far_el1
  str x3, [x2, :lo12:aarch64_user_far]
  adrp x2, aarch64_user_vector
  str x1, [x2, :lo12:aarch64_user_vector]
  mrs x0, esr_el1
  adrp x9, kernel_save
  add x9, x9, :lo12:kernel_save
  ldp x10, x11, [x9, #96]
  mov sp, x10
  dsb ish
  msr ttbr0_el1, x11
  tlbi vmalle1
  dsb ish
  isb
  ldp x19, x20, [x9, #0]
  ldp x21, x22, [x9, #16]
  ldp x23, x24, [x9, #32]
  ldp x25, x26, [x9, #48]
  ldp x27, x28, [x9, #64]
  ldp x29, x30, [x9, #80]
  ret

.section .bss, "aw", @nobits
.balign 16
kernel_save: .skip 112
.global aarch64_user_ctx, aarch64_user_far, aarch64_user_vector
aarch64_user_ctx: .skip 8
aarch64_user_far: .skip 8
aarch64_user_vector: .skip 8
