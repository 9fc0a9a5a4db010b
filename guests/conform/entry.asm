; entry.asm - the guest's exception entry, ring-3 excursions, setjmp/longjmp.
;
; Mechanism: on an exception or interrupt the CPU reads the vector's gate,
; switches to TSS.SS0:ESP0 if it came from ring 3, and pushes (SS, ESP,)
; EFLAGS, CS, EIP and, for some vectors, an error code.  A stub per vector
; pushes a 0 where the CPU pushes no error code, then the vector, so every
; trap reaches trap() (cpu.c) with one frame layout (struct frame).  The
; way back is a plain IRET: this guest wants to see what IRET does, it does
; not work around it (minios's "sti; iret" is the work-around).
;
; Two stubs are not C: iret_only (an IRET and nothing else, for checks that
; run on a stack C cannot use) and user_trampoline (the first ring-3 code of
; an excursion).

SEL_KDATA    equ 0x10
SEL_UCODE    equ 0x1B
SEL_UDATA    equ 0x23
V_USER_EXIT  equ 0x81
FL_RSVD1     equ 0x2

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
	cld
	push esp                ; struct frame *
	call trap
	add esp, 4
	popa
	pop gs
	pop fs
	pop es
	pop ds
	add esp, 8              ; vector, err
	iret

; An interrupt handler that only returns: for a check that takes an
; interrupt on a 16-bit stack segment, where no C can run.
global iret_only
iret_only:
	iret

; int setjmp(struct jmpbuf *b)
global setjmp
setjmp:
	mov eax, [esp + 4]
	mov [eax + 0], ebx
	mov [eax + 4], esi
	mov [eax + 8], edi
	mov [eax + 12], ebp
	lea ecx, [esp + 4]      ; ESP after our return
	mov [eax + 16], ecx
	mov ecx, [esp]
	mov [eax + 20], ecx
	xor eax, eax
	ret

; void longjmp(struct jmpbuf *b, int val)
global longjmp
longjmp:
	mov edx, [esp + 4]
	mov eax, [esp + 8]
	mov ebx, [edx + 0]
	mov esi, [edx + 4]
	mov edi, [edx + 8]
	mov ebp, [edx + 12]
	mov esp, [edx + 16]
	jmp [edx + 20]

; void enter_user(void (*fn)(void), u32 esp, u32 eflags): IRET to ring 3 at
; user_trampoline with EAX = fn.  Never returns: the excursion ends in trap().
global enter_user
enter_user:
	mov eax, [esp + 4]
	mov ecx, [esp + 8]
	mov edx, [esp + 12]
	or edx, FL_RSVD1
	push dword SEL_UDATA    ; SS
	push ecx                ; ESP
	push edx                ; EFLAGS
	push dword SEL_UCODE    ; CS
	push dword user_trampoline
	mov cx, SEL_UDATA
	mov ds, cx
	mov es, cx
	mov fs, cx
	mov gs, cx
	iret

; void enter_user_lret(void (*fn)(void), u32 esp): the same by a far RET to
; an outer ring (which pops SS:ESP too, and leaves EFLAGS as it is).
global enter_user_lret
enter_user_lret:
	mov eax, [esp + 4]
	mov ecx, [esp + 8]
	push dword SEL_UDATA    ; SS
	push ecx                ; ESP
	push dword SEL_UCODE    ; CS
	push dword user_trampoline
	mov cx, SEL_UDATA
	mov ds, cx
	mov es, cx
	mov fs, cx
	mov gs, cx
	retf

global user_trampoline
user_trampoline:
	call eax
	int V_USER_EXIT
	jmp $
