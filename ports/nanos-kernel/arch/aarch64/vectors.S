// The EL1 exception vector table: 16 entries of 128 bytes. An exception from EL0 goes to
// aarch64_user_trap (user.S); every other one saves the registers into a trap_frame on
// the stack and calls aarch64_trap(frame, vector index), which panics.
.section .text.vectors, "ax"
.balign 2048
.global exception_vectors
exception_vectors:
.irp index, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
.balign 128
  sub sp, sp, #288
  stp x0, x1, [sp, #0]
  mov x1, #\index
  b trap_common
.endr

trap_common:
  cmp x1, #8                   // entries 8-11: from EL0 (AArch64), an agent (user.S)
  b.lo 1f
  cmp x1, #12
  b.lo aarch64_user_trap
1:stp x2, x3, [sp, #16]
  stp x4, x5, [sp, #32]
  stp x6, x7, [sp, #48]
  stp x8, x9, [sp, #64]
  stp x10, x11, [sp, #80]
  stp x12, x13, [sp, #96]
  stp x14, x15, [sp, #112]
  stp x16, x17, [sp, #128]
  stp x18, x19, [sp, #144]
  stp x20, x21, [sp, #160]
  stp x22, x23, [sp, #176]
  stp x24, x25, [sp, #192]
  stp x26, x27, [sp, #208]
  stp x28, x29, [sp, #224]
  add x2, sp, #288             // the interrupted sp
  stp x30, x2, [sp, #240]
  mrs x2, elr_el1
  mrs x3, spsr_el1
  stp x2, x3, [sp, #256]
  mrs x2, esr_el1
  mrs x3, far_el1
  stp x2, x3, [sp, #272]
  mov x0, sp
  bl aarch64_trap
2:wfe
  b 2b
