; entry.asm - the world switch: every trap's way into the monitor and
; every way back into the guest.
;
; Mechanism: the IDT sends each vector to its stub here.  A trap from the
; guest (ring 1 or 3) makes the CPU switch to the ring-0 stack the TSS
; names, the top of the vCPU page, and push ss, esp, eflags, cs, eip and,
; for some vectors, an error code.  The stub evens out the error code and
; pushes the vector; sw_alltraps saves the general and segment registers
; (struct trapframe in src/monitor/vcpu.h), loads the monitor's segments
; and CR3, moves to the monitor's stack and calls guest_trap().  When that
; returns, the exit path loads ES and DS from the (possibly changed) frame
; (a kept hidden descriptor through its patched slot, KEPT_OR), then the
; guest's shadow CR3, pops the rest and IRETs into the guest.
;
; This code is assembled into the monitor but *runs* from a copy in the
; switcher's code pages (SW_CODE_OFF), mapped at the same linear address in
; both address spaces, so it can change CR3 under its own feet.  Hence it
; uses only relative jumps among its own labels, and absolute addresses only
; for the switcher's fixed locations (asm_offsets.inc), never a monitor
; label.  switcher.c copies [sw_code_start, sw_code_end) and points the IDT
; at the copies using sw_vector_offsets.
;
; A trap taken in ring 0 (the monitor itself: its idle HLT, the watchdog's
; NMI, a fault in the exit path, or a bug) stays on the current stack and
; goes to host_trap() instead; if host_trap returns, the CR3 the trap came
; in on is restored (an NMI can arrive in the exit path after the switch
; to the guest's shadow CR3).  Where a trap came from is decided from the frame as the CPU
; defines it: a guest trap has CS.RPL > 0 *or* EFLAGS.VM set (in
; virtual-8086 mode CS holds a real-mode segment, whose low bits may be 0).
;
; The entry stub reads only the public data (the monitor's CR3) before it
; switches CR3; the monitor's stack and entry points are on the private
; page, mapped in the monitor's address space only.
;
; espfix (switcher.c): when the guest returns to a 16-bit stack segment,
; the exit path pops the frame through SEL_MON_ESPFIX, a ring-0 stack
; segment whose base makes ESP's high half the guest's.  A fault in the
; exit path then arrives on that segment; sw_from_ring0 moves back to the
; flat one before calling C.
;
; Debug registers (src/monitor/debugreg.h): the guest's breakpoints are
; in the real DR7 only from sw_resume's last steps to the next entry, and in
; the fast path, all of which run in the switcher's pages, which no guest
; breakpoint can name; sw_alltraps and sw_from_ring0 load the monitor's DR7
; before any monitor code or stack is touched (a guest instruction
; breakpoint on the monitor's own #DB handler would otherwise recurse).
;
; Invariants: DF is 0 in the monitor (cld at sw_alltraps: a guest that
; set DF would otherwise run the monitor's string copies backwards); all
; gates are interrupt gates, so IF is 0 from the gate to the IRET, except while the monitor idles for an emulated HLT (host_idle: sti;
; hlt; cli), whose interrupts take the ring-0 path; nothing here writes
; outside the vCPU page's stack and, for ring-0 traps, the current stack.

%include "asm_offsets.inc"

; Vectors for which the CPU pushes an error code: EXC_ERR_MASK, defined
; once in src/trap/reflect.h.
%macro HAS_ERR 1
  %assign has_err 0
  %if %1 < 32
    %assign has_err (EXC_ERR_MASK >> %1) & 1
  %endif
%endmacro

; Loads data segment register %1 with the selector in ECX, or with null
; if the selector no longer names a readable segment (VERR at CPL 0) or
; one that is present: VERR does not look at P, and the monitor marks
; present guest descriptors not present (vdesc.c: user code while the
; guest kernel runs, in ring=3 the kernel's segments while user code
; runs); a GS still holding one, reloaded here after an NMI, was a #NP in
; ring 0, a panic.  Clobbers EAX.
LAR_P       equ 0x8000          ; P in LAR's access rights
%macro SAFE_LOAD 1
	verr cx
	jnz %%null
	lar eax, ecx
	test eax, LAR_P
	jnz %%ok
%%null:
	xor ecx, ecx
%%ok:
	mov %1, cx
%endmacro

; Loads data segment register %1 with the selector in ECX as it is.
%macro PLAIN_LOAD 1
	mov %1, cx
%endmacro

; An 8-byte descriptor from [ss:src] to [ss:dst], through EAX.
%macro COPY_DESC 2
	mov eax, [ss:%2]
	mov [ss:%1], eax
	mov eax, [ss:%2 + 4]
	mov [ss:%1 + 4], eax
%endmacro

; KEPT_OR sreg, keep, selector, load: loads DS or ES with the selector
; (a word in memory).  If the monitor keeps that register's hidden
; descriptor (keep, a struct sw_keep armed for this selector: the guest
; loaded it before its GDT or LDT lost the entry, and the CPU would keep
; it until the next load, vdesc.c), the selector's real slot holds that
; descriptor for this one load and then what the table holds again: in
; ring 0, interrupts off, on the monitor's CR3 (where the tables are
; writable), so the guest never runs with it there.  An LDT selector
; beyond the guest's LDT is loaded through a real LDTR whose limit
; reaches its slot, the guest's own (or null) again right after.  Else
; the load macro (PLAIN_LOAD or SAFE_LOAD) does it.  Every access goes
; through SS, the monitor's flat segment: DS may already be the guest's.
; Clobbers EAX, ECX, EDX.
%macro KEPT_OR 4
	movzx ecx, word %3
	mov edx, [ss:%2 + KEEP_SLOT]
	test edx, edx
	jz %%other
	cmp ecx, [ss:%2 + KEEP_SEL]
	jne %%other
	COPY_DESC edx, %2 + KEEP_DESC
	cmp dword [ss:%2 + KEEP_LDTR], 0
	je %%load
	COPY_DESC SW_GDT_MON_LDT, %2 + KEEP_LDT
	mov ax, SEL_MON_LDT
	lldt ax
%%load:
	mov %1, cx
	cmp dword [ss:%2 + KEEP_LDTR], 0
	je %%restore
	COPY_DESC SW_GDT_MON_LDT, %2 + KEEP_LDT_AFTER
	lldt [ss:%2 + KEEP_LDTR_AFTER]
%%restore:
	COPY_DESC edx, %2 + KEEP_TABLE
	jmp %%done
%%other:
	%4 %1
%%done:
%endmacro

%macro VECTOR 1
sw_vector%1:
  %if %1 == 13
	jmp sw_fast_gp                  ; #GP: CLI and STI may not need C
  %endif
  %if %1 == 14
	jmp sw_fast_pf                  ; #PF: a store to TSS.ESP0 or to a
					; page table may not
  %endif
  HAS_ERR %1
  %if has_err == 0
	push dword 0
  %endif
	push dword %1
	jmp sw_alltraps
%endmacro

section .text
global sw_code_start, sw_code_end
sw_code_start:

%assign i 0
%rep 256
	VECTOR i
%assign i i+1
%endrep

; The fast path (DESIGN.md section 3): a #GP raised in the guest kernel by
; an instruction that touches only the vCPU is done here, in the guest's
; address space, with nothing saved but EAX (and EDX): 25 to 55
; instructions instead of a world switch of 400 or more.  The instructions:
; CLI and STI (the virtual IF), MOV CR3 to a cached shadow (below), MOV
; from CR0/2/3/4 and IN AL from a port whose value the monitor published
; (both below).  It applies when the frame is the kernel's flat code
; segment and 32-bit stack (sw_data->kcs, kss, read-only to the guest:
; the stub reads the instruction at linear EIP and its IRET must not
; return to a 16-bit stack), no TF or vm86, and the instruction at EIP,
; unprefixed, is one of those.  (Its error code is then 0, unchecked: each
; of them raises only #GP(0), and a #GP with a selector or gate in its error
; code at one of those bytes would need the delivery of an event there to
; fail, but every real IDT gate an event can take is the monitor's own, and
; a direct gate is taken only by INT n, whose EIP is the INT.)  CLI also needs the user
; code segments hidden (else the kernel's next return to user mode would
; not trap, and could not set IF): already, or by its own LGDT of the GDT
; that hides them (vdesc.c); STI needs no virtual interrupt due (else C
; delivers it), and shows them again by LGDT where C allows (a kernel's
; CLI ... STI; IRET to user mode then takes one trap, not three).  The
; GDTR images are C's, on the switcher's data page (read-only to the
; guest), and each names one of the two GDTs, both validated: whichever
; the CPU holds keeps the isolation invariant.  Everything else goes to
; sw_alltraps.  The state is sw_fast, at the bottom of the vCPU page (switcher.h); all
; accesses go through SS, the monitor's flat data segment, since DS is
; still the guest's.  The instruction bytes are read at linear EIP (the code
; segment is flat): the CPU fetched them from there a moment ago, all of
; them, since it decoded the instruction before it raised #GP; so no byte
; read here can fault, and the bytes are the ones that trapped (a
; decoded-instruction cache would have to prove that; reading them is
; cheaper than any cache lookup).
sw_fast_gp:
	test dword [ss:esp + 12], FL_VM | FL_TF         ; [esp]: err, eip, cs, eflags
	jnz .slow
	push eax
	mov eax, [ss:esp + 12]                          ; cs
	cmp eax, [ss:SW_DATA_KCS]
	jne .slow_eax
	mov eax, [ss:esp + 24]                          ; ss
	cmp eax, [ss:SW_DATA_KSS]
	jne .slow_eax
	mov eax, [ss:esp + 8]                           ; eip
	cmp byte [ss:eax], 0xFA
	je .cli
	cmp byte [ss:eax], 0xFB
	jne .not_sti
	cmp byte [ss:SW_FAST_VIF], 0
	jne .sti_on                                     ; already on: no shadow
	cmp byte [ss:SW_FAST_PENDING], 0                ; sti: nothing due?
	jne .slow_eax
.sti_fast:                                              ; (a label for make profile)
	inc dword [ss:SW_FAST_STI]
	mov byte [ss:SW_FAST_VIF], 1
	lgdt [ss:SW_DATA_GDTR_STI]                      ; user code shown, if C allows
	inc eax
	mov [ss:SW_FAST_SHADOW_EIP], eax                ; interrupts after the next one
	or dword [ss:esp + 16], FL_IF
	inc dword [ss:esp + 8]                          ; the epilogue, inline: STI
	pop eax                                         ; is half of every pair
	add esp, 4
	iret
.sti_on:                                                ; (nothing is due while IF is on)
	inc dword [ss:SW_FAST_STI]
	jmp .next
.cli:
	cmp byte [ss:SW_FAST_CLI_FAST], 0
	je .slow_eax
.cli_fast:                                              ; (a label for make profile)
	inc dword [ss:SW_FAST_CLI]
	lgdt [ss:SW_DATA_GDTR_CLI]                      ; user code hidden
	mov byte [ss:SW_FAST_VIF], 0                    ; off, whether or not it was:
	and dword [ss:esp + 16], ~FL_IF                 ; fast_enter sees the change
							; and dates it (iflag=real)
.next:
	inc dword [ss:esp + 8]                          ; both are one byte long
	pop eax
	add esp, 4                                      ; the error code
	iret
.not_sti:
	cmp byte [ss:eax], 0x0F
	je .two_byte
	cmp byte [ss:eax], 0xE4
	je .in_imm
	cmp byte [ss:eax], 0xEC
	je .in_dx
.slow_eax:
	pop eax
.slow:
	push dword 13
	jmp sw_alltraps
.two_byte:
	cmp byte [ss:eax + 1], 0x22
	je .mov_cr3
	cmp byte [ss:eax + 1], 0x20
	je .mov_from_cr
	cmp byte [ss:eax + 1], 0x01
	je .invlpg
	jmp .slow_eax

; INVLPG m (0F 01 /7 with a memory operand) when the shadow strategy has
; nothing to do for it (sw_data->invlpg_free, read-only to the guest:
; shadow=cached, which has seen every write to the guest's page tables and
; changed the shadows then).  The CPU raised #GP before computing the
; address, and nothing else about the instruction is visible: EIP moves
; past it, by a length that ModRM and SIB give (no prefix: the opcode is
; the byte at EIP).  Every other 0F 01 (LGDT, LIDT, SMSW's neighbours, the
; register forms) goes to C.
.invlpg:
	cmp dword [ss:SW_DATA_INVLPG_FREE], 0
	je .slow_eax
	push edx
	movzx edx, byte [ss:eax + 2]                    ; ModRM
	mov eax, edx
	and eax, 0x38
	cmp eax, 0x38                                   ; reg: /7
	jne .slow_edx
	cmp edx, 0xC0
	jae .slow_edx                                   ; mod 3: not INVLPG
.invlpg_fast:                                           ; (a label for make profile)
	mov eax, edx
	and eax, 7                                      ; rm
	cmp eax, 4
	jne .no_sib
	mov eax, [ss:esp + 12]                          ; eip
	movzx eax, byte [ss:eax + 3]                    ; SIB
	and eax, 7                                      ; its base,
	or eax, 8                                       ; and bit 3: a SIB byte
.no_sib:                                                ; eax: rm, or 8 + SIB base
	shr edx, 6                                      ; mod
	jz .mod_0
	cmp edx, 1
	mov edx, 1                                      ; mod 1: disp8
	je .have_disp
	mov edx, 4                                      ; mod 2: disp32
	jmp .have_disp
.mod_0:                                                 ; disp32 only for rm 5 or SIB base 5
	mov edx, eax
	and edx, 7
	cmp edx, 5
	mov edx, 0
	jne .have_disp
	mov edx, 4
.have_disp:
	shr eax, 3                                      ; 1 with a SIB byte
	lea eax, [eax + edx + 3]                        ; 0F 01 ModRM [SIB] [disp]
	add [ss:esp + 12], eax                          ; eip
	inc dword [ss:SW_FAST_INVLPG]
	pop edx
	pop eax
	add esp, 4
	iret

; IN AL, imm8 (E4 ib) and IN AL, DX (EC) from a port in sw_data->in: a
; one-byte read that changes nothing in the device and returns what only a
; port write (which goes to C) can change, published by the monitor after
; every trap through C (switcher_set_fast_reads; devices_stable_reads says
; which ports qualify).  The guest kernel (CPL 0 to the guest) may always
; do I/O, so the I/O permission check passes as it would in C.  AL gets the
; value, EIP moves past the instruction (no prefix: the opcode is the byte
; at EIP), nothing else changes.  Time and interrupts are left to the next
; trap through C (the host's timer brings one), as for the native IN of a
; guest that has nothing to trap for.
.in_imm:
	push edx
	movzx edx, byte [ss:eax + 1]                    ; the port
	mov eax, 2                                      ; the length
	jmp .in_port
.in_dx:
	push edx
	movzx edx, dx
	mov eax, 1
.in_port:                                               ; [esp]: edx, eax, err, eip
	cmp edx, [ss:SW_DATA_IN]
	je .in_0
	cmp edx, [ss:SW_DATA_IN + 8]
	jne .slow_edx
	mov dl, [ss:SW_DATA_IN + 12]
	jmp .in_fast
.in_0:
	mov dl, [ss:SW_DATA_IN + 4]
.in_fast:                                               ; (a label for make profile)
	add [ss:esp + 12], eax                          ; eip
	mov [ss:esp + 4], dl                            ; AL, in the saved EAX
	inc dword [ss:SW_FAST_IN]
	pop edx
	pop eax
	add esp, 4
	iret

; MOV r32, CRn (0F 20 /r; the CPU takes ModRM as a register form whatever
; its mod) for CR0, CR2, CR3 and CR4: the guest's own values, which the
; monitor leaves in sw_fast->cr at every exit (CR3 also as this stub's MOV
; CR3 leaves it).  The vCPU page is the guest's to write, so a guest can
; make these read back whatever it wrote there, as it could keep its own
; copy; the monitor never reads cr[0], cr[2] or cr[4] back.  CR1 and CR5-7
; (#UD) and a destination ESP go to C.
.mov_from_cr:
	push edx
	movzx edx, byte [ss:eax + 2]                    ; ModRM
	mov eax, edx
	and eax, 7
	cmp eax, 4
	je .slow_edx                                    ; ESP: rare, leave it to C
	mov eax, edx
	shr eax, 3
	and eax, 7                                      ; n
	cmp eax, 4
	ja .slow_edx                                    ; CR5-CR7: #UD
	cmp eax, 1
	je .slow_edx                                    ; CR1: #UD
.mov_from_cr_fast:                                      ; (a label for make profile)
	mov eax, [ss:SW_FAST_CRS + eax * 4]
	inc dword [ss:SW_FAST_MOV_FROM_CR]
	add dword [ss:esp + 12], 3                      ; eip past 0F 20 xx
	and edx, 7                                      ; the destination
	jz .w_eax
	dec edx
	jz .w_ecx
	dec edx
	jz .w_edx
	dec edx
	jz .w_ebx
	sub edx, 2
	jz .w_ebp
	dec edx
	jz .w_esi
	mov edi, eax
	jmp .cr_done
.w_eax:	mov [ss:esp + 4], eax
	jmp .cr_done
.w_ecx:	mov ecx, eax
	jmp .cr_done
.w_edx:	mov [ss:esp], eax
	jmp .cr_done
.w_ebx:	mov ebx, eax
	jmp .cr_done
.w_ebp:	mov ebp, eax
	jmp .cr_done
.w_esi:	mov esi, eax
.cr_done:
	pop edx
	pop eax
	add esp, 4
	iret

; MOV CR3, r32 (0F 22 /3, ModRM 11 011 rrr) to a guest CR3 whose shadow the
; shadow MMU has built and still keeps (sw_data->cr3, read-only to the
; guest: only roots the monitor made are ever loaded here), with guest
; paging on.  The new value is left in sw_fast->cr3 for guest_trap() to
; take over at the next trap.  Frame 0 goes to C: an empty slot holds key
; 0 and root 0, and a guest CR3 of 0-0xFFF matched it and loaded host
; frame 0 as the page directory (the host's triple fault, not the guest's).
.mov_cr3:
	push edx
	movzx edx, byte [ss:eax + 2]                    ; ModRM: 11 011 rrr
	xor edx, 0xD8                                   ; rrr, the source register,
	cmp edx, 7                                      ; if it was that form
	ja .slow_edx
	cmp dword [ss:SW_DATA_PAGING], 0
	je .slow_edx
	jmp [ss:SW_CODE_VA + (.cr3_src - sw_code_start) + edx * 4]
.cr3_src:                                               ; by rrr: the copy's addresses
	dd SW_CODE_VA + (.r_eax - sw_code_start), SW_CODE_VA + (.r_ecx - sw_code_start)
	dd SW_CODE_VA + (.r_edx - sw_code_start), SW_CODE_VA + (.r_ebx - sw_code_start)
	dd SW_CODE_VA + (.slow_edx - sw_code_start)     ; ESP: rare, leave it to C
	dd SW_CODE_VA + (.r_ebp - sw_code_start), SW_CODE_VA + (.r_esi - sw_code_start)
	dd SW_CODE_VA + (.r_edi - sw_code_start)
.r_edi:	mov eax, edi
	jmp .have_cr3
.r_ecx:	mov eax, ecx
	jmp .have_cr3
.r_edx:	mov eax, [ss:esp]
	jmp .have_cr3
.r_ebx:	mov eax, ebx
	jmp .have_cr3
.r_ebp:	mov eax, ebp
	jmp .have_cr3
.r_esi:	mov eax, esi
	jmp .have_cr3
.r_eax:	mov eax, [ss:esp + 4]                           ; (the usual one: no jump)
.have_cr3:
	mov edx, eax
	shr edx, 12
	jz .slow_edx                                    ; frame 0 is an empty slot's key
	and edx, SW_CR3_SLOT_MASK
	xor eax, [ss:SW_DATA_CR3_HINTS + edx * 8]       ; below 0x1000 iff the frame
	cmp eax, 0x1000                                 ; is the key's (the low bits
	jae .slow_edx                                   ; are flags); else C builds one
	xor eax, [ss:SW_DATA_CR3_HINTS + edx * 8]       ; the value again
.mov_cr3_fast:                                          ; (a label for make profile)
	mov [ss:SW_FAST_CR3], eax
	mov eax, [ss:SW_DATA_CR3_HINTS + edx * 8 + 4]
	mov cr3, eax
	inc dword [ss:SW_FAST_MOV_CR3]
	add dword [ss:esp + 12], 3                      ; eip past 0F 22 xx
	pop edx
	pop eax
	add esp, 4
	iret
.slow_edx:
	pop edx
	pop eax
	push dword 13
	jmp sw_alltraps

; The #PF fast path (src/trap/fastesp0.c says why each check is there and
; why it is safe): the guest kernel's store to its TSS.ESP0, the one C
; armed it for, done without C.  Filters first, in the guest's address
; space (error code present|write from ring 1, no VM or TF, CR2 the ESP0
; dword of sw_data); then the monitor's address space, where the private
; page holds what C recorded: the shadow root, EIP, CS and the bytes of
; the store (read from the host frame of its code), the register it
; stores, and the host address of the guest's ESP0.  The value goes there
; and into the real TSS.ESP1 (the direct gates' ring-1 stack), EIP moves
; past the store, and the guest's CR3 is back for the IRET.  Any mismatch
; goes back to the guest's CR3 and on to sw_alltraps as vector 14.
sw_fast_pf:                                             ; [esp]: err, eip, cs, eflags
	cmp dword [ss:esp], PFE_P | PFE_W
	jne .slow
	test dword [ss:esp + 12], FL_VM | FL_TF
	jnz .slow
	pushad                                          ; [esp + 32]: err, eip, cs
	mov eax, cr2
	cmp eax, [ss:SW_DATA_ESP0_VA]
	jne .ptw
	mov esi, cr3                                    ; the shadow it faulted in
	mov eax, [ss:SW_DATA_MON_CR3]
	mov cr3, eax
	cmp esi, [ss:SW_ESP0_ROOT]
	jne .back
	mov eax, [ss:esp + 36]                          ; eip
	cmp eax, [ss:SW_ESP0_EIP]
	jne .back
	mov eax, [ss:esp + 40]                          ; cs
	cmp eax, [ss:SW_ESP0_CS]
	jne .back
	mov eax, [ss:esp + 52]                          ; ss: the flat 32-bit one, or the
	cmp eax, [ss:SW_DATA_KSS]                       ; IRET to a 16-bit SS would leave
	jne .back                                       ; this stack's high half in ESP
	mov edx, [ss:SW_ESP0_CODE]                      ; the store's bytes, now
	mov eax, [ss:edx]
	cmp eax, [ss:SW_ESP0_HEAD]                      ; (at least 4 bytes long)
	jne .back
	mov eax, [ss:edx + 4]
	xor eax, [ss:SW_ESP0_TAIL]
	test eax, [ss:SW_ESP0_TAIL_MASK]
	jnz .back
.esp0_fast:                                             ; (a label for make profile)
	mov edx, [ss:SW_ESP0_SRC]
	mov eax, [ss:esp + edx]                         ; the source register
	mov edx, [ss:SW_ESP0_HOST]
	mov [ss:edx], eax                               ; the guest's TSS.ESP0
	mov [ss:SW_TSS_ESP1], eax                       ; the real TSS.ESP1
	inc dword [ss:SW_ESP0_COUNT]
	mov eax, [ss:SW_ESP0_LEN]
	add [ss:esp + 36], eax                          ; eip past the store
	mov cr3, esi
	popad
	add esp, 4                                      ; the error code
	iret
.back:
	mov cr3, esi
.slow_popad:
	popad
.slow:
	push dword 14
	jmp sw_alltraps

; The #PF fast path's other store (src/trap/fastptw.c says why each check
; is there and why it is safe): the guest kernel's MOV to an entry of one
; of its page tables, at an EIP C armed (sw_data->ptw: the sites C
; decoded, read-only to the guest).  In the guest's address space: CS, SS
; and DS the flat kernel selectors, the bytes at linear EIP the site's, the
; operand's address (base + index << scale + disp, from the registers the
; trap saved) CR2 and a whole entry.  In the monitor's: the shadow entry
; of CR2 marked SPTE_PT_WRITABLE (the guest's tables let its kernel write
; there), mapping a frame C armed (sw_priv->ptw) whose unprotect count is
; below its limit.  Then what C's wrote_frame() does: the value into the
; guest's entry, P cleared in the entry at the same index of each shadow
; page table built from the frame, the write counted; EIP moves past the
; store.  The CR3 round trip flushes the TLB of the dropped entries.  Any
; mismatch goes on to sw_alltraps as vector 14, as before.
.ptw:                                                   ; eax: CR2
	push dword 0                                    ; a register the site does not use
	mov edx, [ss:esp + 40]                          ; [esp]: 0, pushad, err, eip, cs,
	mov ebx, SW_DATA_PTW                            ; eflags, esp, ss
.site:
	cmp edx, [ss:ebx + SITE_EIP]
	je .site_found
	add ebx, SITE_SIZE
	cmp ebx, SW_DATA_PTW + SW_PTW_SITES * SITE_SIZE
	jb .site
	jmp .ptw_slow
.site_found:                                            ; ebx: the site
	mov ecx, [ss:esp + 44]                          ; cs
	cmp ecx, [ss:SW_DATA_KCS]
	jne .ptw_slow
	mov ecx, [ss:esp + 56]                          ; ss
	cmp ecx, [ss:SW_DATA_KSS]
	jne .ptw_slow
	mov ecx, ds
	cmp ecx, [ss:SW_DATA_PTW_DS]
	jne .ptw_slow
	mov ecx, [ss:edx]                               ; the bytes at EIP, read where the
	and ecx, [ss:ebx + SITE_HEAD_MASK]              ; CPU fetched them (CS is flat;
	cmp ecx, [ss:ebx + SITE_HEAD]                   ; the site is at most 8 bytes
	jne .ptw_slow                                   ; before its page's end)
	mov ecx, [ss:edx + 4]
	and ecx, [ss:ebx + SITE_TAIL_MASK]
	cmp ecx, [ss:ebx + SITE_TAIL]
	jne .ptw_slow
	mov edx, [ss:ebx + SITE_INDEX]
	mov edx, [ss:esp + edx]
	mov ecx, [ss:ebx + SITE_SCALE]
	shl edx, cl
	mov ecx, [ss:ebx + SITE_BASE]
	add edx, [ss:esp + ecx]
	add edx, [ss:ebx + SITE_DISP]                   ; the operand (DS is flat)
	cmp edx, eax
	jne .ptw_slow                                   ; it does not start at CR2
	test eax, 3
	jnz .ptw_slow                                   ; not one whole entry
	cmp eax, SWITCHER_BASE
	jae .ptw_slow
	mov edi, [ss:ebx + SITE_SRC]
	mov edi, [ss:esp + edi]
	or edi, [ss:ebx + SITE_IMM]                     ; the value
	mov esi, cr3                                    ; the shadow it faulted in
	mov ecx, [ss:SW_DATA_MON_CR3]
	mov cr3, ecx
	mov edx, esi
	and edx, PTE_ADDR
	mov ecx, eax
	shr ecx, 22
	mov edx, [ss:edx + ecx * 4]                     ; the shadow PDE
	mov ecx, edx
	and ecx, PTE_P | PTE_PS
	cmp ecx, PTE_P
	jne .ptw_back
	and edx, PTE_ADDR
	mov ecx, eax
	shr ecx, 12
	and ecx, 0x3FF
	mov edx, [ss:edx + ecx * 4]                     ; the shadow PTE that refused it
	mov ecx, edx
	and ecx, PTE_P | SPTE_PT_WRITABLE
	cmp ecx, PTE_P | SPTE_PT_WRITABLE
	jne .ptw_back
	and edx, PTE_ADDR | PTE_P                       ; its frame, as C keys it
	mov ecx, edx
	shr ecx, 12
	and ecx, SW_PTW_FRAMES - 1
	imul ecx, ecx, FRAME_SIZE
	add ecx, SW_PRIV_PTW                            ; its entry (direct-mapped)
	cmp edx, [ss:ecx + FRAME_KEY]
	jne .ptw_back                                   ; not armed
	mov ebp, [ss:ecx + FRAME_WRITES]
	movzx edx, byte [ss:ebp]
	cmp edx, [ss:ecx + FRAME_WRITES_MAX]
	jae .ptw_back                                   ; the write that unprotects: C's
.ptw_fast:                                              ; (a label for make profile)
	inc byte [ss:ebp]
	and eax, PTE_OFFSET                             ; the entry's offset in its table
	mov edx, [ss:ecx + FRAME_HOST]
	mov [ss:edx + eax], edi                         ; the store
	mov edx, [ss:ecx + FRAME_N]
.drop:                                                  ; each shadow table built from it
	dec edx
	js .dropped
	mov ebp, [ss:ecx + FRAME_SPT + edx * 4]
	and dword [ss:ebp + eax], ~PTE_P                ; (cached.c reaps it)
	jmp .drop
.dropped:
	inc dword [ss:SW_PTW_COUNT]
	mov ebx, [ss:ebx + SITE_LEN]
	add [ss:esp + 40], ebx                          ; eip past the store
	and dword [ss:esp + 48], ~FL_RF                 ; (Bochs sets it in a fault's frame)
	mov cr3, esi
	add esp, 4
	popad
	add esp, 4                                      ; the error code
	iret
.ptw_back:
	mov cr3, esi
.ptw_slow:
	add esp, 4
	jmp .slow_popad

sw_alltraps:
	cld                             ; the guest's DF is in the frame; C expects 0
	pushad
	push ds
	push es
	push fs
	push gs
	mov ax, SEL_MON_DS
	mov ds, ax
	mov es, ax
	mov esi, cr3                    ; the address space the trap came from
	mov eax, [SW_DATA_MON_CR3]
	mov cr3, eax
	mov ebx, esp                    ; struct trapframe * (SS-relative)
	test dword [ss:ebx + TF_EFLAGS], FL_VM
	jnz .from_guest
	test byte [ss:ebx + TF_CS], 3
	jz sw_from_ring0
.from_guest:
	mov eax, [SW_PRIV_DR7_MONITOR]  ; the guest's breakpoints off before the
	cmp eax, [SW_PRIV_DR7_GUEST]    ; monitor touches its own stack or code
	je .dr7_done
	mov dr7, eax
.dr7_done:
	mov esp, [SW_PRIV_MON_STACK]
	push ebx
	call [SW_PRIV_GUEST_TRAP]
	; guest_trap() returned: resume the guest

sw_resume:
	mov esp, VCPU_FRAME
sw_exit_start:
	; ES and DS first, on the monitor's CR3: a kept one's slot is patched
	; for its load (KEPT_OR).  From here on every access goes through SS.
	KEPT_OR es, SW_PRIV_KEEP_ES, [ss:esp + TF_ES], PLAIN_LOAD
	KEPT_OR ds, SW_PRIV_KEEP_DS, [ss:esp + TF_DS], PLAIN_LOAD
	mov eax, [ss:SW_PRIV_DR7_GUEST] ; the guest's breakpoints on: from here to
	cmp eax, [ss:SW_PRIV_DR7_MONITOR] ; the IRET only switcher pages are touched
	je .dr7_done
	mov dr7, eax
.dr7_done:
	mov eax, [ss:SW_PRIV_GUEST_CR3]
	mov ecx, [ss:SW_PRIV_ESPFIX_ESP] ; read while the private page is mapped
	mov cr3, eax
	test ecx, ecx
	jz .pop
	mov ax, SEL_MON_ESPFIX          ; the same frame, ESP's high half the guest's
	mov ss, ax
	mov esp, ecx
.pop:
	add esp, 16                     ; GS, FS: never reloaded.  The monitor does
					; not touch them, so they keep the guest's
					; hidden descriptors, as a real CPU does even
					; after the guest edits its GDT; IRET nulls
					; them for an outer ring where they are not
					; valid, as it does for the guest's own IRET.
					; ES, DS: loaded above
	popad
	add esp, 8                      ; vector, error code
	iret
sw_exit_end:

sw_from_ring0:                  ; esi: the CR3 to go back to (callee-saved)
	xor edi, edi                    ; edi: the espfix base to go back to, or 0
	mov ax, ss
	cmp ax, SEL_MON_ESPFIX
	jne .flat
	mov edi, [SW_PRIV_ESPFIX_BASE]  ; a fault or NMI in the espfix exit path
	mov cx, SEL_MON_DS
	mov ss, cx
	add esp, edi
	mov ebx, esp
.flat:
	mov ebp, dr7                    ; the exit path or the fast path may have
	mov eax, [SW_PRIV_DR7_MONITOR]  ; had the guest's breakpoints on: off for
	mov dr7, eax                    ; the monitor's C code, back after it
	push ebx
	call [SW_PRIV_HOST_TRAP]        ; returns for IRQs and watchdog NMIs
	add esp, 4
	; ES and DS as pushed, loaded on the monitor's CR3, through the flat SS.
	; An NMI can arrive at a stub's first instruction or in the exit path,
	; with the guest's data selectors loaded: one the monitor keeps (the
	; exit path loaded it from a patched slot) is loaded the same way
	; again; any other that is stale (the guest may have changed its GDT
	; since it loaded it) cannot be reloaded, so it comes back null
	; (guest_trap then counts it dropped).
	KEPT_OR es, SW_PRIV_KEEP_ES, [ss:ebx + TF_ES], SAFE_LOAD
	KEPT_OR ds, SW_PRIV_KEEP_DS, [ss:ebx + TF_DS], SAFE_LOAD
	mov dr7, ebp
	mov cr3, esi                    ; an NMI may have hit the exit path
	test edi, edi
	jz .segments
	mov ax, SEL_MON_ESPFIX          ; back on the espfix stack, same linear
	mov ss, ax
	sub esp, edi
.segments:
	; GS, FS: not reloaded, as on the exit path: nothing in the monitor
	; touches them, so they still hold what was pushed, with the guest's
	; hidden descriptors.  Reloading them could fault: VERR does not
	; check presence, and a guest user code segment loaded in FS is not
	; present in the real GDT while the guest kernel runs (a monitor
	; panic on the watchdog NMI, found by the differential tester).
	; ES, DS: loaded above.
	add esp, 16
	popad
	add esp, 8
	iret

sw_code_end:

section .rodata
global sw_vector_offsets, sw_resume_offset, sw_exit_offsets
sw_vector_offsets:
%assign i 0
%rep 256
	dd sw_vector %+ i - sw_code_start
%assign i i+1
%endrep
sw_resume_offset:
	dd sw_resume - sw_code_start
sw_exit_offsets:
	dd sw_exit_start - sw_code_start, sw_exit_end - sw_code_start
