; entry.asm - the differential tester's ways into a sequence and out of it.
;
; Mechanism: a sequence starts with every general register, EFLAGS and
; the stack pointer as its record says, at DT_CODE, in ring 0 (a POPFD and
; a JMP: nothing of the runner stays in the registers) or in ring 3 (an
; IRET to SEL_UCODE, stack SEL_UDATA).  It ends with an exception: the CPU
; pushes EIP, CS, EFLAGS (and SS:ESP from ring 3) on the ring-0 stack, the
; per-vector stub adds a 0 where the CPU pushes no error code and the
; vector, and alltraps saves the segment registers and PUSHAD.  From ring
; 0 all of that lands on the sequence's own stack, which the runner then
; compares like any memory: it is what the CPU wrote there.  The runner
; appends INT V_SEQ_END to every sequence, so a sequence that raises
; nothing ends the same way.
;
; Then alltraps moves to a stack of its own (the sequence may have left
; SS and ESP anywhere it was allowed to), calls trap() (main.c), which
; records the frame and longjmps back into seq_enter's caller.
;
; The stubs never return to the sequence: there is no resume.

SEL_KDATA    equ 0x10
SEL_UCODE    equ 0x1B
SEL_UDATA    equ 0x23
DT_CODE      equ 0x00808000
FL_IF        equ 0x200

; struct seq_entry (difftest.h)
E_EAX    equ 0
E_ECX    equ 4
E_EDX    equ 8
E_EBX    equ 12
E_EBP    equ 16
E_ESI    equ 20
E_EDI    equ 24
E_EFLAGS equ 28
E_ESP    equ 32
E_RING3  equ 36
E_STI    equ 40

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

section .bss
align 16
handler_stack:
	resb 16384
handler_stack_top:
global trap_ss
trap_ss:
	resd 1
; seq_enter's caller: EBX, ESI, EDI, EBP, ESP, EIP (the order of setjmp's)
runner_ctx:
	resd 6

section .data
code_ptr:
	dd DT_CODE

section .text
extern trap
alltraps:
	push ds
	push es
	push fs
	push gs
	pushad
	mov ax, SEL_KDATA
	mov ds, ax
	mov es, ax
	mov [trap_ss], ss
	mov ecx, esp            ; struct frame *
	mov ss, ax
	mov esp, handler_stack_top
	cld
	push ecx
	call trap
.hang:                          ; trap() does not return
	hlt
	jmp .hang

; void seq_enter(const struct seq_entry *e): runs the sequence; "returns"
; when trap() calls seq_return().
global seq_enter
seq_enter:
	mov eax, [esp + 4]
	mov [runner_ctx + 0], ebx
	mov [runner_ctx + 4], esi
	mov [runner_ctx + 8], edi
	mov [runner_ctx + 12], ebp
	lea ecx, [esp + 4]
	mov [runner_ctx + 16], ecx
	mov ecx, [esp]
	mov [runner_ctx + 20], ecx
	mov esi, eax
	cmp dword [esi + E_RING3], 0
	jne .ring3
	mov esp, [esi + E_ESP]
	cmp dword [esi + E_STI], 0
	jne .ring0_sti
	push dword [esi + E_EFLAGS]
	popfd
	call load_regs_r0
	jmp [code_ptr]
.ring0_sti:
	; IF comes from STI: POPF cannot set it in ring 1 (a hole), STI traps
	push dword [esi + E_EFLAGS]
	popfd
	call load_regs_r0
	sti
	jmp [code_ptr]
.ring3:
	push dword SEL_UDATA            ; SS
	push dword [esi + E_ESP]        ; ESP
	mov eax, [esi + E_EFLAGS]
	cmp dword [esi + E_STI], 0
	je .no_if
	or eax, FL_IF
.no_if:
	push eax                        ; EFLAGS
	push dword SEL_UCODE            ; CS
	push dword DT_CODE              ; EIP
	mov ax, SEL_UDATA
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	mov eax, [ss:esi + E_EAX]
	mov ecx, [ss:esi + E_ECX]
	mov edx, [ss:esi + E_EDX]
	mov ebx, [ss:esi + E_EBX]
	mov ebp, [ss:esi + E_EBP]
	mov edi, [ss:esi + E_EDI]
	mov esi, [ss:esi + E_ESI]
	iret

; Loads the registers from [esi] without touching the flags or the stack
; below ESP (the CALL's return address is popped by the RET; its dword
; stays below ESP, the same on every run).
load_regs_r0:
	mov eax, [esi + E_EAX]
	mov ecx, [esi + E_ECX]
	mov edx, [esi + E_EDX]
	mov ebx, [esi + E_EBX]
	mov ebp, [esi + E_EBP]
	mov edi, [esi + E_EDI]
	mov esi, [esi + E_ESI]
	ret

; void seq_return(void): back into seq_enter's caller, on its stack.
global seq_return
seq_return:
	mov ebx, [runner_ctx + 0]
	mov esi, [runner_ctx + 4]
	mov edi, [runner_ctx + 8]
	mov ebp, [runner_ctx + 12]
	mov esp, [runner_ctx + 16]
	jmp [runner_ctx + 20]
