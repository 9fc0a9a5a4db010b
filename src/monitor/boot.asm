; boot.asm - the monitor's multiboot v1 entry.
;
; Mechanism: QEMU -kernel or GRUB loads the monitor at 1 MB (its ELF is
; linked there: the monitor runs identity-mapped), the guest kernel as the
; first module, and enters here in 32-bit protected mode with paging off,
; EAX = 0x2BADB002 and EBX = the multiboot info.  We set up a stack and call
; monitor_main(magic, info); it never returns.

MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0x00000003         ; page-align modules, want memory info

section .multiboot progbits alloc
align 4
	dd MB_MAGIC
	dd MB_FLAGS
	dd -(MB_MAGIC + MB_FLAGS)

section .text
global _start
extern monitor_main
_start:
	cli
	mov esp, mon_stack_top
	xor ebp, ebp
	push ebx
	push eax
	call monitor_main
; bound: none, by design: monitor_main never returns (the run ends in
; mon_exit); were it to, the CPU halts here for good
.hang:
	hlt
	jmp .hang

section .bss
align 16
mon_stack:
	resb 16384
mon_stack_top:
