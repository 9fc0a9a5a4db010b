; attack_entry.asm - the attack modes' low-level pieces: the catcher's
; unwinding, trips into other rings and virtual-8086 mode, the code those
; trips run, and attempts whose exact instruction sequence matters (TF over
; one instruction, IRET with NT, a 16-bit stack).
;
; Mechanism: attack_catch() (attack_lib.c) calls catch_call with the
; catcher armed.  catch_call saves the callee-saved registers and ESP; when
; the trap hook catches a trap it rewrites the frame to IRET to
; catch_resume in the kernel's code segment, from whatever ring, stack or
; mode the trap came, and catch_resume puts the kernel's segments and ESP
; back and returns 1 from catch_call.
;
; Code run in ring 2 is ordinary kernel text (paging lets CPL 0-2 touch
; supervisor pages); code run in ring 3 must be on a user page, so the
; ring-3 snippets are assembled into .rodata between attack_user_start and
; attack_user_end, position-independent, and copied to ATK_UVA
; (attack_user_map).  Each snippet ends with INT VEC_HOME.

SEL_KDATA   equ 0x10
SEL_R2DATA  equ 0x52            ; AGDT_R2DATA, RPL 2 (attack_lib.h)
SEL_STACK16 equ 0x58            ; AGDT_STACK16
VEC_DPL1    equ 0x81
VEC_DPL2    equ 0x82
VEC_HOME    equ 0x83
VEC_DPL3    equ 0x84
FL_TF       equ 0x100
FL_NT       equ 0x4000
PIC1_CMD    equ 0x20
PIC1_DATA   equ 0x21
PIC_EOI     equ 0x20
S16_SPIN    equ 100000000       ; polls of the tick count before giving up

section .bss
catch_esp:      resd 1
s16_saved_esp:  resd 1
global s16_ticks
s16_ticks:      resd 1

section .text

; int catch_call(void (*fn)(u32), u32 arg)
global catch_call, catch_resume
catch_call:
	push ebp
	push ebx
	push esi
	push edi
	mov [catch_esp], esp
	mov eax, [esp + 20]
	push dword [esp + 24]
	call eax
	add esp, 4
	xor eax, eax
	jmp catch_out
catch_resume:
	mov ax, SEL_KDATA
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	mov ss, ax
	mov esp, [catch_esp]
	mov eax, 1
catch_out:
	pop edi
	pop esi
	pop ebx
	pop ebp
	ret

; void enter_ring(u32 cs, u32 ss, u32 esp, u32 eip, u32 eflags, u32 ebx)
; IRET to an outer ring: it pops EIP, CS, EFLAGS, ESP, SS.
global enter_ring
enter_ring:
	mov eax, [esp + 4]
	mov ecx, [esp + 8]
	mov edx, [esp + 12]
	mov esi, [esp + 16]
	mov edi, [esp + 20]
	mov ebx, [esp + 24]
	push ecx
	push edx
	push edi
	push eax
	push esi
	iret

; void enter_ring_retf(u32 cs, u32 ss, u32 esp, u32 eip, u32 ebx)
; far RET to an outer ring: it pops EIP, CS, ESP, SS.
global enter_ring_retf
enter_ring_retf:
	mov eax, [esp + 4]
	mov ecx, [esp + 8]
	mov edx, [esp + 12]
	mov esi, [esp + 16]
	mov ebx, [esp + 20]
	push ecx
	push edx
	push eax
	push esi
	retf

; void enter_vm86(u32 cs, u32 ip, u32 ss, u32 sp, u32 eflags)
; IRET with EFLAGS.VM: it also pops ES, DS, FS, GS (all 0 here).
global enter_vm86
enter_vm86:
	mov eax, [esp + 4]
	mov ecx, [esp + 8]
	mov edx, [esp + 12]
	mov esi, [esp + 16]
	mov edi, [esp + 20]
	push dword 0            ; gs
	push dword 0            ; fs
	push dword 0            ; ds
	push dword 0            ; es
	push edx                ; ss
	push esi                ; sp
	push edi                ; eflags
	push eax                ; cs
	push ecx                ; ip
	iret

; ---- ring 2: the data segments the IRET nulled, then one instruction ----
%macro R2 1
global %1
%1:
	mov ax, SEL_R2DATA
	mov ds, ax
	mov es, ax
%endmacro

R2 r2_cli
	cli
	int VEC_HOME
R2 r2_mov_cr3
	mov cr3, ebx
	int VEC_HOME
R2 r2_lgdt
	lgdt [ebx]
	int VEC_HOME
R2 r2_int_dpl1
	int VEC_DPL1
	int VEC_HOME
R2 r2_int_dpl2
	int VEC_DPL2
	int VEC_HOME
R2 r2_int_dpl3
	int VEC_DPL3
	int VEC_HOME

; ---- TF set by POPF, then one instruction the monitor emulates ----
; void tf_cli(u32), tf_in(u32), tf_mov_cr3(u32 cr3): the #DB arrives with
; EIP at the *_after label (the catcher unwinds; the NOPs are what a lost
; #DB would run first).
global tf_cli, tf_cli_insn, tf_cli_after
tf_cli:
	pushfd
	or dword [esp], FL_TF
	popfd
tf_cli_insn:
	cli
tf_cli_after:
	nop
	nop
	ret

global tf_in, tf_in_insn, tf_in_after
tf_in:
	pushfd
	or dword [esp], FL_TF
	popfd
tf_in_insn:
	in al, PIC1_DATA
tf_in_after:
	nop
	nop
	ret

global tf_mov_cr3, tf_mov_cr3_insn, tf_mov_cr3_after
tf_mov_cr3:
	mov eax, [esp + 4]
	pushfd
	or dword [esp], FL_TF
	popfd
tf_mov_cr3_insn:
	mov cr3, eax
tf_mov_cr3_after:
	nop
	nop
	ret

; void nt_iret(u32): IRET with EFLAGS.NT set is a task return through the
; TSS's back link, not a return through the stack.
global nt_iret
nt_iret:
	pushfd
	pop eax
	push eax                ; the frame's EFLAGS: NT clear
	push cs
	push dword .back
	or eax, FL_NT
	push eax
	popfd                   ; now NT is set
	iret
.back:
	pushfd
	and dword [esp], ~FL_NT
	popfd
	ret

; ---- a 16-bit stack segment ----
; void stack16_run(u32 esp, u32 *out): on SS = SEL_STACK16 with ESP =
; esp (high half: a marker, low half: SP) runs CLI, IN and waits for one
; IRQ 0 (the caller points gate 32 at s16_timer); out[0..2] = ESP after
; each, out[3] = the ticks seen.  Nothing here addresses memory through
; ESP: with B=0 only SP moves, so [esp] would be the marker's address.
global stack16_run, s16_timer
stack16_run:
	push ebp
	push ebx
	push esi
	push edi
	mov [s16_saved_esp], esp
	mov ebx, [esp + 20]
	mov edi, [esp + 24]
	mov ax, SEL_STACK16
	mov ss, ax
	mov esp, ebx
	cli
	mov [edi], esp
	in al, PIC1_DATA
	mov [edi + 4], esp
	mov ecx, [s16_ticks]
	mov edx, S16_SPIN
	sti
.wait:
	cmp ecx, [s16_ticks]
	jne .got
	dec edx
	jnz .wait
.got:
	cli
	mov [edi + 8], esp
	mov eax, [s16_ticks]
	sub eax, ecx
	mov [edi + 12], eax
	mov ax, SEL_KDATA
	mov ss, ax
	mov esp, [s16_saved_esp]
	pop edi
	pop esi
	pop ebx
	pop ebp
	ret

; IRQ 0 on the 16-bit stack: count, EOI, return (PUSH/POP/IRET use SP)
s16_timer:
	push eax
	inc dword [s16_ticks]
	mov al, PIC_EOI
	out PIC1_CMD, al
	pop eax
	iret

; ---- ring 3: copied to a user page, position-independent ----
section .rodata
global attack_user_start, attack_user_end, u_home, u_in_port, u_out_port, u_sysenter
attack_user_start:
; straight back (a trap from ring 3, nothing else)
u_home:
	int VEC_HOME
; EBX = port: IN AL, DX (the value comes home in EAX)
u_in_port:
	xor eax, eax
	mov edx, ebx
	in al, dx
	int VEC_HOME
; EBX = port: OUT DX, AL
u_out_port:
	mov eax, 0x5A
	mov edx, ebx
	out dx, al
	int VEC_HOME
; SYSENTER with the kernel's MSRs as they are
u_sysenter:
	mov ecx, esp
	xor edx, edx
	sysenter
	int VEC_HOME
attack_user_end:

section .text
; A call gate's target in the kernel: return to the far caller.
global far_ret_target
far_ret_target:
	retf

; ---- REP string instructions the timer may stop (rep_stop.eip) ----
; Each returns ECX as the instruction left it.
; u32 rep_stosd(u32 dst, u32 count, u32 val)
global rep_stosd, rep_stosd_insn
rep_stosd:
	push edi
	mov edi, [esp + 8]
	mov ecx, [esp + 12]
	mov eax, [esp + 16]
	cld
rep_stosd_insn:
	rep stosd
	mov eax, ecx
	pop edi
	ret

; u32 rep_movsd(u32 dst, u32 src, u32 count)
global rep_movsd, rep_movsd_insn
rep_movsd:
	push esi
	push edi
	mov edi, [esp + 12]
	mov esi, [esp + 16]
	mov ecx, [esp + 20]
	cld
rep_movsd_insn:
	rep movsd
	mov eax, ecx
	pop edi
	pop esi
	ret

; u32 rep_outsb(u32 port, u32 src, u32 count)
global rep_outsb, rep_outsb_insn
rep_outsb:
	push esi
	mov edx, [esp + 8]
	mov esi, [esp + 12]
	mov ecx, [esp + 16]
	cld
rep_outsb_insn:
	rep outsb
	mov eax, ecx
	pop esi
	ret

; u32 rep_insb(u32 port, u32 dst, u32 count)
global rep_insb, rep_insb_insn
rep_insb:
	push edi
	mov edx, [esp + 8]
	mov edi, [esp + 12]
	mov ecx, [esp + 16]
	cld
rep_insb_insn:
	rep insb
	mov eax, ecx
	pop edi
	ret

; ---- paging off for a moment: copied to an identity-mapped page ----
; void blob(u32 src, u32 count): with CR0.PG clear, copies count dwords
; from physical src to the second half of its own page, then turns paging
; back on.  No stack while paging is off (ESP is a kernel virtual address).
CR0_PG      equ 0x80000000
BLOB_OUT    equ 0x800
section .rodata
global pgoff_blob, pgoff_blob_end
pgoff_blob:
	push ebx
	push esi
	push edi
	mov esi, [esp + 16]
	mov ecx, [esp + 20]
	call .here
.here:
	pop edi
	and edi, ~0xFFF
	add edi, BLOB_OUT
	mov eax, cr0
	mov ebx, eax
	and eax, ~CR0_PG
	mov cr0, eax
	cld
	rep movsd
	mov cr0, ebx
	pop edi
	pop esi
	pop ebx
	ret
pgoff_blob_end:
