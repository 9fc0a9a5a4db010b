; entry.asm - multiboot v1 entry of idetest: a stack, then main().
;
; Mechanism: a multiboot loader (QEMU -kernel, or the monitor) enters in
; 32-bit protected mode with flat segments and paging off; the header below
; is all it needs (no flags: an ELF image).  main() never returns: it ends
; the run through the debug-exit port.

MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0
STACK_SIZE equ 8192

section .multiboot
align 4
	dd MB_MAGIC
	dd MB_FLAGS
	dd -(MB_MAGIC + MB_FLAGS)

section .text
global _start
extern main
_start:
	mov esp, stack_top
	call main
.hang:
	jmp .hang

section .bss
align 16
	resb STACK_SIZE
stack_top:
