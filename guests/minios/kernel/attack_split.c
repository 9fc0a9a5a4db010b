/*
 * attack_split.c - user code against the wall between a kernel and its
 * user programs: paging's U/S bit and the descriptors' DPL, after every
 * kind of transition between them.
 *
 * Mechanism: on bare hardware the kernel runs at CPL 0 and its user code at
 * CPL 3; a page whose PTE (or PDE) has U/S = 0 is the kernel's, and a user
 * read of it is #PF with error code P=1, U=1 (0x5; a write 0x7), CR2 the
 * address.  A segment of DPL 0 cannot be loaded at CPL 3: #GP(selector).
 * A monitor with ring=1 keeps both walls as they are (the kernel in ring 1
 * is still supervisor).  With ring=3 the guest kernel runs at CPL 3 too, so
 * neither wall works by itself: the monitor gives each address space two
 * shadows (the kernel's view maps every page user-accessible, the user
 * view only user pages) and switches them on every transition, and it
 * marks the kernel's segments not present while user code runs.  One
 * transition it missed would let user code read kernel memory.  Each
 * attack makes one kind of transition, with the kernel writing the target
 * page just before it returns (so the kernel's view has the entry cached,
 * writable), then user code reads or writes it.  Hardware and monitor must
 * agree in every line (native=SAME), under both rings and shadows:
 *
 *   split-iret       entered by IRET and by far RET: reads and writes of a
 *                    supervisor PTE under a user PDE, and of the kernel's
 *                    4 MB direct map; FS and GS the kernel left loaded are
 *                    null in user mode (the CPU nulls them on IRET)
 *   split-irq        the timer's IRQ 0 interrupted user code and returned
 *   split-exc        #UD, #GP and #PF reflected to the kernel and returned
 *   split-syscall    INT 0x80 returned, and SYSENTER/SYSEXIT (minios's
 *                    own system calls use INT 0x80 only)
 *   split-switch-fault  the kernel's IRET to user mode faults (#SS: the
 *                    user stack segment not present; #NP: the user code
 *                    segment not present); the kernel fixes the descriptor
 *                    and returns to the IRET, which then goes through; and
 *                    a #PF on the user stack page right after the IRET
 *   split-revoke     a user page user code has read (so the user view has
 *                    it) loses U/S (INVLPG, or a CR3 reload): the next read
 *                    is #PF 0x5; and a read-only user page the kernel wrote
 *                    with CR0.WP = 0: user code still cannot write it
 *   split-cr3        the kernel switches CR3 to another address space (the
 *                    same kernel half and attack page table), back, and to
 *                    it again, each time before it returns
 *   split-selectors  user code loads the kernel's selectors: MOV to DS, ES,
 *                    FS, GS, SS, LSS, far JMP, far CALL, IRET and far RET
 *                    to the kernel's CS, a DPL-2 data segment: #GP(sel)
 *   split-conforming the kernel returns to user code in a conforming code
 *                    segment of DPL 0 (CPL becomes the selector's RPL, 3),
 *                    by IRET and far RET from its own code and from that
 *                    conforming code itself (entered by far JMP or CALL,
 *                    at CPL 0); user code enters the conforming code
 *                    itself, by far JMP and far CALL (RPL 0 and 3), by
 *                    INT through a DPL-3 gate and by far CALL through a
 *                    call gate (CPL stays 3 each time): a read of the
 *                    kernel page is #PF 0x5 as anywhere in user mode.
 *                    ring=3 hides conforming code from the kernel and runs
 *                    the kernel's through an alias, so each of these
 *                    returns traps (docs/security.md); the INT case once
 *                    ran the handler on the kernel's stack and view
 *   split-cs-in-gs   user code loads its own code selector into GS (a
 *                    readable code segment: allowed), makes a system call;
 *                    the kernel spins with interrupts off on emulated INs
 *                    (the monitor's watchdog NMI arrives in the monitor)
 *                    and returns through its usual path (POP GS ... IRET).
 *                    Hardware: GS 0x1b afterwards.  The monitor hides user
 *                    code segments while the kernel runs with interrupts
 *                    off (ring=1) or always (ring=3): it once panicked on
 *                    the NMI (reloading GS), and the kernel's POP GS still
 *                    gets #GP(0x18) (a known bug, test_attacks.py)
 *
 * The user halves are in attack_split_user.asm.
 */
#include "attack_lib.h"
#include "gdt.h"
#include "pic.h"
#include "intr.h"
#include "vm.h"
#include "x86.h"
#include "console.h"
#include "lib/fmt.h"

/* The pages, in the attack page table at ATK_UVA (user PDE) */
#define SPLIT_CODE    0x00808000u     /* the snippets: user, read-only */
#define SPLIT_STACK   0x00809000u     /* user stack page */
#define SPLIT_STACK_TOP (SPLIT_STACK + PGSIZE)
#define SPLIT_FLAG    0x0080B000u     /* user data: the IRQ flag; revoked */
#define SPLIT_KPAGE   0x0080C000u     /* the kernel's: supervisor, writable */
#define SPLIT_HOLE    0x0080D000u     /* not present: a #PF the kernel fixes */
#define SPLIT_NOSTACK 0x0080E000u     /* not present: a user stack */
#define SPLIT_RO      0x00810000u     /* user, read-only */
#define SPLIT_SECRET  0x5EC2E700u     /* what the kernel writes before each return */

#define MSR_SYSENTER_CS  0x174u
#define MSR_SYSENTER_ESP 0x175u
#define MSR_SYSENTER_EIP 0x176u
#define STA_C         0x4             /* conforming code */
#define PORT_IMR      0x21u
#define SPIN_INS      20000u          /* INs by the kernel in split-cs-in-gs */
#define UD2_LEN       2
#define CLI_LEN       1
#define SEL_SPARE0    SEL(AGDT_SPARE0, DPL_USER)   /* a user stack segment */
#define SEL_SPARE1    SEL(AGDT_SPARE1, DPL_USER)   /* a user code segment */
#define SEL_CONFORM   SEL(AGDT_SPARE2, DPL_USER)   /* conforming code, DPL 0 */

/* How the kernel completes the transition a case asks for (split_trap) */
enum split_mode { M_NONE, M_UD, M_GP, M_PF, M_INT, M_FIXDESC, M_SPIN };

/* What split_iret/split_retf (attack_split_user.asm) load */
struct split_frame {
	u32 eip, cs, eflags, esp, ss;
	u32 ebx, esi, edi;
};

static struct {
	u32 target;             /* the kernel writes it just before returning */
	enum split_mode mode;
	u32 done;               /* transitions the kernel completed */
	u8 *kpage;              /* SPLIT_KPAGE's frame */
} split;

static u8 ksstack[4096] __attribute__((aligned(16)));  /* SYSENTER's */
static u8 kdirect[PGSIZE] __attribute__((aligned(PGSIZE)));  /* in the 4 MB direct map */

extern u8 split_user_start[], split_user_end[];
extern u8 u_s_plain[], u_s_ud[], u_s_gp[], u_s_pf[], u_s_int[], u_s_irq[], u_s_push[],
	u_s_sysenter[];
extern u8 u_s_ld_ds[], u_s_ld_es[], u_s_ld_fs[], u_s_ld_gs[], u_s_ld_ss[], u_s_lss[],
	u_s_jmpf[], u_s_callf[], u_s_iret[], u_s_retf[], u_s_segs[], u_s_cs_gs[];
extern u8 u_s_conf_jmp[], u_s_conf_call[], u_s_conf_int[], u_s_access[];
void split_iret(u32 frame) __attribute__((noreturn));
void split_retf(u32 frame) __attribute__((noreturn));
void split_iret_conf(u32 frame) __attribute__((noreturn));
void split_retf_conf(u32 frame) __attribute__((noreturn));
extern u8 split_sysenter[];

static u32 snippet(const u8 *s)
{
	return SPLIT_CODE + (u32)(s - split_user_start);
}

/* The kernel's last act before every return to user mode here. */
void split_touch(void)
{
	if (split.target)
		*(volatile u32 *)split.target = SPLIT_SECRET;
}

/* ---- the kernel's half of each transition (attack_lib's hook) ---- */

static int is_hole(u32 va)
{
	return PGROUNDDOWN(va) == SPLIT_HOLE || PGROUNDDOWN(va) == SPLIT_NOSTACK;
}

/* Interrupts off, many emulated INs: a while in the monitor, for its
 * watchdog NMI to arrive there. */
static void spin_io(void)
{
	int s = intr_save();
	for (u32 i = 0; i < SPIN_INS; i++)
		(void)inb(PORT_IMR);
	intr_restore(s);
}

static int user_fixup(struct trapframe *tf)
{
	switch (tf->trapno) {
	case T_IRQ0 + IRQ_TIMER:
		ticks++;
		pic_eoi(IRQ_TIMER);
		*(volatile u32 *)SPLIT_FLAG = 1;
		return 1;
	case T_UD:
		tf->eip += UD2_LEN;
		return split.mode == M_UD;
	case T_GP:
		tf->eip += CLI_LEN;
		return split.mode == M_GP && tf->err == 0;
	case T_PF:
		if (split.mode != M_PF || !is_hole(rcr2()))
			return 0;
		u8 *page = page_alloc();
		return page && vm_map(kpgdir, PGROUNDDOWN(rcr2()), V2P(page), PTE_W | PTE_U) == 0;
	case T_SYSCALL:
		if (split.mode == M_SPIN)
			spin_io();
		return split.mode == M_INT || split.mode == M_SPIN;
	default:
		return 0;
	}
}

/* The kernel's IRET to user mode faulted on a descriptor we made not
 * present: make it present; the IRET runs again. */
static int kernel_fixup(struct trapframe *tf)
{
	u32 idx = tf->err >> 3;

	if (split.mode != M_FIXDESC || (tf->trapno != T_SS && tf->trapno != T_NP) ||
	    (idx != AGDT_SPARE0 && idx != AGDT_SPARE1))
		return 0;
	agdt[idx].hi |= SEG_P;
	return 1;
}

static int split_trap(struct trapframe *tf)
{
	int user = (tf->cs & 3) == DPL_USER;
	struct trapframe before = *tf;

	if (!(user ? user_fixup(tf) : kernel_fixup(tf))) {
		*tf = before;
		return 0;
	}
	if (tf->trapno != T_IRQ0 + IRQ_TIMER)
		split.done++;
	split_touch();
	return 1;
}

/* ---- cases ---- */

static struct split_frame frame_to(const u8 *s, u32 target, int write)
{
	return (struct split_frame){
		.eip = snippet(s), .cs = SEL_UCODE, .eflags = FL_RSVD, .esp = SPLIT_STACK_TOP,
		.ss = SEL_UDATA, .ebx = target, .edi = (u32)write,
	};
}

static void report_access(const char *after, u32 target, int write, int t)
{
	const char *what = write ? "write" : "read";

	if (t && caught.vector == VEC_HOME)
		kprintf("attack: user %s of 0x%x after %s: no fault%s0x%x\n", what, target, after,
			write ? ", it now holds " : ", read ",
			write ? *(volatile u32 *)split.target : caught.eax);
	else if (t && caught.vector == T_PF)
		kprintf("attack: user %s of 0x%x after %s: vector %u, err 0x%x, cr2 0x%x\n", what,
			target, after, caught.vector, caught.err, caught.cr2);
	else if (t)
		kprintf("attack: user %s of 0x%x after %s: vector %u, err 0x%x\n", what, target,
			after, caught.vector, caught.err);
	else
		kprintf("attack: user %s of 0x%x after %s: never got there\n", what, target, after);
}

/* One case: the kernel touches target, leaves for user code by go(f) (f:
 * entered at snippet s), the kernel completes the transition mode asks
 * for, and the user code reads (write 0) or writes target. */
static void split_case(const char *after, void (*go)(u32), struct split_frame f,
		       enum split_mode mode)
{
	split.target = f.ebx;
	split.mode = mode;
	split.done = 0;
	split_touch();
	int t = attack_catch(go, (u32)&f);
	report_access(after, f.ebx, (int)f.edi, t);
	if (mode != M_NONE && !split.done)
		kprintf("attack: (the kernel never completed the transition)\n");
	split.mode = M_NONE;
}

/* Both accesses after the same transition. */
static void split_rw(const char *after, void (*go)(u32), struct split_frame f,
		     enum split_mode mode)
{
	for (int write = 0; write <= 1; write++) {
		f.edi = (u32)write;
		split_case(after, go, f, mode);
	}
}

static void unmap_holes(void)
{
	vm_unmap_range(kpgdir, SPLIT_HOLE, SPLIT_NOSTACK + PGSIZE);
}

/* The snippets on a read-only user page, a user stack, a user data page,
 * the kernel's page, a read-only user page; the spare descriptors. */
static void split_setup(void)
{
	u8 *code = page_alloc(), *stack = page_alloc(), *flag = page_alloc();

	split.kpage = page_alloc();
	u8 *ro = page_alloc();
	if (!code || !stack || !flag || !split.kpage || !ro ||
	    vm_map(kpgdir, SPLIT_CODE, V2P(code), PTE_U) < 0 ||
	    vm_map(kpgdir, SPLIT_STACK, V2P(stack), PTE_W | PTE_U) < 0 ||
	    vm_map(kpgdir, SPLIT_FLAG, V2P(flag), PTE_W | PTE_U) < 0 ||
	    vm_map(kpgdir, SPLIT_KPAGE, V2P(split.kpage), PTE_W) < 0 ||
	    vm_map(kpgdir, SPLIT_RO, V2P(ro), PTE_U) < 0)
		panic("attack: no memory for the split pages");
	for (u32 i = 0; i < (u32)(split_user_end - split_user_start); i++)
		code[i] = split_user_start[i];
	attack_hook = split_trap;
}

/* ---- the attacks ---- */

static void atk_split_iret(void)
{
	split_setup();
	u32 direct = (u32)kdirect;

	split_rw("an IRET from the kernel", split_iret, frame_to(u_s_plain, SPLIT_KPAGE, 0),
		 M_NONE);
	split_rw("a far RET from the kernel", split_retf, frame_to(u_s_plain, SPLIT_KPAGE, 0),
		 M_NONE);
	split_rw("an IRET from the kernel", split_iret, frame_to(u_s_plain, direct, 0), M_NONE);
	struct split_frame f = frame_to(u_s_segs, 0, 0);
	int t = attack_catch(split_iret, (u32)&f);
	kprintf("attack: user mode after an IRET with FS and GS the kernel's: ");
	if (t && caught.vector == VEC_HOME)
		kprintf("DS 0x%x ES 0x%x FS 0x%x GS 0x%x\n", caught.eax, caught.ecx, caught.edx,
			caught.ebx);
	else
		kprintf("vector %u, err 0x%x\n", caught.vector, caught.err);
}

static void atk_split_irq(void)
{
	split_setup();
	struct split_frame f = frame_to(u_s_irq, SPLIT_KPAGE, 0);
	f.esi = SPLIT_FLAG;
	f.eflags |= FL_IF;
	for (int write = 0; write <= 1; write++) {
		*(volatile u32 *)SPLIT_FLAG = 0;
		f.edi = (u32)write;
		split_case("an IRQ 0 returned to it", split_iret, f, M_NONE);
		kprintf("attack: (an IRQ 0 interrupted the user code: %s)\n",
			*(volatile u32 *)SPLIT_FLAG ? "yes" : "no");
	}
}

static void atk_split_exc(void)
{
	split_setup();
	split_rw("a #UD returned", split_iret, frame_to(u_s_ud, SPLIT_KPAGE, 0), M_UD);
	split_rw("a #GP returned", split_iret, frame_to(u_s_gp, SPLIT_KPAGE, 0), M_GP);
	struct split_frame f = frame_to(u_s_pf, SPLIT_KPAGE, 0);
	f.esi = SPLIT_HOLE;
	for (int write = 0; write <= 1; write++) {
		f.edi = (u32)write;
		split_case("a #PF the kernel fixed", split_iret, f, M_PF);
		unmap_holes();
	}
}

static void wrmsr(u32 msr, u32 v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"(v), "d"(0));
}

static void atk_split_syscall(void)
{
	split_setup();
	split_rw("INT 0x80 returned", split_iret, frame_to(u_s_int, SPLIT_KPAGE, 0), M_INT);
	wrmsr(MSR_SYSENTER_CS, SEL_KCODE);
	wrmsr(MSR_SYSENTER_ESP, (u32)ksstack + sizeof ksstack);
	wrmsr(MSR_SYSENTER_EIP, (u32)split_sysenter);
	split_rw("SYSENTER and SYSEXIT", split_iret, frame_to(u_s_sysenter, SPLIT_KPAGE, 0),
		 M_NONE);
	wrmsr(MSR_SYSENTER_CS, 0);
	wrmsr(MSR_SYSENTER_ESP, 0);
	wrmsr(MSR_SYSENTER_EIP, 0);
}

/* A copy of the user data (stack) or code segment in a spare entry, not
 * present: the kernel's IRET to it faults until the kernel fixes it. */
static void spare_absent(int idx, int type)
{
	agdt[idx] = seg_make(0, 0xFFFFFFFF, type, DPL_USER, 0);
	agdt[idx].hi &= ~SEG_P;
}

static void atk_split_switch_fault(void)
{
	split_setup();
	struct split_frame f = frame_to(u_s_plain, SPLIT_KPAGE, 0);
	f.ss = SEL_SPARE0;
	for (int write = 0; write <= 1; write++) {
		spare_absent(AGDT_SPARE0, STA_W);
		f.edi = (u32)write;
		split_case("its IRET faulted (#SS: stack segment not present)", split_iret, f,
			   M_FIXDESC);
	}
	f = frame_to(u_s_plain, SPLIT_KPAGE, 0);
	f.cs = SEL_SPARE1;
	for (int write = 0; write <= 1; write++) {
		spare_absent(AGDT_SPARE1, STA_X | STA_R);
		f.edi = (u32)write;
		split_case("its IRET faulted (#NP: code segment not present)", split_iret, f,
			   M_FIXDESC);
	}
	f = frame_to(u_s_push, SPLIT_KPAGE, 0);
	f.esp = SPLIT_NOSTACK + PGSIZE;
	for (int write = 0; write <= 1; write++) {
		f.edi = (u32)write;
		split_case("a #PF on its stack the kernel fixed", split_iret, f, M_PF);
		unmap_holes();
	}
}

static void set_user_bit(u32 va, int on)
{
	pte_t *pte = vm_walk(kpgdir, va, 0);
	*pte = on ? *pte | PTE_U : *pte & ~PTE_U;
}

static void atk_split_revoke(void)
{
	split_setup();
	static const char *const how[2] = { "INVLPG", "a CR3 reload" };
	for (int i = 0; i < 2; i++) {
		set_user_bit(SPLIT_FLAG, 1);
		invlpg(SPLIT_FLAG);
		split_case("nothing yet (a user page)", split_iret,
			   frame_to(u_s_plain, SPLIT_FLAG, 0), M_NONE);
		set_user_bit(SPLIT_FLAG, 0);
		if (i == 0)
			invlpg(SPLIT_FLAG);
		else
			lcr3(rcr3());
		char after[64];
		fmt_snprintf(after, sizeof after, "the kernel took its U/S away (%s)", how[i]);
		split_rw(after, split_iret, frame_to(u_s_plain, SPLIT_FLAG, 0), M_NONE);
	}
	set_user_bit(SPLIT_FLAG, 1);
	invlpg(SPLIT_FLAG);

	lcr0(rcr0() & ~CR0_WP);
	split_rw("the kernel wrote it with CR0.WP = 0", split_iret,
		 frame_to(u_s_plain, SPLIT_RO, 0), M_NONE);
	lcr0(rcr0() | CR0_WP);
}

/* Another page directory with the same kernel half and the same attack
 * page table: the kernel switches to it and back, touching its page each
 * time before it returns. */
static void atk_split_cr3(void)
{
	split_setup();
	pde_t *other = vm_new();
	if (!other)
		panic("attack: no memory for a page directory");
	other[PDX(ATK_UVA)] = kpgdir[PDX(ATK_UVA)];
	vm_switch(other);
	split_rw("a CR3 switch to another address space", split_iret,
		 frame_to(u_s_plain, SPLIT_KPAGE, 0), M_NONE);
	vm_switch(kpgdir);
	split_rw("a CR3 switch back", split_iret, frame_to(u_s_plain, SPLIT_KPAGE, 0), M_NONE);
	vm_switch(other);
	split_rw("a CR3 switch to the other again", split_iret,
		 frame_to(u_s_plain, SPLIT_KPAGE, 0), M_NONE);
	vm_switch(kpgdir);
	other[PDX(ATK_UVA)] = 0;
	page_free(other);
}

static void load_case(const char *insn, const u8 *s, u32 sel)
{
	struct split_frame f = frame_to(s, 0, 0);
	f.esi = sel;
	int t = attack_catch(split_iret, (u32)&f);
	if (t && caught.vector == VEC_HOME)
		kprintf("attack: user %s 0x%x: no fault\n", insn, sel);
	else if (t && caught.vector == T_PF)
		kprintf("attack: user %s 0x%x: vector %u, err 0x%x, cr2 0x%x at %x:%x\n", insn, sel,
			caught.vector, caught.err, caught.cr2, caught.cs, caught.eip);
	else if (t)
		kprintf("attack: user %s 0x%x: vector %u, err 0x%x\n", insn, sel, caught.vector,
			caught.err);
	else
		kprintf("attack: user %s 0x%x: never got there\n", insn, sel);
}

static void atk_split_selectors(void)
{
	static const struct { const char *insn; const u8 *s; } data[] = {
		{ "MOV DS,", u_s_ld_ds }, { "MOV ES,", u_s_ld_es }, { "MOV FS,", u_s_ld_fs },
		{ "MOV GS,", u_s_ld_gs }, { "MOV SS,", u_s_ld_ss }, { "LSS", u_s_lss },
	}, code[] = {
		{ "far JMP to", u_s_jmpf }, { "far CALL to", u_s_callf },
		{ "IRET to", u_s_iret }, { "far RET to", u_s_retf },
	};
	split_setup();
	for (u32 i = 0; i < sizeof data / sizeof data[0]; i++) {
		load_case(data[i].insn, data[i].s, SEL_KDATA);
		load_case(data[i].insn, data[i].s, SEL_KDATA | DPL_USER);
	}
	load_case("MOV DS,", u_s_ld_ds, SEL_R2DATA);
	for (u32 i = 0; i < sizeof code / sizeof code[0]; i++) {
		load_case(code[i].insn, code[i].s, SEL_KCODE);
		load_case(code[i].insn, code[i].s, SEL_KCODE | DPL_USER);
	}
}

static void atk_split_conforming(void)
{
	split_setup();
	agdt[AGDT_SPARE2] = seg_make(0, 0xFFFFFFFF, STA_X | STA_R | STA_C, 0, 0);
	struct split_frame f = frame_to(u_s_plain, SPLIT_KPAGE, 0);
	f.cs = SEL_CONFORM;
	split_rw("an IRET to conforming code of DPL 0", split_iret, f, M_NONE);
	split_rw("a far RET to conforming code of DPL 0", split_retf, f, M_NONE);
	split_rw("an IRET from conforming code to itself", split_iret_conf, f, M_NONE);
	split_rw("a far RET from conforming code to itself", split_retf_conf, f, M_NONE);

	/* user code going there itself: CPL stays 3 */
	for (u32 rpl = 0; rpl <= DPL_USER; rpl += DPL_USER) {
		char after[64];
		f = frame_to(u_s_conf_jmp, SPLIT_KPAGE, 0);
		f.esi = (SEL_CONFORM & ~DPL_USER) | rpl;
		fmt_snprintf(after, sizeof after, "its far JMP to conforming code (RPL %u)", rpl);
		split_rw(after, split_iret, f, M_NONE);
		f.eip = snippet(u_s_conf_call);
		fmt_snprintf(after, sizeof after, "its far CALL to conforming code (RPL %u)", rpl);
		split_rw(after, split_iret, f, M_NONE);
	}
	attack_set_gate(VEC_SPARE0, snippet(u_s_access), STS_IG32, DPL_USER,
			SEL_CONFORM & ~DPL_USER);
	split_rw("its INT to a gate into conforming code", split_iret,
		 frame_to(u_s_conf_int, SPLIT_KPAGE, 0), M_NONE);
	agdt[AGDT_SPARE1] = gate_desc(snippet(u_s_access), SEL_CONFORM & ~DPL_USER, STS_CG32,
				      DPL_USER);
	agdt_reload();          /* a monitor may have stopped following agdt's page */
	f = frame_to(u_s_callf, SPLIT_KPAGE, 0);
	f.esi = SEL_SPARE1;
	split_rw("its far CALL through a call gate into conforming code", split_iret, f, M_NONE);
}

static void atk_split_cs_in_gs(void)
{
	split_setup();
	struct split_frame f = frame_to(u_s_cs_gs, SPLIT_KPAGE, 0);
	split.target = SPLIT_KPAGE;
	split.mode = M_SPIN;
	int t = attack_catch(split_iret, (u32)&f);
	split.mode = M_NONE;
	if (t && caught.vector == VEC_HOME)
		kprintf("attack: user GS = its CS 0x%x, a system call with interrupts off: GS 0x%x "
			"after it\n", SEL_UCODE, caught.ebx);
	else
		kprintf("attack: user GS = its CS 0x%x, a system call with interrupts off: vector "
			"%u, err 0x%x at 0x%x\n", SEL_UCODE, caught.vector, caught.err, caught.eip);
}

const struct attack attacks_split[] = {
	{ "split-iret", atk_split_iret },
	{ "split-irq", atk_split_irq },
	{ "split-exc", atk_split_exc },
	{ "split-syscall", atk_split_syscall },
	{ "split-switch-fault", atk_split_switch_fault },
	{ "split-revoke", atk_split_revoke },
	{ "split-cr3", atk_split_cr3 },
	{ "split-selectors", atk_split_selectors },
	{ "split-conforming", atk_split_conforming },
	{ "split-cs-in-gs", atk_split_cs_in_gs },
	{ 0, 0 },
};
