/*
 * firmware.c - the BIOS's leftovers in low memory: BDA, EBDA, MP tables.
 *
 * Mechanism: see firmware.h.  Map of this file:
 *   1. little-endian byte writers and the checksum;
 *   2. the MP configuration table, entry by entry;
 *   3. the floating pointer and the BDA;
 *   4. writing it all into guest memory.
 *
 * Pure: everything is built in byte buffers and handed to the guest_phys
 * write callback, so the host unit test (test_firmware.c) checks the same
 * bytes the guest gets.
 */
#include "firmware.h"
#include "virtdev/vioapic.h"
#include "virtdev/vlapic.h"
#include "virtdev/vcrtc.h"
#include "virtdev/vuart.h"

#define PARAGRAPH_SHIFT   4         /* real-mode segment = address >> 4 */
#define EBDA_SIZE_KB      (FW_EBDA_SIZE / 1024)
#define ISA_IRQS          16
#define ISA_CASCADE_IRQ   2         /* no interrupt of its own */
#define MP_HEADER_LENGTH_OFF 4
#define MP_HEADER_CHECKSUM_OFF 7
#define MP_HEADER_ENTRIES_OFF 34
#define MP_FP_CHECKSUM_OFF 10
#define SEABIOS_DEFAULT_SIG 0x600u  /* SeaBIOS without CPUID: family 6 */
#define SEABIOS_DEFAULT_FEATURES 0x201u   /* FPU, APIC */
#define VIDEO_MODE_TEXT80 3
#define VIDEO_COLS        80
#define VIDEO_ROWS        25
#define ZERO_CHUNK        256

/* ---- 1. bytes ------------------------------------------------------------ */

static void put8(uint8_t *p, uint32_t off, uint32_t v)
{
	p[off] = (uint8_t)v;
}

static void put16(uint8_t *p, uint32_t off, uint32_t v)
{
	p[off] = (uint8_t)v;
	p[off + 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t off, uint32_t v)
{
	put16(p, off, v & 0xFFFF);
	put16(p, off + 2, v >> 16);
}

static void put_chars(uint8_t *p, uint32_t off, const char *s, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)	/* bound: n, a table's field width */
		p[off + i] = (uint8_t)s[i];
}

static void zero(uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)	/* bound: n, a table's size */
		p[i] = 0;
}

uint8_t fw_checksum(const uint8_t *p, uint32_t n)
{
	uint8_t sum = 0;

	for (uint32_t i = 0; i < n; i++)	/* bound: n, a table's size */
		sum = (uint8_t)(sum + p[i]);
	return sum;
}

/* Makes the bytes of p[0..n) sum to 0 by the byte at p[at]. */
static void seal(uint8_t *p, uint32_t n, uint32_t at)
{
	p[at] = 0;
	p[at] = (uint8_t)(0u - fw_checksum(p, n));
}

/* ---- 2. the configuration table ------------------------------------------ */

static uint32_t put_header(uint8_t *b, const struct fw_machine *m)
{
	put_chars(b, 0, "PCMP", 4);
	put8(b, 6, MP_SPEC_REV);
	put_chars(b, 8, "BOCHSCPU", 8);         /* OEM ID, as SeaBIOS */
	put_chars(b, 16, "0.1         ", 12);   /* product ID */
	put32(b, 36, m->lapic_addr);
	return MP_HEADER_SIZE;
}

static uint32_t put_processor(uint8_t *b, const struct fw_machine *m)
{
	uint32_t sig = m->cpu_signature ? m->cpu_signature : SEABIOS_DEFAULT_SIG;
	uint32_t feat = m->cpu_signature ? m->cpu_features : SEABIOS_DEFAULT_FEATURES;

	put8(b, 0, MP_PROC);
	put8(b, 1, m->cpu_apic_id);
	put8(b, 2, m->lapic_version);
	put8(b, 3, MP_CPU_ENABLED | MP_CPU_BSP);
	put32(b, 4, sig);
	put32(b, 8, feat);
	return MP_PROC_SIZE;
}

static uint32_t put_bus(uint8_t *b, const struct fw_machine *m)
{
	put8(b, 0, MP_BUS);
	put8(b, 1, m->isa_bus_id);
	put_chars(b, 2, "ISA   ", 6);
	return MP_ENTRY_SIZE;
}

static uint32_t put_ioapic(uint8_t *b, const struct fw_machine *m)
{
	put8(b, 0, MP_IOAPIC);
	put8(b, 1, m->ioapic_id);
	put8(b, 2, m->ioapic_version);
	put8(b, 3, MP_IOAPIC_ENABLED);
	put32(b, 4, m->ioapic_addr);
	return MP_ENTRY_SIZE;
}

/* An I/O or local interrupt assignment; flags 0: polarity and trigger as
 * the bus says. */
static uint32_t put_intr(uint8_t *b, uint8_t type, uint8_t irqtype, uint8_t bus,
			 uint8_t busirq, uint8_t dest, uint8_t pin)
{
	put8(b, 0, type);
	put8(b, 1, irqtype);
	put16(b, 2, 0);
	put8(b, 4, bus);
	put8(b, 5, busirq);
	put8(b, 6, dest);
	put8(b, 7, pin);
	return MP_ENTRY_SIZE;
}

/* ISA IRQ n to I/O APIC pin n, IRQ 0 to pin 2, nothing for IRQ 2. */
static uint32_t put_isa_irqs(uint8_t *b, const struct fw_machine *m, unsigned *count)
{
	uint32_t len = 0;

	for (unsigned irq = 0; irq < ISA_IRQS; irq++) {	/* bound: ISA_IRQS */
		if (irq == ISA_CASCADE_IRQ)
			continue;
		len += put_intr(b + len, MP_IOINTR, MP_INT, m->isa_bus_id, (uint8_t)irq,
				m->ioapic_id, (uint8_t)vioapic_isa_pin(irq));
		(*count)++;
	}
	return len;
}

static uint32_t mp_config_size(void)
{
	return MP_HEADER_SIZE + MP_PROC_SIZE + MP_ENTRY_SIZE * (1 + 1 + (ISA_IRQS - 1) + 2);
}

uint32_t fw_build_mp_config(uint8_t *b, uint32_t cap, const struct fw_machine *m)
{
	uint32_t len;
	unsigned entries = 3;           /* processor, bus, I/O APIC */

	if (cap < mp_config_size())
		return 0;
	zero(b, mp_config_size());
	len = put_header(b, m);
	len += put_processor(b + len, m);
	len += put_bus(b + len, m);
	len += put_ioapic(b + len, m);
	len += put_isa_irqs(b + len, m, &entries);
	len += put_intr(b + len, MP_LINTR, MP_EXTINT, m->isa_bus_id, 0, m->cpu_apic_id, 0);
	len += put_intr(b + len, MP_LINTR, MP_NMI, m->isa_bus_id, 0, MP_ALL_APICS, 1);
	entries += 2;
	put16(b, MP_HEADER_LENGTH_OFF, len);
	put16(b, MP_HEADER_ENTRIES_OFF, entries);
	seal(b, len, MP_HEADER_CHECKSUM_OFF);
	return len;
}

/* ---- 3. floating pointer and BDA ----------------------------------------- */

void fw_build_mp_floating(uint8_t fp[FW_MP_FLOATING_SIZE], uint32_t config_gpa)
{
	zero(fp, FW_MP_FLOATING_SIZE);
	put_chars(fp, 0, "_MP_", 4);
	put32(fp, 4, config_gpa);
	put8(fp, 8, FW_MP_FLOATING_SIZE / 16);  /* length in 16-byte units */
	put8(fp, 9, MP_SPEC_REV);
	/* byte 11: configuration type 0 (the table is present); byte 12: no IMCR */
	seal(fp, FW_MP_FLOATING_SIZE, MP_FP_CHECKSUM_OFF);
}

void fw_build_bda(uint8_t bda[FW_BDA_SIZE], const struct fw_machine *m)
{
	zero(bda, FW_BDA_SIZE);
	put16(bda, BDA_COM1, UART_COM1_BASE);
	put16(bda, BDA_EBDA_SEG, FW_EBDA_GPA >> PARAGRAPH_SHIFT);
	put16(bda, BDA_EQUIPMENT, (1u << EQUIP_SERIAL_SHIFT) | EQUIP_VIDEO_80X25_COLOR);
	put16(bda, BDA_BASE_MEM_KB, m->base_mem_kb);
	put8(bda, BDA_VIDEO_MODE, VIDEO_MODE_TEXT80);
	put16(bda, BDA_VIDEO_COLS, VIDEO_COLS);
	put16(bda, BDA_CRTC_PORT, CRTC_INDEX_PORT);
	put8(bda, BDA_VIDEO_ROWS, VIDEO_ROWS - 1);
}

void fw_default_machine(struct fw_machine *m)
{
	*m = (struct fw_machine){
		.cpu_apic_id = 0, .lapic_version = LAPIC_VERSION,
		.ioapic_id = 0, .ioapic_version = IOAPIC_VERSION,
		.lapic_addr = LAPIC_BASE, .ioapic_addr = IOAPIC_BASE,
		.isa_bus_id = 0, .base_mem_kb = GUEST_LOWMEM_KB,
	};
}

/* ---- 4. into guest memory ------------------------------------------------ */

static void write_zeros(const struct guest_phys *gp, uint32_t at, uint32_t n)
{
	static const uint8_t zeros[ZERO_CHUNK];

	while (n) {	/* bound: n / ZERO_CHUNK writes */
		uint32_t k = n < ZERO_CHUNK ? n : ZERO_CHUNK;
		gp->write(gp->ctx, gpa(at), zeros, k);
		at += k;
		n -= k;
	}
}

void firmware_write(const struct guest_phys *gp, const struct fw_machine *m)
{
	uint8_t bda[FW_BDA_SIZE], fp[FW_MP_FLOATING_SIZE], mpc[FW_MPC_MAX];
	uint8_t ebda_size = EBDA_SIZE_KB;
	uint32_t len = fw_build_mp_config(mpc, sizeof mpc, m);

	_Static_assert(FW_MPC_GPA + FW_MPC_MAX <= FW_ROM_GPA + FW_ROM_SIZE, "tables fit the ROM area");
	fw_build_bda(bda, m);
	fw_build_mp_floating(fp, FW_MPC_GPA);
	gp->write(gp->ctx, gpa(FW_BDA_GPA), bda, sizeof bda);
	write_zeros(gp, FW_EBDA_GPA, FW_EBDA_SIZE);
	gp->write(gp->ctx, gpa(FW_EBDA_GPA), &ebda_size, 1);
	write_zeros(gp, FW_ROM_GPA, FW_ROM_SIZE);
	gp->write(gp->ctx, gpa(FW_MP_GPA), fp, sizeof fp);
	gp->write(gp->ctx, gpa(FW_MPC_GPA), mpc, len);
}
