/*
 * vcpu.h - the one definition of the virtual CPU.
 *
 * Mechanism: when the guest traps, the CPU and the switcher push its
 * registers on the vCPU page's ring-0 stack (struct trapframe, in push
 * order: the lowest address is the last thing pushed).  The dispatcher
 * copies that frame into struct vcpu, works on the copy, and the exit path
 * pops it back.  Everything the real CPU does not hold for the guest,
 * because the guest runs deprivileged, is kept here: the virtual EFLAGS.IF
 * (the real IF stays 1 while the guest runs), the virtual control, debug
 * and descriptor-table registers, the task register, a few MSRs.
 *
 * The assembly side (src/trap/entry.asm) reads this layout only through
 * the generated asm_offsets.inc (src/monitor/asm_offsets.c), never through
 * hand-typed offsets.
 */
#ifndef MON_VCPU_H
#define MON_VCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "hostcpu.h"
#include "trap/decode.h"

struct trapframe {
	/* pushed by the switcher's common entry, sw_alltraps */
	uint32_t gs, fs, es, ds;
	uint32_t edi, esi, ebp, esp_pusha, ebx, edx, ecx, eax;  /* PUSHAD */
	/* pushed by the vector's stub */
	uint32_t vector;
	uint32_t err;           /* by the CPU for vectors that have one, else 0 */
	/* pushed by the CPU */
	uint32_t eip, cs, eflags;
	uint32_t esp, ss;       /* on a privilege change only: always, for a guest */
};

/* A descriptor-table register as LGDT/LIDT load it. */
struct vdtr {
	uint32_t base;
	uint32_t limit;
};

/* Counters: what the exit table at the end of a run shows. */
struct vcpu_stats {
	uint32_t traps[256];                    /* by real vector */
	uint32_t emul[INSN_KIND_COUNT];         /* emulated, by instruction kind */
	const char *emul_name[INSN_KIND_COUNT]; /* a mnemonic seen for the kind */
	uint32_t refused;                       /* not emulated: fault injected */
	uint16_t refused_op[16];                /* ...by opcode (0F xx as 0x0Fxx) */
	uint32_t refused_count[16];
	uint32_t reflected[32];                 /* guest exceptions, by vector */
	uint32_t soft_ints;                     /* INT n delivered */
	uint32_t ext_ints;                      /* virtual IRQs delivered */
	uint32_t hidden_pf;                     /* shadow fills */
	uint32_t shadow_flushes, shadow_invlpgs;
	/* shadow=cached (docs/shadow-paging.md) */
	uint32_t pt_writes;                     /* page-table writes emulated */
	uint32_t pt_write_refused;              /* ...not emulable: frame released */
	uint32_t pt_write_recycled;             /* ...narrower than an entry: released */
	uint32_t spt_alloc, spt_free;           /* shadow page tables */
	uint32_t cache_hits, cache_misses, cache_evictions;
	uint32_t protects;                      /* frames newly write-protected */
	uint32_t unprotects;                    /* heuristic: written, not walked */
	uint32_t unprotect_kept;                /* ...but the active directory */
	uint32_t halts;
	uint32_t host_ticks;
	uint32_t seg_dropped;                   /* stale data selectors nulled */
	uint32_t desc_unmapped;                 /* GDT/LDT entries not mapped at load */
	uint32_t desc_accessed;                 /* accessed bits set for the CPU */
	uint32_t desc_writes;                   /* guest writes to its GDT/LDT followed */
	uint32_t desc_pages_released;           /* ...pages no longer watched */
	uint32_t mmio;                          /* device-register accesses emulated */
	uint32_t direct_gates;                  /* direct system-call gates installed */
	uint32_t fast_esp0;                     /* the switcher: stores to the guest TSS.ESP0 */
	uint32_t fast_pt_writes;                /* ...and to its page tables (fastptw.c) */
	uint32_t view_switches;                 /* ring=3: kernel <-> user shadow view */
	uint32_t conforming_alias;              /* ring=3: kernel resumes in conforming code */
};

struct vcpu {
	struct trapframe tf;    /* guest registers while the monitor runs */

	bool vif;               /* virtual EFLAGS.IF */
	unsigned iopl;          /* virtual EFLAGS.IOPL (the real one is 0) */
	bool shadow_active;     /* STI or MOV SS interrupt shadow ... */
	uint32_t shadow_eip;    /* ... covering the instruction here */
	bool shadow_step;       /* we set TF to end the shadow */
	uint64_t vif_clear_since;       /* PIT time virtual IF went 0 */
	bool warned_if;
	bool user_view;         /* ring=3: guest user code runs (its shadow view,
				   its kernel's segments hidden); every switch
				   between the views is a trap */

	uint32_t cr0, cr2, cr3, cr4;
	uint32_t dr[8];
	struct vdtr gdtr, idtr;
	uint16_t ldtr, tr;
	uint32_t tr_base, tr_limit;
	uint32_t sysenter_cs;
	uint64_t sysenter_esp, sysenter_eip;    /* 64 bits on a long-mode CPU */
	uint64_t apic_base, misc_enable, efer, pat;     /* MSRs kept virtual */
	uint64_t mtrr[MTRR_COUNT];      /* virtual too, from the firmware's (hostcpu.h) */
	uint64_t tsc_offset;    /* guest TSC - real TSC, after a WRMSR to it */
	bool tsc_offset_on;     /* ...then every guest RDTSC traps (CR4.TSD) */

	struct vcpu_stats stats;
};

extern struct vcpu vcpu0;

/* Guest privilege as the guest sees it: its kernel runs in ring 1 but
 * believes it is in ring 0.  Rings 2 and 3 are the guest's own.  (A guest
 * descriptor of DPL 1 also runs in real ring 1: the guest's rings 0 and 1
 * are one, a limit of ring compression no kernel we know runs into.) */
static inline unsigned vcpu_cpl(const struct vcpu *v)
{
	unsigned rpl = v->tf.cs & 3;
	return rpl == 1 ? 0 : rpl;
}

/* The CS selector as the guest expects to see it in a frame: its kernel's
 * code with RPL 0.  Pushed so in reflected frames, so that the kernel's
 * IRET to it raises #GP (RPL 0 below CPL 1) and is emulated. */
static inline uint32_t vcpu_guest_cs(uint32_t cs)
{
	return (cs & 3) == 1 ? cs & ~3u : cs;
}

/* Register n (enum gpr order) of the guest. */
uint32_t *vcpu_gpr(struct vcpu *v, unsigned n);
void vcpu_gprs(struct vcpu *v, uint32_t regs[GPR_COUNT]);
void vcpu_set_vif(struct vcpu *v, bool on);

#endif
