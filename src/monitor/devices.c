/*
 * devices.c - the guest's PC: virtual PIC, PIT, UART and debug-exit port on
 * one port bus, wired as vio.h prescribes.
 *
 * Time: the virtual PIT does not run by itself.  advance_time() asks the
 * host clock how many PIT ticks passed (host_pit_now) and advances the
 * virtual PIT by as many, pulsing virtual IRQ 0 on an edge.  It runs just
 * before any guest access to the PIT's ports, so that two latched reads in
 * a row see the count go down, and from devices_sync() after a trap, but
 * only once the PIT's next edge is due (next_edge): a trap that comes
 * before then has nothing to catch up, and pays one TSC read and a
 * compare (edge_tsc: the deadline converted back to the TSC, rounded
 * early, so the exact conversion runs only in the last moments before
 * it).  So the guest's timer runs at the host clock's rate, whatever rate
 * it programs.
 *
 * Serial: bytes the guest transmits go to the host's COM1 at once; bytes
 * arriving at the host's COM1 are fed to the virtual UART's receiver,
 * polled after each host timer tick (every millisecond) rather than after
 * every trap.  One byte is the monitor's, never the guest's: Ctrl-]
 * (CONSOLE_ESCAPE, as telnet's escape) ends the run with the exit table,
 * the way to end a guest that never exits by itself (xv6).
 *
 * With input=modN the monitor itself is the operator at that console: a
 * script module typed one line at each shell prompt (vscript.h), fed into
 * the receiver at the same polls, so a run repeats under -icount.
 *
 * Disk: the IDE model's drives are backed by the host's own IDE disks
 * through the monitor's driver (hostdisk.c), or by a module in RAM
 * (disk0=modN: the run's own copy of an image, read and written with no
 * host device in between), as the disk0=/disk1= options say; IRQ 14
 * follows the model's line like the UART's IRQ 4.
 *
 * Also on the bus, for real PC kernels: the CRT controller's cursor ports,
 * an 8042 with no data, port 0x92.  A reset asked through the last two is
 * only counted (reported at the end).
 *
 * Exit: the first write to the debug-exit port ends the run with its value.
 *
 * Interrupts: whether one is due (devices_irq_pending) is asked after
 * every trap, and the answer changes only when a device model's interrupt
 * state does, which happens only through this file: time advancing, an
 * IRQ line moving, a port or MMIO access, an INTA (and the fault
 * injector's timer edges, while it is armed).  Each of those marks the
 * remembered answer stale (irq_changed); the usual trap (a CLI, an IN
 * from the PIC's mask register, a page-table write) asks a question
 * already answered.
 */
#include "devices.h"
#include "hostdisk.h"
#include "hosthw.h"
#include "monitor.h"
#include "run.h"
#include "virtdev/vio.h"
#include "virtdev/vmmio.h"
#include "virtdev/vlapic.h"
#include "virtdev/vioapic.h"
#include "virtdev/vscript.h"
#include "memory.h"
#include "x86.h"
#include "lib/fmt.h"
#include "lib/mem.h"
#include "fault/fault.h"

#define CONSOLE_ESCAPE 0x1Du            /* Ctrl-] */

static struct {
	struct vio_bus bus;
	struct vpic pic;
	struct vpit pit;
	struct vuart uart;
	struct vdebugexit dbg;
	struct vmmio_bus mmio;
	struct vide ide;
	struct vcrtc crtc;
	struct vkbc kbc;
	struct vsysctl sysctl;
	struct vlapic lapic;
	struct vioapic ioapic;
	struct vscript script;  /* input=modN */
	bool scripted;
	uint32_t *lapic_image;  /* what reads of its page return (memory.h) */
	uint32_t lapic_events;  /* its counters when the image was last redone */
	uint64_t pit_synced;    /* host_pit_now() when the devices last advanced */
	uint64_t next_edge;     /* ...and when the PIT's OUT0 next rises or the
				   local APIC's timer next expires (or never) */
	uint64_t edge_tsc;      /* the TSC before which next_edge is not due */
	int irq_vector;         /* devices_irq_pending()'s last answer... */
	bool irq_stale;         /* ...unless a model's interrupt state moved since */
} dev;

/* The PIC, the local APIC or the I/O APIC may have changed what they
 * would give the CPU. */
static void irq_changed(void)
{
	dev.irq_stale = true;
}

/* ---- the two APICs: memory-mapped, wired as the MP table says ---- */

static void lapic_eoi(void *io, uint8_t vector)
{
	vioapic_eoi(io, vector);
}

static bool to_lapic(void *l, const struct vapic_msg *m)
{
	return vlapic_deliver(l, m);
}

static uint32_t lapic_read(void *d, uint32_t off, unsigned size)
{
	return vlapic_mmio_read(d, off, size);
}

static void lapic_write(void *d, uint32_t off, unsigned size, uint32_t value)
{
	vlapic_mmio_write(d, off, size, value);
}

static uint32_t ioapic_read(void *d, uint32_t off, unsigned size)
{
	return vioapic_mmio_read(d, off, size);
}

static void ioapic_write(void *d, uint32_t off, unsigned size, uint32_t value)
{
	vioapic_mmio_write(d, off, size, value);
}

static const struct vmmio_ops lapic_ops = { lapic_read, lapic_write };
static const struct vmmio_ops ioapic_ops = { ioapic_read, ioapic_write };

/* The local APIC's read image: every register a read can reach, as the
 * model would return it.  Writes fault and go to the model (then the whole
 * image is redone); what changes without a write (IRR, ISR, TMR and PPR on
 * an interrupt's arrival, acknowledgement and EOI) is redone after each of
 * those, and the timer's current count whenever time catches up (every
 * host tick, timer expiry, PIT edge and PIT access): so a guest read of
 * the current count sees it as of the last of those, at most a host tick
 * (1 ms) old while the guest runs with interrupts on (docs/xv6.md). */
static const uint16_t lapic_regs[] = {
	LAPIC_ID, LAPIC_VER, LAPIC_TPR, LAPIC_APR, LAPIC_PPR, LAPIC_LDR, LAPIC_DFR, LAPIC_SVR,
	LAPIC_ESR, LAPIC_ICR_LO, LAPIC_ICR_HI, LAPIC_LVT_TIMER, LAPIC_LVT_THERMAL,
	LAPIC_LVT_PERF, LAPIC_LVT_LINT0, LAPIC_LVT_LINT1, LAPIC_LVT_ERROR, LAPIC_TICR,
	LAPIC_TDCR,
};

static void image_set(uint32_t off)
{
	dev.lapic_image[off / 4] = vlapic_mmio_read(&dev.lapic, off, 4);
}

/* What an interrupt's coming and going, or time, changes. */
static void lapic_image_volatile(void)
{
	for (uint32_t i = 0; i < 8; i++) {	/* bound: the 8 words of ISR, TMR and IRR */
		image_set(LAPIC_ISR + 16 * i);
		image_set(LAPIC_TMR + 16 * i);
		image_set(LAPIC_IRR + 16 * i);
	}
	image_set(LAPIC_PPR);
	image_set(LAPIC_TCCR);
}

static void lapic_image_all(void)
{
	/* bound: the register list's length */
	for (unsigned i = 0; i < sizeof lapic_regs / sizeof lapic_regs[0]; i++)
		image_set(lapic_regs[i]);
	lapic_image_volatile();
}

static void attach_apics(void)
{
	vlapic_init(&dev.lapic, 0, lapic_eoi, &dev.ioapic);     /* IDs as in the MP table */
	vioapic_init(&dev.ioapic, 0, to_lapic, &dev.lapic);
	dev.lapic_image = host_frame_zeroed();
	if (!dev.lapic_image)
		mon_panic("no host frame for the local APIC's read image");
	lapic_image_all();
	devices_attach_mmio(LAPIC_BASE, LAPIC_SIZE, &lapic_ops, &dev.lapic, "local APIC",
			    dev.lapic_image);
	devices_attach_mmio(IOAPIC_BASE, IOAPIC_SIZE, &ioapic_ops, &dev.ioapic, "I/O APIC", 0);
}

/* Has an interrupt come or gone, or the timer fired, since the image was
 * redone?  (The model's own counters say.) */
static bool lapic_moved(void)
{
	const struct vlapic *l = &dev.lapic;
	uint32_t events = l->accepted + l->acks + l->eois + l->timer_fires;

	if (events == dev.lapic_events)
		return false;
	dev.lapic_events = events;
	return true;
}

static void uart_tx(void *ctx, uint8_t byte)
{
	(void)ctx;
	host_com1_putc(byte);
	if (dev.scripted)
		vscript_output(&dev.script, byte);
}

static bool hd_read(void *ctx, uint32_t lba, uint8_t *buf)
{
	return hostdisk_read((unsigned)(uintptr_t)ctx, lba, buf);
}

static bool hd_write(void *ctx, uint32_t lba, const uint8_t *buf)
{
	return hostdisk_write((unsigned)(uintptr_t)ctx, lba, buf);
}

/* A disk in RAM: a module's bytes, IDE_SECTOR_SIZE at a time. */
struct ramdisk {
	uint8_t *data;
	uint32_t nsectors;
};
static struct ramdisk ramdisks[GUEST_DISKS];

static bool ram_read(void *ctx, uint32_t lba, uint8_t *buf)
{
	const struct ramdisk *r = ctx;
	if (lba >= r->nsectors)
		return false;
	memcpy(buf, r->data + lba * IDE_SECTOR_SIZE, IDE_SECTOR_SIZE);
	return true;
}

static bool ram_write(void *ctx, uint32_t lba, const uint8_t *buf)
{
	const struct ramdisk *r = ctx;
	if (lba >= r->nsectors)
		return false;
	memcpy(r->data + lba * IDE_SECTOR_SIZE, buf, IDE_SECTOR_SIZE);
	return true;
}

/* The module an option names; refuses the option if there is none. */
static const struct mon_module *named_module(const struct mon_module *mods, unsigned n,
					     unsigned i, const char *opt)
{
	if (i >= n)
		mon_refuse(MON_EXIT_BAD_OPTION, "%s=mod%u: the monitor was given %u module(s) after "
			   "the guest (QEMU -initrd \"GUEST,FILE,...\")", opt, i, n ? n - 1 : 0);
	return &mods[i];
}

static void attach_ramdisk(unsigned u, const struct mon_module *m)
{
	if (m->len == 0 || m->len % IDE_SECTOR_SIZE)
		mon_refuse(MON_EXIT_BAD_OPTION, "disk%u=mod%u: the image is %u bytes, not a whole "
			   "number of %u-byte sectors", u, mon_opts.disk_mod[u], m->len,
			   IDE_SECTOR_SIZE);
	ramdisks[u] = (struct ramdisk){ m->data, m->len / IDE_SECTOR_SIZE };
	struct vide_backend be = { ram_read, ram_write, &ramdisks[u], ramdisks[u].nsectors };
	vide_attach(&dev.ide, u, &be);
	mon_log("guest disk %u is module %u in RAM (%u sectors)", u, mon_opts.disk_mod[u],
		ramdisks[u].nsectors);
}

/* Guest disk u is host disk hdN or module N (disk0=/disk1=); a host disk
 * that does not answer, or a missing module, refuses the option. */
static void attach_disks(const struct mon_module *mods, unsigned nmods)
{
	for (unsigned u = 0; u < GUEST_DISKS; u++) {	/* bound: GUEST_DISKS */
		unsigned hd = mon_opts.disk[u] == DISK_HD0 ? 0 : 1;
		uint32_t n;
		const char *why;

		if (mon_opts.disk[u] == DISK_NONE)
			continue;
		if (mon_opts.disk[u] == DISK_MOD) {
			attach_ramdisk(u, named_module(mods, nmods, mon_opts.disk_mod[u],
						       u ? "disk1" : "disk0"));
			continue;
		}
		if (!hostdisk_open(hd, &n, &why))
			mon_refuse(MON_EXIT_BAD_OPTION, "disk%u=hd%u: host disk hd%u: %s", u, hd, hd,
				   why);
		struct vide_backend be = { hd_read, hd_write, (void *)(uintptr_t)hd, n };
		vide_attach(&dev.ide, u, &be);
		mon_log("guest disk %u is host disk hd%u (%u sectors)", u, hd, n);
	}
	vide_bios_probe(&dev.ide);      /* as the BIOS left the channel */
}

static void attach_script(const struct mon_module *mods, unsigned n)
{
	if (!mon_opts.input_mod)
		return;
	const struct mon_module *m = named_module(mods, n, mon_opts.input_mod, "input");
	vscript_init(&dev.script, m->data, m->len, VSCRIPT_PROMPT);
	dev.scripted = true;
	mon_log("console input: module %u (%u bytes), a line at each prompt \"%s\"",
		mon_opts.input_mod, m->len, VSCRIPT_PROMPT);
}

/* The deadline in host clock ticks, and the TSC before which it cannot be
 * due: devices_sync() converts the TSC to ticks only after that. */
static void set_next_edge(uint64_t t)
{
	dev.next_edge = t;
	dev.edge_tsc = host_pit_to_tsc_floor(t);
}

/* When the virtual PIT's OUT0 rises next or the local APIC's timer
 * expires, in host clock ticks (rounded up). */
static void note_next_edge(void)
{
	uint32_t ticks = vpit_ticks_to_irq(&dev.pit);
	uint64_t ns = vlapic_ns_to_timer(&dev.lapic);
	uint64_t edge = ticks == PIT_NO_IRQ ? UINT64_MAX : dev.pit_synced + ticks;

	if (ns != VLAPIC_NO_TIMER) {
		uint64_t t = dev.pit_synced + (ns * HOST_PIT_HZ + 999999999ull) / 1000000000ull;
		edge = t < edge ? t : edge;
	}
	set_next_edge(edge);
}

void devices_init(const struct mon_module *mods, unsigned nmods)
{
	vio_init(&dev.bus);
	vpic_init(&dev.pic);
	devices_port_writes++;          /* the masks as after the BIOS: publish again */
	vpit_init(&dev.pit);
	vuart_init(&dev.uart, UART_COM1_BASE, UART_COM1_IRQ, uart_tx, 0);
	vdebugexit_init(&dev.dbg);
	vmmio_init(&dev.mmio);
	vide_init(&dev.ide);
	vcrtc_init(&dev.crtc);
	vkbc_init(&dev.kbc);
	vsysctl_init(&dev.sysctl);
	if (!vio_attach_pic(&dev.bus, &dev.pic) || !vio_attach_pit(&dev.bus, &dev.pit) ||
	    !vio_attach_uart(&dev.bus, &dev.uart) || !vio_attach_debugexit(&dev.bus, &dev.dbg) ||
	    !vio_attach_ide(&dev.bus, &dev.ide) || !vio_attach_crtc(&dev.bus, &dev.crtc) ||
	    !vio_attach_kbc(&dev.bus, &dev.kbc) || !vio_attach_sysctl(&dev.bus, &dev.sysctl))
		mon_panic("virtual devices overlap on the port bus");
	attach_disks(mods, nmods);
	attach_script(mods, nmods);
	attach_apics();
	dev.pit_synced = host_pit_now();
	note_next_edge();       /* the PIT runs as the BIOS left it (found by fuzz_trap: with
				   UINT64_MAX here, a guest that never reprogrammed the PIT got
				   no timer IRQ, and its HLT slept forever) */
	irq_changed();
}

/* OUT0 of the PIT rose: IRQ 0 at the PIC and at the I/O APIC's ISA pin. */
static void pit_edge(void)
{
	vpic_pulse_irq(&dev.pic, PIT_IRQ);
	vioapic_set_irq(&dev.ioapic, vioapic_isa_pin(PIT_IRQ), true);
	vioapic_set_irq(&dev.ioapic, vioapic_isa_pin(PIT_IRQ), false);
}

void devices_timer_edge(unsigned timer)
{
	if (timer == FTIMER_LAPIC)
		vlapic_timer_fire(&dev.lapic);
	else
		pit_edge();
	irq_changed();
}

/* Bounded: dt / 2^28 steps (a step is 3.7 minutes of PIT time), and one
 * pulse per step: edges that come between two acknowledgements merge in
 * the PIC's IRR, so a thousand pulses in a row are one request, and a
 * guest that programs a period of one tick cannot make this loop long. */
static void advance_time(struct vcpu *v)
{
	uint64_t now = host_pit_now();
	uint64_t dt = now - dev.pit_synced;

	irq_changed();
	if (vlapic_advance_held(&dev.lapic, vlapic_pit_to_ns(now) - vlapic_pit_to_ns(dev.pit_synced)) &&
	    (!fault_armed || fault_timer_edge(FTIMER_LAPIC)))
		vlapic_timer_fire(&dev.lapic);
	dev.pit_synced = now;
	/* bound: dt / 2^28 steps of at most 2^28 PIT ticks (3.7 minutes) each */
	while (dt > 0) {
		uint32_t step = dt > 0x10000000u ? 0x10000000u : (uint32_t)dt;
		if (vpit_advance(&dev.pit, step) && (!fault_armed || fault_timer_edge(FTIMER_PIT)))
			pit_edge();
		dt -= step;
	}
	note_next_edge();
	watch_vif(v, now);
	if (lapic_moved())
		lapic_image_volatile();
	else
		image_set(LAPIC_TCCR);  /* the count moved on */
}

/* The device-driven IRQ lines into the virtual PIC. */
static void update_irq_lines(void)
{
	irq_changed();
	vpic_set_irq(&dev.pic, dev.uart.irq, vuart_irq_pending(&dev.uart));
	vpic_set_irq(&dev.pic, IDE_PRIMARY_IRQ, vide_irq(&dev.ide));
	/* the I/O APIC sees the UART's line ungated by OUT2, as QEMU wires it */
	vioapic_set_irq(&dev.ioapic, vioapic_isa_pin(dev.uart.irq), vuart_intr(&dev.uart));
	vioapic_set_irq(&dev.ioapic, vioapic_isa_pin(IDE_PRIMARY_IRQ), vide_irq(&dev.ide));
	if (lapic_moved())
		lapic_image_volatile();
}

/* Only the UART and the IDE disk drive a line from their own state, which
 * a guest access to their ports can change (a read of the UART's IIR or
 * RBR, of the disk's status, clears a request); every other port's device
 * moves its line itself (the PIC's mask, the PIT through advance_time). */
static bool port_moves_lines(uint16_t port)
{
	return (uint16_t)(port - dev.uart.base) < UART_NPORTS ||
	       (uint16_t)(port - IDE_PRIMARY_BASE) < IDE_NPORTS || port == IDE_PRIMARY_CTRL;
}

/* A one-byte read of a PIC's mask register changes nothing (a poll, which
 * acknowledges, is a read of the command port); any other access may
 * change some model's interrupt state. */
static bool quiet_read(uint16_t port, unsigned size)
{
	return size == 1 && (port == PIC_MASTER_DATA || port == PIC_SLAVE_DATA);
}

static void after_port_access(uint16_t port)
{
	if (port_moves_lines(port))
		update_irq_lines();
	else if (lapic_moved())
		lapic_image_volatile();
}

/* input=modN: what the script has to type now, as much as the FIFO takes;
 * the prompt after its last line ends the run. */
static void type_script(void)
{
	uint8_t c;

	if (vscript_done(&dev.script))
		run_end_script(dev.script.lines);
	/* bound: the UART's receive FIFO (vuart_can_receive) */
	while (vuart_can_receive(&dev.uart) && vscript_next(&dev.script, &c))
		vuart_receive(&dev.uart, c);
}

/* After a trap: time catches up if the next edge is due (most traps come
 * before it, and pay a TSC read and a compare) or a host tick came (the
 * read image's current count, the IF watch), and after a host tick the
 * UART's input is polled. */
void devices_sync(struct vcpu *v)
{
	uint64_t tsc = rdtsc();
	bool tick = host_tick_seen();
	uint8_t c;

	if (tick || (tsc >= dev.edge_tsc && host_tsc_to_pit(tsc) >= dev.next_edge))
		advance_time(v);
	if (!tick)
		return;
	if (dev.scripted)
		type_script();
	/* bound: the UART's receive FIFO (vuart_can_receive) */
	while (vuart_can_receive(&dev.uart) && host_com1_getc(&c)) {
		if (c == CONSOLE_ESCAPE)
			run_stop_from_console();
		vuart_receive(&dev.uart, c);
	}
	update_irq_lines();
}

static bool is_pit_port(uint16_t port)
{
	return (port >= 0x40 && port <= 0x43) || port == 0x61;
}

static const char *port_name(uint16_t port)
{
	const struct vio_range *r = vio_find(&dev.bus, port);
	return r ? r->name : "no device";
}

uint32_t devices_in(struct vcpu *v, uint16_t port, unsigned size)
{
	if (is_pit_port(port))
		advance_time(v);
	if (!quiet_read(port, size))
		irq_changed();
	uint32_t val = vio_read(&dev.bus, port, size);
	if (fault_armed)
		val = fault_port_read(port, size, val);
	after_port_access(port);
	if (mon_opts.trace & TRACE_IO)
		mon_log("io in  port 0x%x size %u -> 0x%x (%s)", port, size, val, port_name(port));
	return val;
}

/* The PICs' mask registers: quiet_read() to read, and written only by
 * OCW1 and ICW1 (and set at vpic_init, before the first trap), all of
 * them port writes.  The commonest IN of a kernel that masks and unmasks
 * lines (and minios's port-read benchmark). */
static const uint16_t stable_ports[] = { PIC_MASTER_DATA, PIC_SLAVE_DATA };

uint32_t devices_port_writes;

/* A write that may change what a stable port reads: one to the PICs. */
static bool moves_stable_reads(uint16_t port)
{
	return port == PIC_MASTER_CMD || port == PIC_MASTER_DATA || port == PIC_SLAVE_CMD ||
	       port == PIC_SLAVE_DATA;
}

unsigned devices_stable_reads(uint16_t *ports, uint8_t *values, unsigned max)
{
	unsigned n = 0;

	if (fault_armed || (mon_opts.trace & TRACE_IO))
		return 0;       /* fault_port_read and the io trace see every read */
	/* bound: the stable ports, and max */
	for (unsigned i = 0; i < sizeof stable_ports / sizeof stable_ports[0] && n < max; i++) {
		ports[n] = stable_ports[i];
		values[n++] = (uint8_t)vio_read(&dev.bus, stable_ports[i], 1);
	}
	return n;
}

void devices_out(struct vcpu *v, uint16_t port, unsigned size, uint32_t value)
{
	uint32_t code;

	if (moves_stable_reads(port))
		devices_port_writes++;

	if (is_pit_port(port))
		advance_time(v);
	irq_changed();
	if (mon_opts.trace & TRACE_IO)
		mon_log("io out port 0x%x size %u <- 0x%x (%s)", port, size, value, port_name(port));
	vio_write(&dev.bus, port, size, value);
	if (is_pit_port(port))
		note_next_edge();       /* a new count or mode */
	after_port_access(port);
	if (vdebugexit_requested(&dev.dbg, &code))
		run_end(code);
}

void devices_attach_mmio(uint32_t base, uint32_t size, const struct vmmio_ops *ops, void *d,
			 const char *name, void *image)
{
	if (!vmmio_map(&dev.mmio, base, size, ops, d, name) || gpa_mmio_add(base, size, image) < 0)
		mon_panic("MMIO device %s at 0x%x overlaps another or guest RAM, or the bus is full",
			  name, base);
}

static const char *mmio_name(uint32_t gpa)
{
	const struct vmmio_range *r = vmmio_find(&dev.mmio, gpa);
	return r ? r->name : "no device";
}

uint32_t devices_mmio_read(struct vcpu *v, uint32_t gpa, unsigned size)
{
	if (gpa - LAPIC_BASE < LAPIC_SIZE)
		advance_time(v);        /* the timer's current count */
	irq_changed();
	uint32_t val = vmmio_read(&dev.mmio, gpa, size);
	if (mon_opts.trace & TRACE_IO)
		mon_log("mmio read  0x%x size %u -> 0x%x (%s)", gpa, size, val, mmio_name(gpa));
	return val;
}

void devices_mmio_write(struct vcpu *v, uint32_t gpa, unsigned size, uint32_t value)
{
	if (gpa - LAPIC_BASE < LAPIC_SIZE)
		advance_time(v);
	if (mon_opts.trace & TRACE_IO)
		mon_log("mmio write 0x%x size %u <- 0x%x (%s)", gpa, size, value, mmio_name(gpa));
	irq_changed();
	vmmio_write(&dev.mmio, gpa, size, value);
	note_next_edge();               /* a new APIC timer count or mode */
	update_irq_lines();             /* an I/O APIC pin may be unmasked now */
	if (gpa - LAPIC_BASE < LAPIC_SIZE)
		lapic_image_all();
}

/* The local APIC first; the 8259s reach the CPU through its LINT0 while
 * that is unmasked (as after the BIOS; xv6 masks it and uses the APICs). */
static int irq_pending_now(void)
{
	int vector = vlapic_pending_vector(&dev.lapic);
	if (vector >= 0)
		return vector;
	return vlapic_accepts_pic(&dev.lapic) ? vpic_pending_vector(&dev.pic) : -1;
}

/* The fault injector pulses the PIC itself (a delayed or spurious timer
 * edge): while it is armed, no answer is kept. */
int devices_irq_pending(void)
{
	if (dev.irq_stale || fault_armed) {
		dev.irq_vector = irq_pending_now();
		dev.irq_stale = false;
	}
	return dev.irq_vector;
}

unsigned devices_irq_ack(void)
{
	irq_changed();
	if (vlapic_pending_vector(&dev.lapic) >= 0) {
		unsigned vector = vlapic_ack(&dev.lapic);
		lapic_image_volatile();
		return vector;
	}
	return vpic_ack(&dev.pic);
}

/* The virtual PIT pulses IRQ 0 (vpic_pulse_irq): an input the guest made
 * level-triggered (ICW1 LTIM) sees the line fall before anyone asks, so no
 * request stays (the real PIT's square wave would hold it; found by
 * fuzz_trap: a guest that set LTIM and halted slept forever). */
static bool pit_can_request(void)
{
	return vpic_can_request(&dev.pic, PIT_IRQ) && !dev.pic.chip[PIC_MASTER].level_triggered &&
	       vpit_ticks_to_irq(&dev.pit) != PIT_NO_IRQ;
}

bool devices_can_interrupt(void)
{
	if (devices_irq_pending() >= 0)
		return true;
	if (vlapic_ns_to_timer(&dev.lapic) != VLAPIC_NO_TIMER)
		return true;
	if (!vlapic_accepts_pic(&dev.lapic))
		return true;    /* the APICs route the devices: assume they may */
	if (pit_can_request())
		return true;
	/* the UART's line is driven only while MCR OUT2 is set (vuart.h; found
	 * by fuzz_trap: a guest with OUT2 clear halted forever) */
	return vpic_can_request(&dev.pic, dev.uart.irq) && (dev.uart.ier & UART_IER_MASK) &&
	       (dev.uart.mcr & UART_MCR_OUT2);
}

const char *devices_masked_reason(void)
{
	static char why[128];

	fmt_snprintf(why, sizeof why, "PIC masks 0x%x/0x%x%s, PIT %s, UART interrupts %s",
		     dev.pic.chip[PIC_MASTER].imr, dev.pic.chip[PIC_SLAVE].imr,
		     dev.pic.chip[PIC_MASTER].level_triggered ? " level-triggered" : "",
		     vpit_ticks_to_irq(&dev.pit) == PIT_NO_IRQ ? "stopped" : "running",
		     !(dev.uart.ier & UART_IER_MASK) ? "off" :
		     (dev.uart.mcr & UART_MCR_OUT2) ? "enabled" : "enabled but OUT2 clear");
	return why;
}

static void report_disks(void)
{
	for (unsigned u = 0; u < GUEST_DISKS; u++) {	/* bound: GUEST_DISKS */
		const struct vide_drive *d = &dev.ide.drive[u];
		if (d->present)
			mon_log("guest disk %u: %u sectors read, %u written, %u errors", u,
				d->sectors_read, d->sectors_written, d->errors);
	}
	if (dev.kbc.reset_requested || dev.sysctl.reset_requested)
		mon_log("the guest asked for a CPU reset (port 0x64 or 0x92); not done");
}

void devices_report(void)
{
	const struct vio_unknown *u = &dev.bus.unknown;
	report_disks();
	if (u->total == 0)
		return;
	mon_log("unknown ports: %u accesses", u->total);
	for (unsigned i = 0; i < u->nports; i++)	/* bound: VIO_UNKNOWN_SLOTS ports */
		mon_log("  port 0x%x: %u reads, %u writes", u->ports[i].port, u->ports[i].reads,
			u->ports[i].writes);
}
