/*
 * trapprof.c - a QEMU TCG plugin that counts, exactly, every instruction
 * the monitor executes inside a guest's measured loops, by trap and by
 * calling context.
 *
 * Mechanism: QEMU translates guest code into host code a block at a time
 * and lets a plugin attach work to each instruction it translates.  The
 * CPU being emulated runs the monitor in ring 0 and the guest in rings 1
 * and 3, all of it "guest code" to QEMU; this plugin tells them apart by
 * address (the monitor's text and its switcher copy are given as
 * arguments) and
 *
 *   - counts each guest instruction with an inline add (cheap: no call),
 *     one counter per instruction address;
 *   - calls on_minsn() before each monitor instruction, which follows the
 *     monitor's control flow: a trap begins at the first instruction of a
 *     vector stub, a CALL enters a callee, a RET leaves it, the IRET that
 *     leaves no interrupted monitor frame ends the trap.  From this it
 *     keeps a calling-context tree (a node per call path: parent node,
 *     call site, callee) and counts each instruction under the node it ran
 *     in.  A trap's counts go to a scratch table until the trap ends; then
 *     they are added up under the trap's kind: its stub, and the first
 *     "classifier" address (an emulation function, say) it executed;
 *   - watches for the marker NOPs of guests/minios/include/profmark.h: a
 *     BEGIN zeroes every counter and opens a window, an END writes the
 *     window out, and the bit marks after it give the window's operation
 *     count.  Outside a window monitor instructions cost one test.
 *
 * Under -icount shift=0,sleep=off the run is deterministic, so two runs
 * give identical counts.  An instruction that faults is counted each time
 * it is attempted (the guest's CLI that traps counts once, as does a store
 * retried after a hidden page fault).
 *
 * Arguments (-plugin trapprof.so,KEY=VALUE,...; hexadecimal addresses):
 *   out=PATH          where the windows are written (required)
 *   mon=LO-HI         a range of monitor code, [LO, HI); repeat for each
 *   stubs=LO-HI       the vector stubs, within a mon= range
 *   class=ADDR        a classifier address; repeat, at most MAX_CLASSES
 *   stop=N            end QEMU when window N opens (the guest has by then
 *                     printed window N-1's result); 0, the default: never
 *
 * Output, one record a line (tools/profile/profile.py reads it):
 *   window SEQ                      a window closed; then its records:
 *   node ID PARENT CALLSITE ENTRY   the context tree (roots: PARENT -1,
 *                                   ENTRY the stub; node 0: outside traps)
 *   trap CLASS ROOT N               N traps of kind (ROOT's stub, CLASS)
 *   m CLASS NODE VADDR N            monitor instruction VADDR ran N times
 *   g VADDR N                       guest instruction VADDR ran N times
 *   stat NAME N                     consistency counters (all 0 when sound)
 *   end
 *   ops N                           the operations the window timed
 *   stopped                         (stop=) QEMU was ended here
 *   exit windows N                  the run ended normally
 * CLASS is the classifier's address, 0 for none.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qemu_plugin_api.h"
#define PROFMARK_CONSTANTS_ONLY
#include "profmark.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define MAX_RANGES      8
#define MAX_CLASSES     128
#define MAX_DEPTH       256
#define MAX_INSN_BYTES  16
#define NO_NODE         0xFFFFFFFFu
#define OUTSIDE_NODE    0u              /* monitor code run outside any trap */
#define TRAPCOUNT_INSN  0xFFFFFFFFu     /* the key under which traps are counted */
#define SCRATCH_BITS    18
#define GUEST_CHUNK     65536

/* x86 opcodes that move between frames (the monitor is 32-bit code) */
#define OP_CALL_REL     0xE8
#define OP_GRP5         0xFF            /* /2: CALL r/m32 */
#define GRP5_CALL       2
#define OP_RET          0xC3
#define OP_RET_IMM      0xC2
#define OP_IRET         0xCF

static void fatal(const char *what, const char *detail)
{
	char msg[512];

	snprintf(msg, sizeof msg, "trapprof: %s%s%s\n", what, detail ? ": " : "",
		 detail ? detail : "");
	qemu_plugin_outs(msg);
	fputs(msg, stderr);
	exit(1);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p)
		fatal("out of memory", NULL);
	return p;
}

/* ---- arguments ---- */

struct range { uint64_t lo, hi; };

static struct {
	FILE *out;
	struct range mon[MAX_RANGES];
	unsigned n_mon;
	struct range stubs;
	uint64_t classes[MAX_CLASSES];
	unsigned n_classes;
	unsigned stop;
} cfg;

static bool in_range(const struct range *r, uint64_t va)
{
	return va >= r->lo && va < r->hi;
}

static bool is_monitor(uint64_t va)
{
	for (unsigned i = 0; i < cfg.n_mon; i++)
		if (in_range(&cfg.mon[i], va))
			return true;
	return false;
}

/* 1 + the index of va among the classifiers, 0 if it is none */
static unsigned class_of(uint64_t va)
{
	for (unsigned i = 0; i < cfg.n_classes; i++)
		if (cfg.classes[i] == va)
			return i + 1;
	return 0;
}

static uint64_t class_addr(unsigned class_id)
{
	return class_id ? cfg.classes[class_id - 1] : 0;
}

static bool parse_range(const char *s, struct range *r)
{
	char *end;

	r->lo = strtoull(s, &end, 16);
	if (*end != '-')
		return false;
	r->hi = strtoull(end + 1, &end, 16);
	return *end == 0 && r->lo < r->hi;
}

static void parse_arg(const char *arg)
{
	const char *eq = strchr(arg, '=');
	const char *val = eq ? eq + 1 : "";
	size_t klen = eq ? (size_t)(eq - arg) : strlen(arg);
	char *end;

	if (klen == 3 && !strncmp(arg, "out", 3)) {
		cfg.out = fopen(val, "w");
		if (!cfg.out)
			fatal("cannot write", val);
	} else if (klen == 3 && !strncmp(arg, "mon", 3)) {
		if (cfg.n_mon == MAX_RANGES || !parse_range(val, &cfg.mon[cfg.n_mon++]))
			fatal("bad mon= range (LO-HI in hex, at most 8)", arg);
	} else if (klen == 5 && !strncmp(arg, "stubs", 5)) {
		if (!parse_range(val, &cfg.stubs))
			fatal("bad stubs= range (LO-HI in hex)", arg);
	} else if (klen == 5 && !strncmp(arg, "class", 5)) {
		if (cfg.n_classes == MAX_CLASSES)
			fatal("too many class= addresses", arg);
		cfg.classes[cfg.n_classes++] = strtoull(val, &end, 16);
		if (*end || end == val)
			fatal("bad class= address (hex)", arg);
	} else if (klen == 4 && !strncmp(arg, "stop", 4)) {
		cfg.stop = (unsigned)strtoul(val, &end, 10);
		if (*end || end == val)
			fatal("bad stop= (a window number)", arg);
	} else {
		fatal("unknown argument (known: out= mon= stubs= class= stop=)", arg);
	}
}

/* ---- monitor instructions, one record per distinct (address, bytes) ---- */

enum ikind { I_PLAIN, I_CALL, I_RET, I_IRET };

struct minsn {
	uint64_t vaddr;
	uint8_t bytes[MAX_INSN_BYTES];
	uint8_t size;
	uint8_t kind;           /* enum ikind */
	bool stub;
	uint16_t class_id;
	uint32_t id;
	struct minsn *next;     /* same hash bucket */
	uint32_t epoch, node, slot;     /* where this trap last counted it */
};

#define MINSN_BUCKETS 65536
static struct minsn *minsn_hash[MINSN_BUCKETS];
static struct minsn **minsn_by_id;
static uint32_t n_minsns, cap_minsns;

static enum ikind decode_kind(const uint8_t *b, size_t n)
{
	if (n >= 1 && b[0] == OP_CALL_REL)
		return I_CALL;
	if (n >= 2 && b[0] == OP_GRP5 && ((b[1] >> 3) & 7) == GRP5_CALL)
		return I_CALL;
	if (n >= 1 && (b[0] == OP_RET || b[0] == OP_RET_IMM))
		return I_RET;
	if (n >= 1 && b[0] == OP_IRET)
		return I_IRET;
	return I_PLAIN;
}

/* The guest may run its own code at a monitor address (minios's boot code
 * does, with paging off), so a record is keyed by the bytes too. */
static struct minsn *minsn_get(uint64_t va, const uint8_t *b, size_t n)
{
	unsigned h = (unsigned)((va * 0x9E3779B97F4A7C15ull) >> 48) % MINSN_BUCKETS;
	struct minsn *mi;

	if (n > MAX_INSN_BYTES)
		n = MAX_INSN_BYTES;
	for (mi = minsn_hash[h]; mi; mi = mi->next)
		if (mi->vaddr == va && mi->size == n && !memcmp(mi->bytes, b, n))
			return mi;
	mi = xcalloc(1, sizeof *mi);
	mi->vaddr = va;
	memcpy(mi->bytes, b, n);
	mi->size = (uint8_t)n;
	mi->kind = (uint8_t)decode_kind(b, n);
	mi->stub = in_range(&cfg.stubs, va);
	mi->class_id = (uint16_t)class_of(va);
	if (n_minsns == cap_minsns) {
		cap_minsns = cap_minsns ? cap_minsns * 2 : 4096;
		minsn_by_id = realloc(minsn_by_id, cap_minsns * sizeof *minsn_by_id);
		if (!minsn_by_id)
			fatal("out of memory", NULL);
	}
	mi->id = n_minsns;
	minsn_by_id[n_minsns++] = mi;
	mi->next = minsn_hash[h];
	minsn_hash[h] = mi;
	return mi;
}

/* ---- the calling-context tree ---- */

struct node { uint32_t parent; uint64_t callsite, entry; };

static struct node *nodes;
static uint32_t n_nodes, cap_nodes;
static uint32_t *node_index;    /* open addressing: node id + 1, 0 empty */
static uint32_t node_index_size;

static uint64_t mix3(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t h = a * 0x9E3779B97F4A7C15ull ^ b * 0xC2B2AE3D27D4EB4Full ^ c * 0x165667B19E3779F9ull;

	return h ^ (h >> 29);
}

static void node_index_insert(uint32_t id)
{
	const struct node *n = &nodes[id];
	uint32_t mask = node_index_size - 1;
	uint32_t i = (uint32_t)mix3(n->parent, n->callsite, n->entry) & mask;

	while (node_index[i])
		i = (i + 1) & mask;
	node_index[i] = id + 1;
}

static void node_index_grow(void)
{
	free(node_index);
	node_index_size = node_index_size ? node_index_size * 2 : 4096;
	node_index = xcalloc(node_index_size, sizeof *node_index);
	for (uint32_t id = 0; id < n_nodes; id++)
		node_index_insert(id);
}

static uint32_t node_get(uint32_t parent, uint64_t callsite, uint64_t entry)
{
	uint32_t mask, i;

	if (2 * (n_nodes + 1) > node_index_size)
		node_index_grow();
	mask = node_index_size - 1;
	for (i = (uint32_t)mix3(parent, callsite, entry) & mask; node_index[i]; i = (i + 1) & mask) {
		const struct node *n = &nodes[node_index[i] - 1];
		if (n->parent == parent && n->callsite == callsite && n->entry == entry)
			return node_index[i] - 1;
	}
	if (n_nodes == cap_nodes) {
		cap_nodes = cap_nodes ? cap_nodes * 2 : 4096;
		nodes = realloc(nodes, cap_nodes * sizeof *nodes);
		if (!nodes)
			fatal("out of memory", NULL);
	}
	nodes[n_nodes] = (struct node){ parent, callsite, entry };
	node_index[i] = n_nodes + 1;
	return n_nodes++;
}

/* ---- the window's counts: (class, node, instruction) -> executions ---- */

struct cell { uint32_t class_id, node, insn; uint64_t n; };

static struct cell *cells;      /* open addressing, n == 0 is empty */
static uint32_t n_cells, cells_size;

static void cells_insert(struct cell c)
{
	uint32_t mask = cells_size - 1;
	uint32_t i = (uint32_t)mix3(c.class_id, c.node, c.insn) & mask;

	for (;; i = (i + 1) & mask) {
		struct cell *s = &cells[i];
		if (!s->n) {
			*s = c;
			n_cells++;
			return;
		}
		if (s->class_id == c.class_id && s->node == c.node && s->insn == c.insn) {
			s->n += c.n;
			return;
		}
	}
}

static void cells_add(uint32_t class_id, uint32_t node, uint32_t insn, uint64_t n)
{
	if (2 * (n_cells + 1) > cells_size) {
		struct cell *old = cells;
		uint32_t old_size = cells_size;

		cells_size = cells_size ? cells_size * 2 : 65536;
		cells = xcalloc(cells_size, sizeof *cells);
		n_cells = 0;
		for (uint32_t i = 0; i < old_size; i++)
			if (old[i].n)
				cells_insert(old[i]);
		free(old);
	}
	cells_insert((struct cell){ class_id, node, insn, n });
}

/* ---- one trap's counts, until its kind is known ---- */

struct sslot { uint32_t epoch, node; struct minsn *mi; uint64_t n; };

static struct sslot scratch[1u << SCRATCH_BITS];
static uint32_t touched[1u << (SCRATCH_BITS - 1)];
static uint32_t n_touched, epoch = 1;

/* ---- the guest's instructions: a counter per address ---- */

struct gctr { uint64_t vaddr, n; };

static struct gctr **guest_chunks;
static uint32_t n_guest, n_guest_chunks;
static uint32_t *guest_index;   /* open addressing: counter number + 1 */
static uint32_t guest_index_size;

static struct gctr *guest_at(uint32_t k)
{
	return &guest_chunks[k / GUEST_CHUNK][k % GUEST_CHUNK];
}

static void guest_index_insert(uint32_t k)
{
	uint32_t mask = guest_index_size - 1;
	uint32_t i = (uint32_t)mix3(guest_at(k)->vaddr, 0, 0) & mask;

	while (guest_index[i])
		i = (i + 1) & mask;
	guest_index[i] = k + 1;
}

/* Counters never move (the translated code holds their addresses), so
 * they come in chunks and only the index is rebuilt when it fills. */
static struct gctr *guest_get(uint64_t va)
{
	uint32_t mask, i;

	if (2 * (n_guest + 1) > guest_index_size) {
		free(guest_index);
		guest_index_size = guest_index_size ? guest_index_size * 2 : 65536;
		guest_index = xcalloc(guest_index_size, sizeof *guest_index);
		for (uint32_t k = 0; k < n_guest; k++)
			guest_index_insert(k);
	}
	mask = guest_index_size - 1;
	for (i = (uint32_t)mix3(va, 0, 0) & mask; guest_index[i]; i = (i + 1) & mask)
		if (guest_at(guest_index[i] - 1)->vaddr == va)
			return guest_at(guest_index[i] - 1);
	if (n_guest % GUEST_CHUNK == 0) {
		guest_chunks = realloc(guest_chunks, (n_guest_chunks + 1) * sizeof *guest_chunks);
		if (!guest_chunks)
			fatal("out of memory", NULL);
		guest_chunks[n_guest_chunks++] = xcalloc(GUEST_CHUNK, sizeof **guest_chunks);
	}
	guest_at(n_guest)->vaddr = va;
	guest_index[i] = n_guest + 1;
	return guest_at(n_guest++);
}

/* ---- following the monitor: traps, calls, returns ---- */

struct frame { uint32_t node; uint64_t ret; bool intr; };

enum stat {
	ST_RET_MISMATCH,        /* a RET went elsewhere than after its CALL */
	ST_RET_UNMATCHED,       /* a RET with no CALL frame to leave */
	ST_ORPHANS,             /* monitor instructions outside any trap */
	ST_EARLY_FLUSH,         /* a trap too varied for the scratch table */
	ST_DEPTH_OVERFLOW,      /* calls nested deeper than MAX_DEPTH */
	ST_EXTRA_BEGINS,        /* BEGIN marks while a window was open */
	ST_STRAY_ENDS,          /* END marks with no window open */
	ST_COUNT
};
static const char *const stat_names[ST_COUNT] = {
	"ret_mismatch", "ret_unmatched", "orphans", "early_flush", "depth_overflow",
	"extra_begins", "stray_ends",
};

static struct {
	bool window;            /* between BEGIN and END */
	unsigned seq;           /* windows closed so far */
	bool in_trap;
	uint32_t root, node;    /* the trap's root node, the current node */
	unsigned class_id;      /* the trap's kind so far */
	struct frame stack[MAX_DEPTH];
	unsigned depth;
	const struct minsn *prev;       /* the monitor instruction before */
	const struct minsn *pending_call;
	uint64_t expect;        /* where the last RET should land, 0 none */
	uint64_t stats[ST_COUNT];
	bool reading_ops;
	unsigned ops_bits;
	uint32_t ops;
} st;

static void scratch_flush(void)
{
	for (uint32_t k = 0; k < n_touched; k++) {
		struct sslot *s = &scratch[touched[k]];
		cells_add(st.class_id, s->node, s->mi->id, s->n);
	}
	n_touched = 0;
	epoch++;
}

static uint32_t scratch_slot(uint32_t node, struct minsn *mi)
{
	uint32_t mask = (1u << SCRATCH_BITS) - 1;
	uint32_t i = (uint32_t)mix3(node, mi->id, 0) & mask;

	for (;; i = (i + 1) & mask) {
		struct sslot *s = &scratch[i];
		if (s->epoch != epoch) {
			*s = (struct sslot){ epoch, node, mi, 0 };
			touched[n_touched++] = i;
			return i;
		}
		if (s->node == node && s->mi == mi)
			return i;
	}
}

static void count(struct minsn *mi)
{
	if (mi->epoch != epoch || mi->node != st.node) {
		if (n_touched == sizeof touched / sizeof touched[0]) {
			st.stats[ST_EARLY_FLUSH]++;
			scratch_flush();
		}
		mi->slot = scratch_slot(st.node, mi);
		mi->epoch = epoch;
		mi->node = st.node;
	}
	scratch[mi->slot].n++;
}

static void push(uint32_t node, uint64_t ret, bool intr)
{
	if (st.depth == MAX_DEPTH) {
		st.stats[ST_DEPTH_OVERFLOW]++;
		return;
	}
	st.stack[st.depth++] = (struct frame){ node, ret, intr };
}

static void trap_begin(const struct minsn *stub)
{
	st.in_trap = true;
	st.root = st.node = node_get(NO_NODE, 0, stub->vaddr);
	st.class_id = 0;
	st.depth = 0;
}

static void trap_end(void)
{
	scratch_flush();
	cells_add(st.class_id, st.root, TRAPCOUNT_INSN, 1);
	st.in_trap = false;
	st.depth = 0;
	st.pending_call = NULL;
	st.expect = 0;
}

/* A stub's first instruction: a trap from the guest, or one taken in the
 * monitor itself (a ring-0 interrupt), which nests like a call.  ret: the
 * return address a RET just before it was expected to reach (an NMI
 * delivered between a RET and its target), checked after the IRET. */
static void stub_entered(const struct minsn *mi, uint64_t ret)
{
	if (!st.in_trap) {
		trap_begin(mi);
		return;
	}
	push(st.node, ret, true);
	st.node = node_get(st.node, st.prev ? st.prev->vaddr : 0, mi->vaddr);
}

static void leave_frame(void)
{
	if (!st.depth || st.stack[st.depth - 1].intr) {
		st.stats[ST_RET_UNMATCHED]++;
		return;
	}
	st.depth--;
	st.node = st.stack[st.depth].node;
	st.expect = st.stack[st.depth].ret;
}

/* IRET: back into the monitor if a ring-0 trap is open, else to the guest. */
static void iret_executed(void)
{
	for (unsigned d = st.depth; d > 0; d--) {
		if (st.stack[d - 1].intr) {
			st.depth = d - 1;
			st.node = st.stack[d - 1].node;
			st.expect = st.stack[d - 1].ret;
			return;
		}
	}
	trap_end();
}

static void on_minsn(unsigned int vcpu, void *udata)
{
	struct minsn *mi = udata;
	bool entry;

	uint64_t expect = st.expect;

	(void)vcpu;
	if (!st.window)
		return;
	entry = mi->stub && (!st.in_trap || !st.prev || !st.prev->stub);
	st.expect = 0;
	if (expect && !entry && mi->vaddr != expect)
		st.stats[ST_RET_MISMATCH]++;
	if (st.pending_call) {
		const struct minsn *c = st.pending_call;
		push(st.node, c->vaddr + c->size, false);
		st.node = node_get(st.node, c->vaddr, entry ? 0 : mi->vaddr);
		st.pending_call = NULL;
	}
	if (entry)
		stub_entered(mi, expect);
	if (!st.in_trap) {
		st.stats[ST_ORPHANS]++;
		cells_add(0, OUTSIDE_NODE, mi->id, 1);
		st.prev = mi;
		return;
	}
	if (mi->class_id && !st.class_id)
		st.class_id = mi->class_id;
	count(mi);
	st.prev = mi;
	switch (mi->kind) {
	case I_CALL: st.pending_call = mi; break;
	case I_RET: leave_frame(); break;
	case I_IRET: iret_executed(); break;
	default: break;
	}
}

/* ---- windows ---- */

static void window_open(void)
{
	for (uint32_t k = 0; k < n_guest; k++)
		guest_at(k)->n = 0;
	memset(cells, 0, cells_size * sizeof *cells);
	n_cells = 0;
	memset(st.stats, 0, sizeof st.stats);
	st.in_trap = false;
	st.depth = 0;
	st.prev = NULL;
	st.pending_call = NULL;
	st.expect = 0;
	st.reading_ops = false;
	st.window = true;
}

static void window_write(void)
{
	FILE *f = cfg.out;

	fprintf(f, "window %u\n", ++st.seq);
	for (uint32_t id = 0; id < n_nodes; id++)
		fprintf(f, "node %u %d 0x%" PRIx64 " 0x%" PRIx64 "\n", id,
			nodes[id].parent == NO_NODE ? -1 : (int)nodes[id].parent,
			nodes[id].callsite, nodes[id].entry);
	for (uint32_t i = 0; i < cells_size; i++) {
		const struct cell *c = &cells[i];
		if (c->n && c->insn == TRAPCOUNT_INSN)
			fprintf(f, "trap 0x%" PRIx64 " %u %" PRIu64 "\n", class_addr(c->class_id),
				c->node, c->n);
	}
	for (uint32_t i = 0; i < cells_size; i++) {
		const struct cell *c = &cells[i];
		if (c->n && c->insn != TRAPCOUNT_INSN)
			fprintf(f, "m 0x%" PRIx64 " %u 0x%" PRIx64 " %" PRIu64 "\n",
				class_addr(c->class_id), c->node, minsn_by_id[c->insn]->vaddr, c->n);
	}
	for (uint32_t k = 0; k < n_guest; k++)
		if (guest_at(k)->n)
			fprintf(f, "g 0x%" PRIx64 " %" PRIu64 "\n", guest_at(k)->vaddr,
				guest_at(k)->n);
	for (unsigned s = 0; s < ST_COUNT; s++)
		fprintf(f, "stat %s %" PRIu64 "\n", stat_names[s], st.stats[s]);
	if (st.in_trap)
		fprintf(f, "stat open_trap 1\n");
	fprintf(f, "end\n");
	fflush(f);
}

static void on_marker(unsigned int vcpu, void *udata)
{
	unsigned code = (unsigned)(uintptr_t)udata;

	(void)vcpu;
	switch (code) {
	case PROFMARK_BEGIN:
		if (st.window) {
			st.stats[ST_EXTRA_BEGINS]++;
			return;
		}
		if (cfg.stop && st.seq + 1 == cfg.stop) {
			/* no QEMU exit path is safe from a vCPU callback: end here */
			fprintf(cfg.out, "stopped\n");
			fclose(cfg.out);
			_exit(0);
		}
		window_open();
		return;
	case PROFMARK_END:
		if (!st.window) {
			st.stats[ST_STRAY_ENDS]++;
			return;
		}
		st.window = false;
		window_write();
		st.reading_ops = true;
		st.ops_bits = 0;
		st.ops = 0;
		return;
	case PROFMARK_BIT0:
	case PROFMARK_BIT1:
		if (!st.reading_ops)
			return;
		st.ops = st.ops << 1 | (code == PROFMARK_BIT1);
		if (++st.ops_bits == PROFMARK_OPS_BITS) {
			fprintf(cfg.out, "ops %u\n", st.ops);
			fflush(cfg.out);
			st.reading_ops = false;
		}
		return;
	}
}

/* 0F 1F 80 disp32 with the magic in the displacement's top three bytes */
static bool marker_code(const uint8_t *b, size_t n, unsigned *code)
{
	uint32_t disp;

	if (n != PROFMARK_LEN || b[0] != PROFMARK_OPCODE0 || b[1] != PROFMARK_OPCODE1 ||
	    b[2] != PROFMARK_MODRM)
		return false;
	disp = (uint32_t)b[3] | (uint32_t)b[4] << 8 | (uint32_t)b[5] << 16 | (uint32_t)b[6] << 24;
	if ((disp & PROFMARK_MAGIC_MASK) != PROFMARK_MAGIC)
		return false;
	*code = disp & ~PROFMARK_MAGIC_MASK;
	return true;
}

/* ---- translation: attach the counting to each instruction ---- */

static void instrument_guest(struct qemu_plugin_insn *insn, uint64_t va,
			     const uint8_t *b, size_t n)
{
	unsigned code;

	qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
						   &guest_get(va)->n, 1);
	if (marker_code(b, n, &code))
		qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker, QEMU_PLUGIN_CB_NO_REGS,
						       (void *)(uintptr_t)code);
}

static void on_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);

	(void)id;
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint64_t va = qemu_plugin_insn_vaddr(insn);
		const uint8_t *b = qemu_plugin_insn_data(insn);
		size_t size = qemu_plugin_insn_size(insn);

		if (is_monitor(va))
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_minsn, QEMU_PLUGIN_CB_NO_REGS,
							       minsn_get(va, b, size));
		else
			instrument_guest(insn, va, b, size);
	}
}

static void on_qemu_exit(qemu_plugin_id_t id, void *udata)
{
	(void)id;
	(void)udata;
	fprintf(cfg.out, "exit windows %u\n", st.seq);
	fclose(cfg.out);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
					   int argc, char **argv)
{
	if (info->version.min > QEMU_PLUGIN_VERSION || info->version.cur < QEMU_PLUGIN_VERSION)
		fatal("this QEMU does not offer plugin API level 1", NULL);
	if (!info->system_emulation)
		fatal("needs system emulation (qemu-system-i386)", NULL);
	for (int i = 0; i < argc; i++)
		parse_arg(argv[i]);
	if (!cfg.out || !cfg.n_mon || cfg.stubs.lo == cfg.stubs.hi)
		fatal("out=, mon= and stubs= are required", NULL);
	node_get(NO_NODE, 0, 0);        /* OUTSIDE_NODE */
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_trans);
	qemu_plugin_register_atexit_cb(id, on_qemu_exit, NULL);
	return 0;
}
