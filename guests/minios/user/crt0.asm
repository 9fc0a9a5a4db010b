; crt0.asm - user program entry: the kernel starts a program at _start with
; ESP at the top of its (demand-zero) stack; main's return value is its exit.
global _start
extern main
section .text
_start:
	call main
	mov ebx, eax
	mov eax, 1              ; SYS_exit
	int 0x80
.hang:
	jmp .hang
