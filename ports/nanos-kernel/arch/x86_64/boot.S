// x86_64 entry. Two ways in, both in 32-bit protected mode with paging off:
//   Multiboot2 (GRUB, the product path): eax = 0x36d76289, ebx = boot information;
//   PVH (QEMU -kernel, the fast test path): ebx = hvm_start_info.
// Then: identity-map [0, 4 GiB) with 2 MiB pages, enter long mode, enable SSE, and call
// kernel_main(protocol, info).
#ifndef KERNEL_STACK_SIZE
#define KERNEL_STACK_SIZE 65536
#endif
#define PROTOCOL_MULTIBOOT2 1
#define PROTOCOL_PVH 3
#define MULTIBOOT2_MAGIC 0xe85250d6
#define MULTIBOOT2_HEADER_LENGTH (multiboot2_header_end - multiboot2_header)

.section .text.boot, "ax"
.code32
.balign 8
multiboot2_header:                 // must lie in the first 32 KiB of the file
  .long MULTIBOOT2_MAGIC
  .long 0                          // architecture: i386 protected mode
  .long MULTIBOOT2_HEADER_LENGTH
  .long 0x100000000 - (MULTIBOOT2_MAGIC + MULTIBOOT2_HEADER_LENGTH)
  .word 0, 0                       // end tag
  .long 8
multiboot2_header_end:

.global _start
_start:
  cmp $0x36d76289, %eax
  jne halt32                       // not loaded by a Multiboot2 loader
  mov $PROTOCOL_MULTIBOOT2, %esi
  jmp start32

.global pvh_start
pvh_start:
  mov $PROTOCOL_PVH, %esi

start32:
  cli
  cld
  mov %ebx, %ebp                   // the boot information, kept across the setup
  mov $__stack_top, %esp

  mov $__bss_start, %edi           // zero .bss (page tables live there)
  mov $__bss_end, %ecx
  sub %edi, %ecx
  xor %eax, %eax
  rep stosb

  // PML4[0] -> PDPT; PDPT[0..3] -> four page directories of 512 x 2 MiB pages.
  mov $pdpt, %eax
  or $3, %eax                      // present, writable
  mov %eax, pml4
  xor %ecx, %ecx
1:mov %ecx, %eax
  shl $12, %eax
  add $page_directories, %eax
  or $3, %eax
  mov %eax, pdpt(,%ecx,8)
  inc %ecx
  cmp $4, %ecx
  jb 1b
  xor %ecx, %ecx
2:mov %ecx, %eax
  shl $21, %eax
  or $0x83, %eax                   // present, writable, 2 MiB page
  cmp $1536, %ecx                  // [3 GiB, 4 GiB) holds the device MMIO: uncached
  jb 3f
  or $0x18, %eax                   // PWT | PCD
3:mov %eax, page_directories(,%ecx,8)
  inc %ecx
  cmp $2048, %ecx
  jb 2b

  mov $pml4, %eax
  mov %eax, %cr3
  mov %cr4, %eax
  or $(1 << 5), %eax               // PAE
  mov %eax, %cr4
  mov $0xc0000080, %ecx            // EFER.LME
  rdmsr
  or $(1 << 8), %eax
  wrmsr
  mov %cr0, %eax
  or $0x80000001, %eax             // PG | PE
  mov %eax, %cr0
  lgdt gdt_pointer
  ljmp $0x08, $start64

halt32:
  hlt
  jmp halt32

.code64
start64:
  mov $0x10, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %ss
  mov %ax, %fs
  mov %ax, %gs
  mov %cr0, %rax                   // SSE: no FPU emulation, monitor coprocessor
  and $~(1 << 2), %rax
  or $(1 << 1), %rax
  mov %rax, %cr0
  mov %cr4, %rax
  or $(3 << 9), %rax               // OSFXSR | OSXMMEXCPT
  mov %rax, %cr4
  mov %esi, %edi                   // kernel_main(protocol, info)
  mov %ebp, %esi
  call kernel_main
4:hlt
  jmp 4b

.section .rodata.boot, "a"
.balign 8
gdt:
  .quad 0
  .quad 0x00af9a000000ffff         // 0x08: 64-bit code
  .quad 0x00cf92000000ffff         // 0x10: data
gdt_end:
.global gdt_pointer
gdt_pointer:
  .word gdt_end - gdt - 1
  .quad gdt

// PVH entry point for QEMU's -kernel (XEN_ELFNOTE_PHYS32_ENTRY).
.section .note.Xen, "a", @note
.balign 4
  .long 4                          // name size
  .long 8                          // descriptor size
  .long 18                         // XEN_ELFNOTE_PHYS32_ENTRY
  .asciz "Xen"
  .quad pvh_start

.section .bss.page_tables, "aw", @nobits
.balign 4096
.global pml4, page_directories     // user.cpp: agent address spaces share the kernel's map
pml4:
  .skip 4096
pdpt:
  .skip 4096
page_directories:
  .skip 4 * 4096

.section .bss.stack, "aw", @nobits
.balign 16
.global __stack_bottom
__stack_bottom:
.skip KERNEL_STACK_SIZE
.global __stack_top
__stack_top:
