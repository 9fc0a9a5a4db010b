; boot.asm - multiboot v1 entry: from the loader's flat protected mode to a
; higher-half kernel with paging on.
;
; Mechanism: a multiboot loader (GRUB, QEMU -kernel, or a monitor) copies the
; ELF segments to their physical addresses and jumps to the entry with paging
; off, EAX = 0x2BADB002 and EBX = the physical address of the multiboot info.
; minios is linked at 0xC0100000 but loaded at 1 MB, so this file lives in the
; .boot section (linked at its physical address) and builds a temporary page
; directory of 4 MB PSE pages: identity (so the next instruction after
; enabling paging still exists) and at KERNBASE.  Then it jumps high.
;
; Invariant: kmain() is called with the loader's EAX and EBX untouched.

KERNBASE      equ 0xC0000000
MB_MAGIC      equ 0x1BADB002
MB_FLAGS      equ 0x00000003          ; page-align modules, want memory info
CR0_PG        equ 0x80000000
CR0_WP        equ 0x00010000
CR4_PSE       equ 0x00000010
PDE_P_W_PS    equ 0x083
BOOT_MAP_PDES equ 128                 ; 128 x 4 MB = 512 MB

section .boot progbits alloc exec
align 4
mb_header:
	dd MB_MAGIC
	dd MB_FLAGS
	dd -(MB_MAGIC + MB_FLAGS)

global _start
_start:
	cli
	mov esi, eax                     ; keep the loader's magic and info pointer
	mov edi, ebx
	mov eax, cr4
	or eax, CR4_PSE
	mov cr4, eax
	; map physical 0..512 MB twice: identity and at KERNBASE, so the loader's
	; structures can be read wherever it put them (kmain copies what it needs)
	mov ebx, boot_pgdir - KERNBASE
	xor ecx, ecx
.map:
	mov eax, ecx
	shl eax, 22
	or eax, PDE_P_W_PS
	mov [ebx + ecx * 4], eax
	mov [ebx + ecx * 4 + (KERNBASE >> 22) * 4], eax
	inc ecx
	cmp ecx, BOOT_MAP_PDES
	jb .map
	mov cr3, ebx
	mov eax, cr0
	or eax, CR0_PG | CR0_WP
	mov cr0, eax
	mov eax, .high
	jmp eax
.high:
	mov esp, boot_stack_top
	xor ebp, ebp
	push edi                         ; mb_info physical address
	push esi                         ; magic
	extern kmain
	call kmain
.hang:
	hlt
	jmp .hang

section .bss
align 4096
global boot_pgdir
boot_pgdir:
	resb 4096
global boot_stack
boot_stack:
	resb 16384
global boot_stack_top
boot_stack_top:
