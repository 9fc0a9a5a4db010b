/*
 * attack_cpu.c - hostile use of the CPU's own state: rings, EFLAGS, I/O
 * permission, debug registers, SYSENTER, stack size, the switcher's data.
 *
 * Mechanism: a monitor that runs the guest kernel in ring 1 must keep
 * every piece of CPU state the guest can reach either virtual (kept in the
 * monitor, shown to the guest as the guest set it) or real and harmless.
 * Each attack below names what bare hardware does (natively minios runs in
 * ring 0) and what the monitor does.
 *
 *   ring2         IRET and far RET into ring 2 (DPL-2 code and stack).
 *                 There CLI, MOV CR3 and LGDT are #GP(0); INT through a
 *                 DPL-1 gate is #GP(vector*8+2); through a DPL-2 or DPL-3
 *                 gate it lands.  Hardware and monitor alike.
 *   tf-emulated   TF set by POPF over CLI, IN and MOV to CR3 (each one the
 *                 monitor emulates): #DB with EIP just after the
 *                 instruction and DR6.BS set.  Hardware and monitor alike.
 *   vm86-iret     IRET with EFLAGS.VM set, to a CLI at 0:0x8000.
 *                 Hardware (ring 0): virtual-8086 mode, where CLI is
 *                 #GP(0).  Monitor: QEMU honours VM on an IRET from ring 1
 *                 (Bochs refuses, as Intel says); the monitor ends the
 *                 guest with a reason naming virtual-8086 mode.
 *   nt-iret       POPF sets EFLAGS.NT, then IRET: a task return through the
 *                 TSS back link (0): #TS(0), before any monitor sees it.
 *                 Hardware and monitor alike.
 *   iopl          IRET to ring 3 with IOPL 3: IN and OUT there work; with
 *                 IOPL 0 they are #GP(0).  The monitor keeps a virtual
 *                 IOPL (the real one stays 0): the same.
 *   io-bitmap     LTR a TSS whose I/O bitmap grants port 0x21 only: ring 3
 *                 reads it, IN 0xA1 and OUT 0x80 are #GP(0).  The same.
 *   eflags        AC, ID, NT, VM, TF and IOPL through POPF and through a
 *                 same-ring IRET, read back with PUSHF.  The same, except
 *                 the lines marked "hole": in ring 1 POPF and IRET cannot
 *                 change IOPL (docs/x86-holes.md).
 *   dr-switcher   DR0-DR3 on switcher addresses (its code, the vCPU stack,
 *                 the IDT, the data), DR7 enabling them, then traps that
 *                 run the monitor's entry code.  Hardware: nothing there
 *                 runs, no #DB.  Monitor: the breakpoints are the guest's
 *                 and never fire in the monitor; the guest reads back what
 *                 it wrote.
 *   sysenter      SYSENTER MSRs set to the monitor's selector and switcher
 *                 addresses, SYSENTER from ring 3.  Hardware: ring 0 at an
 *                 unmapped EIP with an unmapped stack (triple fault).
 *                 Monitor: never ring 0: #GP, or an emulated SYSENTER into
 *                 the guest kernel in ring 1.
 *   stack16       a 16-bit stack segment (B=0) with ESP 0x12340ff0: after
 *                 an emulated CLI, IN and a reflected IRQ 0 handled on that
 *                 stack, ESP is still 0x12340ff0.  Hardware (ring 0): no
 *                 trap changes it.  Monitor: the high half must not become
 *                 the monitor's ring-0 stack address (0xFFC0xxxx).
 *   switcher-data read 16 words of the switcher's data (SW_DATA), with
 *                 paging on and with paging off, and its private page.
 *                 Hardware: #PF, unassigned memory, #PF.  Monitor: ring 1
 *                 can read the switcher (paging cannot hide a supervisor
 *                 page from it); what it finds there must be no more than
 *                 the entry code and its fast paths need: the monitor's
 *                 CR3, then the MOV CR3 fast path's paging flag and its
 *                 (guest CR3, shadow root) hints.  The private page is
 *                 not in the guest's view at all: #PF as on hardware.
 */
#include "attack_lib.h"
#include "gdt.h"
#include "intr.h"
#include "pic.h"
#include "vm.h"
#include "x86.h"
#include "console.h"

#define MSR_SYSENTER_CS  0x174u
#define MSR_SYSENTER_ESP 0x175u
#define MSR_SYSENTER_EIP 0x176u
#define VM86_IP          0x8000u     /* linear 0x8000: a CLI */
#define VM86_SP          0x8FF0u
#define OP_CLI           0xFA
#define OP_HLT           0xF4
#define PORT_IMR         0x21u
#define PORT_IMR2        0xA1u
#define PORT_POST        0x80u
#define IOMAP_BYTES      (0x400 / 8)  /* ports 0-0x3FF */
#define STACK16_ESP      0x12340FF0u  /* high half: a marker; SP 0x0FF0 */
#define SW_DATA_WORDS    16
#define DR7_RESERVED1    0x400u
#define DR7_ENABLE_ALL   0xFFu        /* L0-L3, G0-G3 */
#define DR7_EXACT        0x300u       /* LE, GE */
#define DR7_RW_LEN       0xFFD00000u  /* DR0 exec/1, DR1 write/4, DR2-3 rw/4 */

/* ---- ring 2 ---- */

static u32 r2_ebx;
static struct dtr r2_dtr;

static void ring2_iret(u32 eip)
{
	enter_ring(SEL_R2CODE, SEL_R2DATA, ring2_stack_top(), eip, FL_RSVD, r2_ebx);
}

static void ring2_retf(u32 eip)
{
	enter_ring_retf(SEL_R2CODE, SEL_R2DATA, ring2_stack_top(), eip, r2_ebx);
}

static void ring2_case(const char *what, void (*go)(u32), u8 *snippet)
{
	int t = attack_catch(go, (u32)snippet);
	if (t && caught.vector == VEC_HOME)
		kprintf("attack: ring 2, %s: no fault\n", what);
	else if (t)
		kprintf("attack: ring 2, %s: vector %u, err 0x%x, cs 0x%x\n", what, caught.vector,
			caught.err, caught.cs & 0xFFFF);
	else
		kprintf("attack: ring 2, %s: never got there\n", what);
}

static void atk_ring2(void)
{
	r2_dtr = (struct dtr){ NAGDT * 8 - 1, (u32)agdt };
	r2_ebx = rcr3();
	ring2_case("CLI (entered by IRET)", ring2_iret, r2_cli);
	ring2_case("CLI (entered by far RET)", ring2_retf, r2_cli);
	ring2_case("MOV CR3", ring2_iret, r2_mov_cr3);
	r2_ebx = (u32)&r2_dtr;
	ring2_case("LGDT", ring2_iret, r2_lgdt);
	ring2_case("INT 0x81 (a DPL-1 gate)", ring2_iret, r2_int_dpl1);
	ring2_case("INT 0x82 (a DPL-2 gate)", ring2_iret, r2_int_dpl2);
	ring2_case("INT 0x84 (a DPL-3 gate)", ring2_iret, r2_int_dpl3);
}

/* ---- TF over an emulated instruction ---- */

static u32 read_dr6(void)
{
	u32 v;
	__asm__ volatile("mov %%dr6, %0" : "=r"(v));
	return v;
}

static void write_dr(int n, u32 v)
{
	switch (n) {
	case 0: __asm__ volatile("mov %0, %%dr0" : : "r"(v)); break;
	case 1: __asm__ volatile("mov %0, %%dr1" : : "r"(v)); break;
	case 2: __asm__ volatile("mov %0, %%dr2" : : "r"(v)); break;
	case 3: __asm__ volatile("mov %0, %%dr3" : : "r"(v)); break;
	case 6: __asm__ volatile("mov %0, %%dr6" : : "r"(v)); break;
	default: __asm__ volatile("mov %0, %%dr7" : : "r"(v)); break;
	}
}

static u32 read_dr(int n)
{
	u32 v;
	switch (n) {
	case 0: __asm__ volatile("mov %%dr0, %0" : "=r"(v)); break;
	case 1: __asm__ volatile("mov %%dr1, %0" : "=r"(v)); break;
	case 2: __asm__ volatile("mov %%dr2, %0" : "=r"(v)); break;
	case 3: __asm__ volatile("mov %%dr3, %0" : "=r"(v)); break;
	default: __asm__ volatile("mov %%dr7, %0" : "=r"(v)); break;
	}
	return v;
}

static void tf_case(const char *what, void (*fn)(u32), u32 arg, const u8 *insn,
		    const u8 *after)
{
	write_dr(6, 0);
	int t = attack_catch(fn, arg);
	u32 dr6 = read_dr6();
	if (!t) {
		kprintf("attack: TF over %s: no #DB\n", what);
		return;
	}
	kprintf("attack: TF over %s: vector %u at insn+%d (the next instruction is at +%d), "
		"DR6.BS %u\n", what, caught.vector, (int)(caught.eip - (u32)insn),
		(int)(after - insn), (dr6 & DR6_BS) ? 1 : 0);
}

static void atk_tf_emulated(void)
{
	tf_case("CLI", tf_cli, 0, tf_cli_insn, tf_cli_after);
	tf_case("IN 0x21", tf_in, 0, tf_in_insn, tf_in_after);
	tf_case("MOV to CR3", tf_mov_cr3, rcr3(), tf_mov_cr3_insn, tf_mov_cr3_after);
	write_dr(6, 0);
}

/* ---- virtual-8086 mode by IRET; NT by POPF ---- */

static void go_vm86(u32 unused)
{
	(void)unused;
	enter_vm86(0, VM86_IP, 0, VM86_SP, FL_VM | FL_RSVD);
}

static void atk_vm86_iret(void)
{
	u8 *page = page_alloc();
	if (!page || vm_map(kpgdir, PGROUNDDOWN(VM86_IP), V2P(page), PTE_W | PTE_U) < 0)
		panic("attack: cannot map the vm86 page");
	page[VM86_IP % PGSIZE] = OP_CLI;
	page[VM86_IP % PGSIZE + 1] = OP_HLT;
	int t = attack_catch(go_vm86, 0);
	if (!t)
		kprintf("attack: IRET with EFLAGS.VM: returned\n");
	else
		kprintf("attack: IRET with EFLAGS.VM: vector %u, err 0x%x at %x:%x, EFLAGS.VM %u\n",
			caught.vector, caught.err, caught.cs & 0xFFFF, caught.eip,
			(caught.eflags & FL_VM) ? 1 : 0);
}

static void atk_nt_iret(void)
{
	try_report("IRET with EFLAGS.NT set (back link 0)", nt_iret, 0);
}

/* ---- IOPL and the I/O permission bitmap ---- */

static u32 user_eflags;

static void user_in(u32 port)
{
	enter_ring(SEL_UCODE, SEL_UDATA, ATK_USTACK, user_va(u_in_port), user_eflags, port);
}

static void user_out(u32 port)
{
	enter_ring(SEL_UCODE, SEL_UDATA, ATK_USTACK, user_va(u_out_port), user_eflags, port);
}

static void user_io(const char *what, void (*go)(u32), u32 port)
{
	int t = attack_catch(go, port);
	if (t && caught.vector == VEC_HOME)
		kprintf("attack: ring 3, %s 0x%x: done, AL 0x%x\n", what, port, caught.eax & 0xFF);
	else if (t)
		kprintf("attack: ring 3, %s 0x%x: vector %u, err 0x%x\n", what, port,
			caught.vector, caught.err);
	else
		kprintf("attack: ring 3, %s 0x%x: never got there\n", what, port);
}

static void atk_iopl(void)
{
	user_eflags = FL_RSVD | FL_IOPL3;
	user_io("IOPL 3, IN", user_in, PORT_IMR);
	user_io("IOPL 3, OUT", user_out, PORT_POST);
	user_eflags = FL_RSVD;
	user_io("IOPL 0, IN", user_in, PORT_IMR);
	user_io("IOPL 0, OUT", user_out, PORT_POST);
}

static struct {
	struct taskstate t;
	u8 map[IOMAP_BYTES];
	u8 end;                         /* the CPU reads a byte past the map */
} __attribute__((packed, aligned(16))) iotss;
static u8 iostack[4096] __attribute__((aligned(16)));

static void ltr_free(int idx)
{
	agdt[idx].hi = (agdt[idx].hi & ~(0xFu << 8)) | (STS_T32A << 8);
	agdt_reload();
	ltr(SEL(idx, 0));
}

static void atk_io_bitmap(void)
{
	iotss.t.ss0 = SEL_KDATA;
	iotss.t.esp0 = (u32)iostack + sizeof iostack;
	iotss.t.iomb = sizeof iotss.t;
	for (u32 i = 0; i < IOMAP_BYTES; i++)
		iotss.map[i] = 0xFF;
	iotss.map[PORT_IMR / 8] &= (u8)~(1u << (PORT_IMR % 8));
	iotss.end = 0xFF;
	agdt[AGDT_IOTSS] = seg_make((u32)&iotss, sizeof iotss - 1, STS_T32A, 0, 1);
	ltr_free(AGDT_IOTSS);
	user_eflags = FL_RSVD;
	user_io("bitmap grants 0x21, IN", user_in, PORT_IMR);
	user_io("bitmap grants 0x21, IN", user_in, PORT_IMR2);
	user_io("bitmap grants 0x21, OUT", user_out, PORT_POST);
	ltr_free(SEG_TSS);
}

/* ---- EFLAGS bits through POPF and IRET ---- */

static void iret_flags(u32 fl)
{
	__asm__ volatile("pushl %0\n\tpushl %%cs\n\tpushl $1f\n\tiret\n1:"
			 : : "r"(fl) : "memory", "cc");
}

static void flag_case(const char *how, void (*load)(u32), const char *name, u32 bit)
{
	u32 base = read_eflags() & ~(FL_IF | FL_TF);
	load(base | bit);
	u32 seen = read_eflags();
	write_eflags(base & ~(FL_NT | FL_AC | FL_ID | FL_IOPL));
	kprintf("attack: %s with %s: PUSHF shows it %s\n", how, name,
		(seen & bit) == bit ? "set" : "clear");
}

static void popf_tf(u32 unused)
{
	(void)unused;
	write_eflags(read_eflags() | FL_TF);
	__asm__ volatile("nop; nop");
}

static void iret_tf(u32 unused)
{
	(void)unused;
	iret_flags(read_eflags() | FL_TF);
	__asm__ volatile("nop; nop");
}

static void atk_eflags(void)
{
	static const struct { const char *name; u32 bit; } bits[] = {
		{ "AC", FL_AC }, { "ID", FL_ID }, { "NT", FL_NT }, { "VM", FL_VM },
	};
	int s = intr_save();
	for (u32 i = 0; i < sizeof bits / sizeof bits[0]; i++)
		flag_case("POPF", write_eflags, bits[i].name, bits[i].bit);
	for (u32 i = 0; i < sizeof bits / sizeof bits[0] - 1; i++)   /* VM by IRET: vm86-iret */
		flag_case("IRET", iret_flags, bits[i].name, bits[i].bit);
	intr_restore(s);
	try_report("POPF with TF", popf_tf, 0);
	try_report("IRET with TF", iret_tf, 0);
	s = intr_save();
	u32 base = read_eflags() & ~FL_TF;
	write_eflags(base | FL_IOPL3);
	u32 popf_seen = read_eflags();
	iret_flags(base | FL_IOPL3);
	u32 iret_seen = read_eflags();
	write_eflags(base & ~FL_IOPL);
	intr_restore(s);
	kprintf("attack: hole: POPF with IOPL 3: PUSHF shows IOPL %u\n", (popf_seen >> 12) & 3);
	kprintf("attack: hole: IRET with IOPL 3: PUSHF shows IOPL %u\n", (iret_seen >> 12) & 3);
}

/* ---- debug registers on the switcher ---- */

static void atk_dr_switcher(void)
{
	static const u32 addr[4] = { SW_CODE, SW_VCPU_TOP - 16, SW_IDT + T_GP * 8, SW_DATA };
	u32 dr7 = DR7_RESERVED1 | DR7_ENABLE_ALL | DR7_EXACT | DR7_RW_LEN;

	for (int i = 0; i < 4; i++)
		write_dr(i, addr[i]);
	write_dr(7, dr7);
	probe_div0();                   /* vector 0: the switcher's first stub */
	int s = intr_save();
	(void)inb(PORT_IMR);
	intr_restore(s);
	u32 v = 0;
	probe_read32(TESTWIN + 12 * PGSIZE, &v);   /* a #PF the guest sees */
	kprintf("attack: DR0 0x%x DR1 0x%x DR2 0x%x DR3 0x%x DR7 0x%x (wrote DR7 0x%x)\n",
		read_dr(0), read_dr(1), read_dr(2), read_dr(3), read_dr(7), dr7);
	write_dr(7, DR7_RESERVED1);
	for (int i = 0; i < 4; i++)
		write_dr(i, 0);
}

/* ---- SYSENTER into the monitor ---- */

static void wrmsr(u32 msr, u32 v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"(v), "d"(0));
}

static u32 rdmsr(u32 msr)
{
	u32 lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return lo;
}

static void user_sysenter(u32 unused)
{
	(void)unused;
	enter_ring(SEL_UCODE, SEL_UDATA, ATK_USTACK, user_va(u_sysenter), FL_RSVD, 0);
}

static void sysenter_case(u32 cs)
{
	wrmsr(MSR_SYSENTER_CS, cs);
	wrmsr(MSR_SYSENTER_ESP, SW_VCPU_TOP);
	wrmsr(MSR_SYSENTER_EIP, SW_CODE);
	kprintf("attack: SYSENTER MSRs read back CS 0x%x ESP 0x%x EIP 0x%x\n",
		rdmsr(MSR_SYSENTER_CS), rdmsr(MSR_SYSENTER_ESP), rdmsr(MSR_SYSENTER_EIP));
	int t = attack_catch(user_sysenter, 0);
	if (t)
		kprintf("attack: SYSENTER from ring 3 (CS 0x%x): vector %u, err 0x%x, in ring %u\n",
			cs, caught.vector, caught.err, caught.cs & 3);
	else
		kprintf("attack: SYSENTER from ring 3 (CS 0x%x): returned\n", cs);
}

static void atk_sysenter(void)
{
	sysenter_case(MON_SEL_OLD);
	sysenter_case(MON_SEL_TOP);
	wrmsr(MSR_SYSENTER_CS, 0);
	wrmsr(MSR_SYSENTER_ESP, 0);
	wrmsr(MSR_SYSENTER_EIP, 0);
}

/* ---- a 16-bit stack ---- */

static void atk_stack16(void)
{
	u32 out[4] = { 0, 0, 0, 0 };
	struct gatedesc saved = idt[T_IRQ0 + IRQ_TIMER];

	int s = intr_save();
	attack_set_gate(T_IRQ0 + IRQ_TIMER, (u32)s16_timer, STS_IG32, 0, SEL_KCODE);
	stack16_run(STACK16_ESP, out);
	idt[T_IRQ0 + IRQ_TIMER] = saved;
	intr_restore(s);
	kprintf("attack: 16-bit stack, ESP 0x%x: after CLI 0x%x, after IN 0x%x, "
		"after an IRQ 0 on it 0x%x (an IRQ 0 arrived: %s)\n", STACK16_ESP, out[0], out[1],
		out[2], out[3] ? "yes" : "no");
}

/* ---- the switcher's data page ---- */

static void print_words(const char *what, const volatile u32 *w)
{
	kprintf("attack: %s:", what);
	for (int i = 0; i < SW_DATA_WORDS; i++)
		kprintf(" %x", w[i]);
	kprintf("\n");
}

static void atk_switcher_data(void)
{
	u32 w[SW_DATA_WORDS];
	int faulted = 0;

	for (int i = 0; i < SW_DATA_WORDS && !faulted; i++)
		faulted = probe_read32(SW_DATA + 4 * i, &w[i]);
	if (faulted)
		kprintf("attack: paging on, read of 0x%x: vector %u, err 0x%x, cr2 0x%x\n", SW_DATA,
			probe_info.vector, probe_info.err, probe_info.cr2);
	else
		print_words("paging on, words at the switcher's data", w);
	u32 v;
	if (probe_read32(SW_PRIV, &v))
		kprintf("attack: paging on, read of 0x%x: vector %u, err 0x%x, cr2 0x%x\n", SW_PRIV,
			probe_info.vector, probe_info.err, probe_info.cr2);
	else
		kprintf("attack: paging on, read of 0x%x returned 0x%x\n", SW_PRIV, v);

	u8 *page = page_alloc();
	if (!page || vm_map(kpgdir, V2P(page), V2P(page), PTE_W) < 0)
		panic("attack: cannot identity-map a page");
	for (u32 i = 0; i < (u32)(pgoff_blob_end - pgoff_blob); i++)
		page[i] = pgoff_blob[i];
	void (*blob)(u32, u32) = (void (*)(u32, u32))V2P(page);
	int s = intr_save();
	blob(SW_DATA, SW_DATA_WORDS);
	intr_restore(s);
	print_words("paging off, words at the switcher's data", (u32 *)(page + PGOFF_OUT));
}

const struct attack attacks_cpu[] = {
	{ "ring2", atk_ring2 },
	{ "tf-emulated", atk_tf_emulated },
	{ "vm86-iret", atk_vm86_iret },
	{ "nt-iret", atk_nt_iret },
	{ "iopl", atk_iopl },
	{ "io-bitmap", atk_io_bitmap },
	{ "eflags", atk_eflags },
	{ "dr-switcher", atk_dr_switcher },
	{ "sysenter", atk_sysenter },
	{ "stack16", atk_stack16 },
	{ "switcher-data", atk_switcher_data },
	{ 0, 0 },
};
