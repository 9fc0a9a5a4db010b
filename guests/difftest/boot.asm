; boot.asm - multiboot v1 entry of the differential tester's guest.
;
; Mechanism: a multiboot loader (QEMU -kernel, the monitor) copies the ELF
; to 1 MB and jumps here in flat 32-bit protected mode, paging off,
; EAX = 0x2BADB002, EBX = the multiboot info.  The guest runs where it is
; loaded: set a stack and call cmain(magic, info).

MB_MAGIC  equ 0x1BADB002
MB_FLAGS  equ 0x00000003          ; page-align modules, want memory info

section .multiboot progbits alloc exec
align 4
	dd MB_MAGIC
	dd MB_FLAGS
	dd -(MB_MAGIC + MB_FLAGS)

section .text
global _start
_start:
	cli
	cld
	mov esp, boot_stack_top
	xor ebp, ebp
	push ebx                         ; multiboot info
	push eax                         ; magic
	extern cmain
	call cmain
.hang:
	hlt
	jmp .hang

section .bss
align 16
boot_stack:
	resb 32768
boot_stack_top:
