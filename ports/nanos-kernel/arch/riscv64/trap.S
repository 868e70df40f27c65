// Supervisor trap entry. A trap from an agent (U-mode) goes to riscv_user_trap (user.S);
// a kernel trap saves x1..x31 and the trap CSRs into a trap_frame on the stack and calls
// riscv64_trap(frame), which panics.
.section .text, "ax"
.balign 4
.global trap_entry
trap_entry:
  csrrw sp, sscratch, sp         // from U-mode sscratch holds the agent's context (user.S),
  beqz sp, 1f                    // in S-mode it is 0
  j riscv_user_trap
1:csrrw sp, sscratch, sp         // a kernel trap: sp back, sscratch 0 again
  addi sp, sp, -288
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
  addi t0, sp, 288               // the interrupted sp
  sd t0, 16(sp)
  csrr t0, sepc
  sd t0, 0(sp)                   // slot 0 holds pc (x0 is always zero)
  csrr t0, scause
  sd t0, 256(sp)
  csrr t0, stval
  sd t0, 264(sp)
  csrr t0, sstatus
  sd t0, 272(sp)
  mv a0, sp
  call riscv64_trap
2:wfi
  j 2b
