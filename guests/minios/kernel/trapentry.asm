; trapentry.asm - the IDT's entry points, the common trap path and the
; kernel context switch.
;
; Mechanism: on an exception or interrupt the CPU looks up the vector's gate
; in the IDT, switches to the ring-0 stack from the TSS if it came from ring
; 3, and pushes (ss, esp,) eflags, cs, eip and, for some vectors, an error
; code.  A stub per vector pushes a 0 error code where the CPU does not, then
; the vector number, so every trap reaches alltraps with the same frame
; (struct trapframe in trap.h).
;
; Return: IRET restores eflags; but IRET in ring 1 (under a monitor) cannot
; change IF.  So trapret executes STI right before IRET when the frame's IF
; is set: STI's one-instruction interrupt shadow makes "sti; iret" atomic.

SEL_KDATA equ 0x10
FL_IF     equ 0x200

; Vectors for which the CPU pushes an error code.  The only list of them.
%macro HAS_ERR 1
  %assign has_err 0
  %if %1 == 8 || (%1 >= 10 && %1 <= 14) || %1 == 17 || %1 == 21 || %1 == 29 || %1 == 30
    %assign has_err 1
  %endif
%endmacro

%macro VECTOR 1
vector%1:
  HAS_ERR %1
  %if has_err == 0
	push dword 0
  %endif
	push dword %1
	jmp alltraps
%endmacro

section .text
%assign i 0
%rep 256
	VECTOR i
%assign i i+1
%endrep

section .rodata
global vectors
vectors:
%assign i 0
%rep 256
	dd vector %+ i
%assign i i+1
%endrep

section .text
extern trap
alltraps:
	push ds
	push es
	push fs
	push gs
	pusha
	mov ax, SEL_KDATA
	mov ds, ax
	mov es, ax
	push esp                ; struct trapframe *
	call trap
	add esp, 4
global trapret
trapret:
	popa
	pop gs
	pop fs
	pop es
	pop ds
	add esp, 8              ; trapno, err
	test dword [esp + 8], FL_IF
	jz .iret
	sti
.iret:
	iret

; void swtch(struct context **old, struct context *new)
; Saves the callee-saved registers on the current stack, stores the stack
; pointer in *old, and resumes the context 'new' (its return address is the
; last thing on its stack).
global swtch
swtch:
	mov eax, [esp + 4]
	mov edx, [esp + 8]
	push ebp
	push ebx
	push esi
	push edi
	mov [eax], esp
	mov esp, edx
	pop edi
	pop esi
	pop ebx
	pop ebp
	ret

; ---- probes: kernel accesses that are allowed to fault (see trap.h) ----
extern probe_resume

; int probe_read32(u32 addr, u32 *out)
global probe_read32
probe_read32:
	mov dword [probe_resume], .fault
	mov edx, [esp + 4]
	mov eax, [edx]
	mov edx, [esp + 8]
	mov [edx], eax
	xor eax, eax
	jmp probe_done
.fault:
	mov eax, 1
	jmp probe_done

; int probe_write32(u32 addr, u32 val)
global probe_write32
probe_write32:
	mov dword [probe_resume], .fault
	mov edx, [esp + 4]
	mov eax, [esp + 8]
	mov [edx], eax
	xor eax, eax
	jmp probe_done
.fault:
	mov eax, 1
	jmp probe_done

; int probe_copy(void *dst, const void *src, u32 n): the user-copy primitive
global probe_copy
probe_copy:
	push esi
	push edi
	mov dword [probe_resume], .fault
	mov edi, [esp + 12]
	mov esi, [esp + 16]
	mov ecx, [esp + 20]
	cld
	rep movsb
	xor eax, eax
	jmp .out
.fault:
	mov eax, 1
.out:
	pop edi
	pop esi
	jmp probe_done

; int probe_div0(void): executes a divide by zero
global probe_div0, probe_div0_insn
probe_div0:
	mov dword [probe_resume], probe_div0_fault
	xor edx, edx
	mov eax, 1
	xor ecx, ecx
probe_div0_insn:
	div ecx
	xor eax, eax
	jmp probe_done
probe_div0_fault:
	mov eax, 1
	jmp probe_done

; int probe_ud2(void)
global probe_ud2, probe_ud2_insn
probe_ud2:
	mov dword [probe_resume], probe_ud2_fault
probe_ud2_insn:
	ud2
	xor eax, eax
	jmp probe_done
probe_ud2_fault:
	mov eax, 1
	jmp probe_done

; int probe_int3(void): the handler records the trap; execution continues
global probe_int3, probe_int3_after
probe_int3:
	mov dword [probe_resume], probe_int3_after
	int3
probe_int3_after:
	xor eax, eax
	jmp probe_done

probe_done:
	mov dword [probe_resume], 0
	ret

; The LIDT test's replacement breakpoint handler: counts and returns.
global alt_bp_handler, alt_bp_count
alt_bp_handler:
	inc dword [alt_bp_count]
	iret
section .data
alt_bp_count: dd 0
