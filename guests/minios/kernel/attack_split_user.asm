; attack_split_user.asm - the user-mode halves of the split attacks
; (attack_split.c): user code that makes one kernel/user transition and
; then reads or writes a page of the kernel's, and user code that loads one
; of the kernel's selectors; and the kernel's SYSENTER entry.
;
; Mechanism: a monitor that runs the guest kernel and its user code both at
; CPL 3 (ring=3) hides the kernel's pages from user code with a second
; shadow page table, switched on every kernel/user transition.  If one
; transition were missed, user code would run on the kernel's view and the
; read below would return the kernel's value instead of the #PF (error
; code U=1, P=1) the hardware gives.  Each snippet here does one
; transition, then jumps to s_access, which touches [EBX]: a read if EDI
; is 0, else a write; then INT VEC_HOME brings the catcher home.
;
; The snippets between split_user_start and split_user_end are copied to
; a user page (SPLIT_CODE), so they are position-independent: relative
; jumps only, and the SYSENTER snippet finds its own address by CALL.

VEC_HOME    equ 0x83
T_SYSCALL   equ 0x80
SPIN_MAX    equ 200000000       ; polls of the IRQ flag before going on anyway

section .rodata
global split_user_start, split_user_end
global u_s_plain, u_s_ud, u_s_gp, u_s_pf, u_s_int, u_s_irq, u_s_push, u_s_sysenter
global u_s_ld_ds, u_s_ld_es, u_s_ld_fs, u_s_ld_gs, u_s_ld_ss, u_s_lss
global u_s_jmpf, u_s_callf, u_s_iret, u_s_retf, u_s_segs, u_s_cs_gs
global u_s_conf_jmp, u_s_conf_call, u_s_conf_int, u_s_access
split_user_start:

; the access: [EBX] read (EDI 0: the value comes home in EAX) or written
; (also entered through a gate into conforming code: u_s_access)
u_s_access:
s_access:
	test edi, edi
	jnz .write
	mov eax, [ebx]
	int VEC_HOME
.write:
	mov dword [ebx], 0x0BADC0DE
	int VEC_HOME

; entered by IRET or far RET (the transition is the entry itself)
u_s_plain:
	jmp s_access
; #UD: the kernel skips the 2-byte UD2 and returns
u_s_ud:
	ud2
	jmp s_access
; #GP(0) (CLI at CPL 3, IOPL 0): the kernel skips the 1-byte CLI
u_s_gp:
	cli
	jmp s_access
; #PF on the not-present user page at ESI: the kernel maps it, the load
; runs again
u_s_pf:
	mov eax, [esi]
	jmp s_access
; a system call: INT 0x80
u_s_int:
	int T_SYSCALL
	jmp s_access
; interrupts on: wait until the timer's IRQ 0 interrupted this loop (the
; kernel's handler sets the dword at ESI)
u_s_irq:
	mov ecx, SPIN_MAX
.spin:
	cmp dword [esi], 0
	jne s_access
	dec ecx
	jnz .spin
	jmp s_access
; #PF on the not-present user stack page: the kernel maps it, the PUSH
; runs again
u_s_push:
	push eax
	jmp s_access
; SYSENTER: the kernel's entry (split_sysenter) returns by SYSEXIT to EDX
; with ESP = ECX
u_s_sysenter:
	mov ecx, esp
	call .here
.here:
	pop edx
	add edx, .back - .here
	sysenter
.back:
	jmp s_access

; ---- the kernel's selectors, loaded from user mode: ESI = the selector ----
u_s_ld_ds:
	mov ds, si
	int VEC_HOME
u_s_ld_es:
	mov es, si
	int VEC_HOME
u_s_ld_fs:
	mov fs, si
	int VEC_HOME
u_s_ld_gs:
	mov gs, si
	int VEC_HOME
u_s_ld_ss:
	mov ss, si
	int VEC_HOME
u_s_lss:                        ; LSS ESP, [ESP]: offset, then selector
	mov eax, esp
	push esi
	push eax
	lss esp, [esp]
	int VEC_HOME
u_s_jmpf:                       ; JMP FAR [ESP]: ESI:0
	push esi
	push dword 0
	jmp far [esp]
u_s_callf:
	push esi
	push dword 0
	call far [esp]
u_s_iret:                       ; IRET to ESI:0, same EFLAGS, this stack
	mov eax, esp
	push dword 0x23             ; SS: the user's (if it got that far)
	push eax
	pushfd
	push esi
	push dword 0
	iret
u_s_retf:
	push esi
	push dword 0
	retf
; what the data segment registers hold (EAX: DS, ECX: ES, EDX: FS, EBX: GS)
u_s_segs:
	xor eax, eax
	xor ecx, ecx
	xor edx, edx
	xor ebx, ebx
	mov ax, ds
	mov cx, es
	mov dx, fs
	mov bx, gs
	int VEC_HOME
; GS = this code segment (readable, DPL 3: a data load the CPU allows at
; CPL 3), a system call, then what GS holds (in EBX)
u_s_cs_gs:
	mov ax, cs
	mov gs, ax
	int T_SYSCALL
	xor ebx, ebx
	mov bx, gs
	int VEC_HOME
; ---- into conforming code of DPL 0 from user mode: CPL stays 3 ----
; a far JMP or CALL to s_access through ESI (a flat conforming selector):
; its linear address is this page's, found by CALL
%macro FAR_TO_S_ACCESS 1       ; jmp or call
	call %%here
%%here:
	pop eax
	add eax, s_access - %%here
	push esi
	push eax
	%1 far [esp]
%endmacro
u_s_conf_jmp:
	FAR_TO_S_ACCESS jmp
u_s_conf_call:
	FAR_TO_S_ACCESS call
; INT to a DPL-3 gate whose handler is s_access in conforming code
VEC_CONF    equ 0x85            ; VEC_SPARE0 (attack_lib.h)
u_s_conf_int:
	int VEC_CONF
split_user_end:

; ---- the kernel's SYSENTER entry ----
; SYSENTER: CS 0x08, SS 0x10, ESP = the MSR's, IF clear; DS and ES are
; still the user's (flat, DPL 3: at CPL 0 they reach kernel pages too).
; Touches the target as every transition here does, then SYSEXIT back to
; EDX with ESP = ECX (both as the user snippet set them); EBX and EDI are
; the user's, untouched.
section .text
extern split_touch
global split_sysenter
split_sysenter:
	push ecx
	push edx
	call split_touch
	pop edx
	pop ecx
	sysexit

; void split_iret(const struct split_frame *f) and split_retf(f): leave
; for f->cs:f->eip on f->ss:f->esp by IRET (with f->eflags) or by far
; RET, with EBX, ESI, EDI from f, DS and ES the user's data segment (so
; that they survive the return to ring 3) and FS and GS the kernel's (the
; CPU nulls them on the way out).  Interrupts off first, as a kernel
; returns to user mode: the IRET sets IF as f->eflags says (a far RET
; leaves it clear); a ring-1 monitor's lazy return (userret=lazy) would
; otherwise leave the kernel's IF on in user mode (src/trap/trap.c,
; user_return_must_trap).
; Called under attack_catch: the way back is a trap.
SEL_KDATA   equ 0x10
SEL_UDATA   equ 0x23
global split_iret, split_retf
split_iret:
	cli
	mov eax, [esp + 4]
	push dword [eax + 16]           ; ss
	push dword [eax + 12]           ; esp
	push dword [eax + 8]            ; eflags
	push dword [eax + 4]            ; cs
	push dword [eax]                ; eip
	call split_regs
	iret
split_retf:
	cli
	mov eax, [esp + 4]
	push dword [eax + 16]           ; ss
	push dword [eax + 12]           ; esp
	push dword [eax + 4]            ; cs
	push dword [eax]                ; eip
	call split_regs
	retf
; split_iret_conf(f) and split_retf_conf(f): the same, from conforming
; code of DPL 0 (flat, AGDT_SPARE2): the kernel goes there by far JMP or
; far CALL (CPL stays 0) and returns from there, to it with RPL 3
SEL_CONF_K  equ 0x78            ; SEL(AGDT_SPARE2, 0)
global split_iret_conf, split_retf_conf
split_iret_conf:
	jmp SEL_CONF_K:split_iret
split_retf_conf:
	mov eax, [esp + 4]
	call SEL_CONF_K:.in             ; pushes the kernel's CS and EIP
.in:
	push eax                        ; f, where split_retf finds it
	push eax                        ; (its return address: never used)
	jmp split_retf
split_regs:                             ; EAX = f
	mov ebx, [eax + 20]
	mov esi, [eax + 24]
	mov edi, [eax + 28]
	mov cx, SEL_KDATA
	mov fs, cx
	mov gs, cx
	mov cx, SEL_UDATA
	mov ds, cx
	mov es, cx
	ret
