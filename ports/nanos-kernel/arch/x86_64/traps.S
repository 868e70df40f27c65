// CPU exception stubs 0-31: push a zero where the CPU pushes no error code, then the
// vector, save the general registers into a trap_frame and call x86_trap(frame).
.section .text, "ax"
.code64

.macro exception_stub vector, has_error
.balign 16
exception_\vector:
.if \has_error == 0
  push $0
.endif
  push $\vector
  jmp trap_common
.endm

exception_stub 0, 0
exception_stub 1, 0
exception_stub 2, 0
exception_stub 3, 0
exception_stub 4, 0
exception_stub 5, 0
exception_stub 6, 0
exception_stub 7, 0
exception_stub 8, 1
exception_stub 9, 0
exception_stub 10, 1
exception_stub 11, 1
exception_stub 12, 1
exception_stub 13, 1
exception_stub 14, 1
exception_stub 15, 0
exception_stub 16, 0
exception_stub 17, 1
exception_stub 18, 0
exception_stub 19, 0
exception_stub 20, 0
exception_stub 21, 1
exception_stub 22, 0
exception_stub 23, 0
exception_stub 24, 0
exception_stub 25, 0
exception_stub 26, 0
exception_stub 27, 0
exception_stub 28, 0
exception_stub 29, 1
exception_stub 30, 1
exception_stub 31, 0
exception_stub 32, 0               // the local APIC timer (user.cpp): preempts agents

// The local APIC's spurious vector (0xff): nothing to acknowledge.
.balign 16
.global x86_spurious_stub
x86_spurious_stub:
  iretq

trap_common:
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
  testb $3, 144(%rsp)              // from ring 3 (the saved cs): keep the agent's FP/SIMD
  jz 1f                            // state before any C++ runs (user.S)
  mov x86_user_ctx(%rip), %rax
  fxsave64 160(%rax)
1:cld
  mov %rsp, %rdi
  and $~15, %rsp                   // the ABI's call alignment
  call x86_trap
2:hlt
  jmp 2b

.section .rodata, "a"
.balign 8
.global exception_stubs
exception_stubs:
.irp vector, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32
  .quad exception_\vector
.endr
