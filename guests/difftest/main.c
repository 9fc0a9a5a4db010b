/*
 * main.c - the differential tester's guest: its command line, the batch
 * module, and the loop over the sequences.
 *
 *   difftest [full] [show=N] [start=N] [count=N] [mask=NAME+NAME]
 *
 * full prints every observation of every sequence; show=N only those of
 * record N (the others as hashes: a sequence whose result depends on what
 * ran before it is seen in its place).  start=N skips the first N records,
 * count=N stops after N.
 *
 * The batch (test/difftest/gen.py) is the first multiboot module: QEMU
 * -initrd BATCH natively; under the monitor -initrd "difftest.elf ARGS,BATCH"
 * (the monitor passes the modules after the guest on to the guest).
 *
 * Output:
 *   difftest: layout pd=... pt=... r0stack=... win=... code=... r3stack=...
 *             scratch=... alias=... pool=...
 *   difftest: batch seed S first F count N (running K from start)
 *   one line per sequence: "HASH VECTOR xrcptm" (run.c; full: "seq I ring R", then
 *   "name value" lines, then "end I")
 *   difftest: done N
 * and the exit code 0.  The runner compares the layout with gen.py's, so a
 * guest and a generator that disagree on an address stop at once.  A bad
 * option or module is refused in one line, exit code 2; a trap outside a
 * sequence is a broken guest, exit code 3.
 */
#include "difftest.h"
#include "run.h"
#include "lib/multiboot.h"

#define CMDLINE_MAX 1024

static char cmdline[CMDLINE_MAX];
static bool opt_full;
static u32 opt_start, opt_count = ~0u, opt_show = ~0u, opt_masks;

static const struct { const char *name; u32 bit; } mask_names[] = {
	{ "ss_rpl", MASK_SS_RPL },
	{ "pf_pde_a", MASK_PF_PDE_A },
};

static void refuse(const char *why, const char *word)
{
	if (*word)
		console_printf("difftest: refused: %s '%s'\n", why, word);
	else
		console_printf("difftest: refused: %s\n", why);
	machine_exit(EXIT_USAGE);
}

static bool parse_u32(const char *s, u32 *out)
{
	u32 v = 0;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 0x19999999u)
			return false;
		v = v * 10 + (u32)(*s - '0');
	}
	*out = v;
	return true;
}

static bool is_sep(char c)
{
	return c == '+' || c == ',';
}

static void parse_masks(char *list)
{
	for (char *p = list; *p;) {
		char *end = p;
		while (*end && !is_sep(*end))
			end++;
		char saved = *end;
		*end = 0;
		bool known = false;
		for (unsigned i = 0; i < sizeof mask_names / sizeof mask_names[0]; i++)
			if (fmt_strcmp(p, mask_names[i].name) == 0) {
				opt_masks |= mask_names[i].bit;
				known = true;
			}
		if (!known)
			refuse("unknown mask", p);
		*end = saved;
		p = *end ? end + 1 : end;
	}
}

static void parse_word(char *w)
{
	if (fmt_strcmp(w, "full") == 0)
		opt_full = true;
	else if (fmt_strncmp(w, "start=", 6) == 0) {
		if (!parse_u32(w + 6, &opt_start))
			refuse("bad number in", w);
	} else if (fmt_strncmp(w, "show=", 5) == 0) {
		if (!parse_u32(w + 5, &opt_show))
			refuse("bad number in", w);
	} else if (fmt_strncmp(w, "count=", 6) == 0) {
		if (!parse_u32(w + 6, &opt_count))
			refuse("bad number in", w);
	} else if (fmt_strncmp(w, "mask=", 5) == 0)
		parse_masks(w + 5);
	else
		refuse("unknown option", w);
}

/* Splits cmdline into words in place; the first may be the kernel's path
 * (GRUB and the monitor pass it, QEMU's -append does not). */
static void parse(char *s)
{
	bool first = true;
	while (*s) {
		while (*s == ' ')
			*s++ = 0;
		if (!*s)
			break;
		char *w = s;
		while (*s && *s != ' ')
			s++;
		if (*s)
			*s++ = 0;
		bool path = false;
		for (char *c = w; *c; c++)
			path |= *c == '/';
		size_t n = fmt_strlen(w);
		if (!(first && (path || (n > 4 && fmt_strcmp(w + n - 4, ".elf") == 0))))
			parse_word(w);
		first = false;
	}
}

static const struct dt_batch *find_batch(u32 magic, const struct mb_info *mbi)
{
	if (magic != MB_BOOT_MAGIC)
		refuse("not started by a multiboot loader", "");
	if (mbi->flags & MBI_CMDLINE) {
		const char *src = (const char *)mbi->cmdline;
		size_t i = 0;
		for (; i < CMDLINE_MAX - 1 && src[i]; i++)
			cmdline[i] = src[i];
		if (src[i])
			refuse("command line too long", "");
	}
	parse(cmdline);
	if (!(mbi->flags & MBI_MODS) || mbi->mods_count < 1)
		refuse("no batch: pass it as a module (QEMU -initrd BATCH)", "");
	const struct mb_module *m = (const struct mb_module *)mbi->mods_addr;
	if (m->end > DT_LOW_END || m->end - m->start < sizeof(struct dt_batch))
		refuse("the batch module is empty or reaches the test area at 8 MB", "");
	const struct dt_batch *b = (const struct dt_batch *)m->start;
	if (b->magic != DT_MAGIC)
		refuse("the module is not a batch (no DTB1 magic)", "");
	return b;
}

/* The records follow the header; each says its size.  Returns the next
 * one, or 0 if the record runs past the module. */
static const struct dt_record *next_record(const struct dt_record *r, u32 end)
{
	u32 at = (u32)r;
	if (at + sizeof *r > end || r->size < sizeof *r || r->size > end - at ||
	    r->code_len > r->size - sizeof *r || r->code_len > DT_CODE_PAGES * PGSIZE)
		return 0;
	return (const struct dt_record *)(at + r->size);
}

/* The PIC pair moved off the exception vectors (the BIOS leaves IRQ 0 at
 * vector 8) and every line masked: a sequence that sets IF must see no
 * interrupt, natively or under the monitor. */
#define PIC1_CMD   0x20
#define PIC1_DATA  0x21
#define PIC2_CMD   0xA0
#define PIC2_DATA  0xA1
#define ICW1_INIT  0x11            /* edge, cascade, ICW4 follows */
#define IRQ_BASE   0x20
#define ICW3_MASTER 0x04           /* the slave on IRQ 2 */
#define ICW3_SLAVE  0x02
#define ICW4_8086  0x01
#define PIC_ALL    0xFF

static void pic_init(void)
{
	outb(PIC1_CMD, ICW1_INIT);
	outb(PIC2_CMD, ICW1_INIT);
	outb(PIC1_DATA, IRQ_BASE);
	outb(PIC2_DATA, IRQ_BASE + 8);
	outb(PIC1_DATA, ICW3_MASTER);
	outb(PIC2_DATA, ICW3_SLAVE);
	outb(PIC1_DATA, ICW4_8086);
	outb(PIC2_DATA, ICW4_8086);
	outb(PIC1_DATA, PIC_ALL);
	outb(PIC2_DATA, PIC_ALL);
}

static void print_layout(void)
{
	console_printf("difftest: layout pd=0x%x pt=0x%x r0stack=0x%x win=0x%x info=0x%x "
		       "code=0x%x r3stack=0x%x scratch=0x%x alias=0x%x pool=0x%x "
		       "stack_start=0x%x\n", DT_PD, DT_PT_BASE, DT_R0STACK, DT_WIN, DT_INFO,
		       DT_CODE, DT_R3STACK, DT_SCRATCH, DT_ALIAS, DT_POOL, DT_STACK_START);
}

static void run_batch(const struct dt_batch *b, u32 end)
{
	const struct dt_record *r = (const struct dt_record *)(b + 1);
	u32 ran = 0;

	console_printf("difftest: batch seed %u first %u count %u start %u\n", b->seed, b->first,
		       b->count, opt_start);
	for (u32 i = 0; i < b->count && ran < opt_count; i++) {
		const struct dt_record *next = next_record(r, end);
		if (!next) {
			console_printf("difftest: record %u is malformed\n", i);
			machine_exit(EXIT_USAGE);
		}
		if (i >= opt_start) {
			run_record(r, b->first + i, opt_full || i == opt_show);
			ran++;
		}
		r = next;
	}
	console_printf("difftest: done %u\n", ran);
}

void cmain(u32 magic, const struct mb_info *mbi)
{
	console_init();
	const struct dt_batch *b = find_batch(magic, mbi);
	u32 end = ((const struct mb_module *)mbi->mods_addr)->end;

	print_layout();
	pic_init();
	tables_init();
	paging_init();
	run_setup(opt_masks);
	run_batch(b, end);
	machine_exit(EXIT_OK);
}
