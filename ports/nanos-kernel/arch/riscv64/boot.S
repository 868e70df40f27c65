// riscv64 entry on QEMU virt under OpenSBI (-bios default): S-mode at 0x80200000 with
// a0 = hart id, a1 = device tree.
#ifndef KERNEL_STACK_SIZE
#define KERNEL_STACK_SIZE 65536
#endif
#define PROTOCOL_FDT 2

.section .text.boot, "ax"
.global _start
_start:
  mv s0, a1                      // the device tree
  la sp, __stack_top
  li t0, (1 << 13)               // sstatus.FS = Initial: FP registers usable
  csrs sstatus, t0
  csrw sie, zero                 // no interrupts
  la t0, trap_entry
  csrw stvec, t0                 // direct mode (trap_entry is 4-byte aligned)

  la t0, __bss_start             // zero .bss
  la t1, __bss_end
1:bgeu t0, t1, 2f
  sd zero, 0(t0)
  addi t0, t0, 8
  j 1b
2:
  // Sv39 identity map of [0, 4 GiB) with 1 GiB pages (devices below 2 GiB, RAM from
  // 2 GiB). Everything above is unmapped, so a stray pointer faults.
  la t0, root_table
  li t1, 0                       // index
  li t2, 4
3:slli t3, t1, 28                // (index << 30) >> 12 << 10: PPN field of a gigapage
  ori t3, t3, 0xcf               // V R W X A D
  slli t4, t1, 3
  add t4, t4, t0
  sd t3, 0(t4)
  addi t1, t1, 1
  bltu t1, t2, 3b
  srli t0, t0, 12
  li t1, (8 << 60)               // satp.MODE = Sv39
  or t0, t0, t1
  sfence.vma
  csrw satp, t0
  sfence.vma

  li a0, PROTOCOL_FDT
  mv a1, s0
  call kernel_main
4:wfi
  j 4b

.section .bss.page_tables, "aw", @nobits
.balign 4096
root_table:
  .skip 4096

.section .bss.stack, "aw", @nobits
.balign 16
.global __stack_bottom
__stack_bottom:
.skip KERNEL_STACK_SIZE
.global __stack_top
__stack_top:
