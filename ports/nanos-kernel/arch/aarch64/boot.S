// aarch64 entry on QEMU virt. The image starts with the Linux arm64 Image header, so
// QEMU's -kernel loads it at RAM + 0x80000 = 0x40080000, passes the device tree in x0
// and honours -initrd (it adds linux,initrd-{start,end} to /chosen).
#ifndef KERNEL_STACK_SIZE
#define KERNEL_STACK_SIZE 65536
#endif
#define PROTOCOL_FDT 2

.section .text.boot, "ax"
.global _start
_start:
  b real_start                 // code0
  .word 0                      // code1
  .quad 0x80000                // text_offset
  .quad __image_size           // image_size (including .bss)
  .quad 0x2                    // flags: little endian, 4 KiB pages
  .quad 0, 0, 0                // res2..res4
  .ascii "ARM\x64"             // magic
  .word 0                      // res5

real_start:
  mov x19, x0                  // the device tree
  mrs x1, mpidr_el1            // only CPU 0 boots
  and x1, x1, #0xff
  cbnz x1, park

  mrs x1, CurrentEL            // from EL2, drop to EL1 (QEMU with virtualization=on)
  lsr x1, x1, #2
  cmp x1, #2
  b.ne 1f
  mov x1, #(1 << 31)           // HCR_EL2.RW: EL1 is AArch64
  msr hcr_el2, x1
  mov x1, #0x3c5               // EL1h, interrupts masked
  msr spsr_el2, x1
  adr x1, 1f
  msr elr_el2, x1
  eret
1:
  ldr x1, =__stack_top
  mov sp, x1
  mov x1, #(3 << 20)           // CPACR_EL1.FPEN: no FP/SIMD traps (the compiler uses them)
  msr cpacr_el1, x1
  isb

  ldr x1, =__bss_start         // zero .bss
  ldr x2, =__bss_end
2:cmp x1, x2
  b.hs 3f
  str xzr, [x1], #8
  b 2b
3:
  bl mmu_enable
  adr x1, exception_vectors
  msr vbar_el1, x1
  isb
  mov x0, #PROTOCOL_FDT
  mov x1, x19
  bl kernel_main
park:
  wfe
  b park

// Identity map with 1 GiB blocks: [0, 1 GiB) device memory (UART, GIC, PCI), [1, 4 GiB)
// normal write-back memory (RAM starts at 1 GiB on virt). Everything above is unmapped,
// so a stray pointer faults instead of reading junk.
#define MAIR_VALUE 0xff00      // attr0 device-nGnRnE, attr1 normal write-back
#define BLOCK_DEVICE ((1 << 10) | (0 << 2) | 1 | (1 << 54) | (1 << 53))  // AF, attr0, block, XN
#define BLOCK_NORMAL ((1 << 10) | (3 << 8) | (1 << 2) | 1)                 // AF, inner shareable, attr1, block
mmu_enable:
  adrp x1, level1_table
  ldr x2, =BLOCK_DEVICE
  str x2, [x1]
  ldr x2, =BLOCK_NORMAL
  mov x3, #1
4:lsl x4, x3, #30
  orr x4, x4, x2
  str x4, [x1, x3, lsl #3]
  add x3, x3, #1
  cmp x3, #4
  b.lo 4b
  ldr x2, =MAIR_VALUE
  msr mair_el1, x2
  // T0SZ=25 (39-bit VA, walks start at level 1), inner/outer WB, inner shareable,
  // 4 KiB granule, TTBR1 walks disabled, 40-bit physical addresses.
  ldr x2, =(25 | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 23) | (2 << 32))
  msr tcr_el1, x2
  msr ttbr0_el1, x1
  dsb ish
  tlbi vmalle1
  dsb ish
  isb
  mrs x2, sctlr_el1
  orr x2, x2, #(1 << 0)        // M: MMU on
  orr x2, x2, #(1 << 2)        // C: data cache
  orr x2, x2, #(1 << 12)       // I: instruction cache
  bic x2, x2, #(1 << 1)        // A: no alignment faults on normal memory
  msr sctlr_el1, x2
  isb
  ret

.section .bss.page_tables, "aw", @nobits
.balign 4096
level1_table:
  .skip 4096

.section .bss.stack, "aw", @nobits
.balign 16
.global __stack_bottom
__stack_bottom:
.skip KERNEL_STACK_SIZE
.global __stack_top
__stack_top:
