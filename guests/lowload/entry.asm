; entry.asm - multiboot v1 entry of lowload: a stack, then main(magic, info).
;
; Mechanism: a multiboot loader enters in 32-bit protected mode with flat
; segments and paging off, EAX = 0x2BADB002 and EBX = the info block.
; lowload is linked at 0x8000, where the monitor's loader used to put that
; block; main() never returns (it ends the run through the debug-exit port).

MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0x3
STACK_SIZE equ 4096

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
	push ebx
	push eax
	call main
.hang:
	jmp .hang

; The stack is file-backed (in .data, not .bss): QEMU's own multiboot loader
; puts its info block right after the file-backed part of the image, so a
; .bss stack there would overwrite it natively.
section .data
align 16
	times STACK_SIZE db 0
stack_top:
