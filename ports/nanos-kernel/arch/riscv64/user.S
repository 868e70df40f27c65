// U-mode entry and exit (kernel/user.hpp, arch_user.hpp). One agent runs at a time:
// riscv_enter_user(ctx, satp) returns scause when the agent traps. While the agent runs,
// sscratch holds ctx; in S-mode it is 0 — trap.S looks at it to tell the two apart and
// comes to riscv_user_trap with sp = ctx and sscratch = the agent's sp.
#define CTX_F 256
#define CTX_FCSR 512

.section .text, "ax"
.balign 4

// std::uint64_t riscv_enter_user(user_context* ctx, std::uint64_t satp)
.global riscv_enter_user
riscv_enter_user:
  la t0, kernel_save
  sd ra, 0(t0)
  sd sp, 8(t0)
  sd gp, 16(t0)
  sd tp, 24(t0)
  sd s0, 32(t0)
  sd s1, 40(t0)
  sd s2, 48(t0)
  sd s3, 56(t0)
  sd s4, 64(t0)
  sd s5, 72(t0)
  sd s6, 80(t0)
  sd s7, 88(t0)
  sd s8, 96(t0)
  sd s9, 104(t0)
  sd s10, 112(t0)
  sd s11, 120(t0)
  csrr t1, satp
  sd t1, 128(t0)
  csrw sscratch, a0
  fld f0, 256(a0)
  fld f1, 264(a0)
  fld f2, 272(a0)
  fld f3, 280(a0)
  fld f4, 288(a0)
  fld f5, 296(a0)
  fld f6, 304(a0)
  fld f7, 312(a0)
  fld f8, 320(a0)
  fld f9, 328(a0)
  fld f10, 336(a0)
  fld f11, 344(a0)
  fld f12, 352(a0)
  fld f13, 360(a0)
  fld f14, 368(a0)
  fld f15, 376(a0)
  fld f16, 384(a0)
  fld f17, 392(a0)
  fld f18, 400(a0)
  fld f19, 408(a0)
  fld f20, 416(a0)
  fld f21, 424(a0)
  fld f22, 432(a0)
  fld f23, 440(a0)
  fld f24, 448(a0)
  fld f25, 456(a0)
  fld f26, 464(a0)
  fld f27, 472(a0)
  fld f28, 480(a0)
  fld f29, 488(a0)
  fld f30, 496(a0)
  fld f31, 504(a0)
  ld t1, CTX_FCSR(a0)
  fscsr t1
  ld t1, 0(a0)
  csrw sepc, t1
  li t1, (1 << 8) | (1 << 5)       // SPP = 0: sret goes to U-mode; SPIE = 0 (S-mode's SIE stays
  csrc sstatus, t1                 // clear; U-mode takes the timer interrupt regardless)
  csrw satp, a1
  sfence.vma
  ld x1, 8(a0)
  ld x2, 16(a0)
  ld x3, 24(a0)
  ld x4, 32(a0)
  ld x5, 40(a0)
  ld x6, 48(a0)
  ld x7, 56(a0)
  ld x8, 64(a0)
  ld x9, 72(a0)
  ld x11, 88(a0)
  ld x12, 96(a0)
  ld x13, 104(a0)
  ld x14, 112(a0)
  ld x15, 120(a0)
  ld x16, 128(a0)
  ld x17, 136(a0)
  ld x18, 144(a0)
  ld x19, 152(a0)
  ld x20, 160(a0)
  ld x21, 168(a0)
  ld x22, 176(a0)
  ld x23, 184(a0)
  ld x24, 192(a0)
  ld x25, 200(a0)
  ld x26, 208(a0)
  ld x27, 216(a0)
  ld x28, 224(a0)
  ld x29, 232(a0)
  ld x30, 240(a0)
  ld x31, 248(a0)
  ld x10, 80(a0)
  sret

// From trap.S: sp = ctx, sscratch = the agent's sp, every other register the agent's.
.global riscv_user_trap
riscv_user_trap:
  sd x1, 8(sp)
  sd x3, 24(sp)
  sd x4, 32(sp)
  sd x5, 40(sp)
  sd x6, 48(sp)
  sd x7, 56(sp)
  sd x8, 64(sp)
  sd x9, 72(sp)
  sd x10, 80(sp)
  sd x11, 88(sp)
  sd x12, 96(sp)
  sd x13, 104(sp)
  sd x14, 112(sp)
  sd x15, 120(sp)
  sd x16, 128(sp)
  sd x17, 136(sp)
  sd x18, 144(sp)
  sd x19, 152(sp)
  sd x20, 160(sp)
  sd x21, 168(sp)
  sd x22, 176(sp)
  sd x23, 184(sp)
  sd x24, 192(sp)
  sd x25, 200(sp)
  sd x26, 208(sp)
  sd x27, 216(sp)
  sd x28, 224(sp)
  sd x29, 232(sp)
  sd x30, 240(sp)
  sd x31, 248(sp)
  csrr t0, sscratch
  sd t0, 16(sp)
  csrw sscratch, zero              // S-mode from here on
  csrr t0, sepc
  sd t0, 0(sp)
  fsd f0, 256(sp)
  fsd f1, 264(sp)
  fsd f2, 272(sp)
  fsd f3, 280(sp)
  fsd f4, 288(sp)
  fsd f5, 296(sp)
  fsd f6, 304(sp)
  fsd f7, 312(sp)
  fsd f8, 320(sp)
  fsd f9, 328(sp)
  fsd f10, 336(sp)
  fsd f11, 344(sp)
  fsd f12, 352(sp)
  fsd f13, 360(sp)
  fsd f14, 368(sp)
  fsd f15, 376(sp)
  fsd f16, 384(sp)
  fsd f17, 392(sp)
  fsd f18, 400(sp)
  fsd f19, 408(sp)
  fsd f20, 416(sp)
  fsd f21, 424(sp)
  fsd f22, 432(sp)
  fsd f23, 440(sp)
  fsd f24, 448(sp)
  fsd f25, 456(sp)
  fsd f26, 464(sp)
  fsd f27, 472(sp)
  fsd f28, 480(sp)
  fsd f29, 488(sp)
  fsd f30, 496(sp)
  fsd f31, 504(sp)
  frcsr t0
  sd t0, CTX_FCSR(sp)
  fscsr zero
  csrr a0, scause
  csrr t1, stval
  la t0, riscv_user_stval
  sd t1, 0(t0)
  la t0, kernel_save
  ld t1, 128(t0)
  csrw satp, t1
  sfence.vma
  ld ra, 0(t0)
  ld sp, 8(t0)
  ld gp, 16(t0)
  ld tp, 24(t0)
  ld s0, 32(t0)
  ld s1, 40(t0)
  ld s2, 48(t0)
  ld s3, 56(t0)
  ld s4, 64(t0)
  ld s5, 72(t0)
  ld s6, 80(t0)
  ld s7, 88(t0)
  ld s8, 96(t0)
  ld s9, 104(t0)
  ld s10, 112(t0)
  ld s11, 120(t0)
  ret

.section .bss, "aw", @nobits
.balign 8
kernel_save: .skip 136
.global riscv_user_stval
riscv_user_stval: .skip 8
