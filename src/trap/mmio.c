/*
 * mmio.c - emul_mmio: a guest load or store that reached a device's
 * memory-mapped registers.
 *
 * Mechanism: the shadow never maps a device's guest-physical range
 * (spte.c, SHADOW_MMIO), so the access faults before it happens.  The
 * dispatcher decodes the instruction; here its memory operand is pointed
 * at the device model (devices_mmio_read/write, through the MMIO bus)
 * instead of guest memory, and memop.c does the rest of the instruction:
 * registers, flags, a read-modify-write as one locked access would.  The
 * operand must lie in the page that faulted (a device register access
 * never straddles a page); anything else ends the guest with the reason.
 */
#include "memop.h"
#include "guest.h"
#include "monitor/devices.h"
#include "monitor/memory.h"
#include "virtdev/vio.h"

struct mmio_ctx {
	uint32_t page_va, page_gpa;     /* the page that faulted */
};

/* The operand's guest-physical address, or guest_die. */
static uint32_t operand_gpa(struct vcpu *v, const struct mmio_ctx *c, uint32_t addr,
			    unsigned n)
{
	if (addr - c->page_va > MON_PGSIZE - n)
		guest_die("an MMIO access at eip 0x%x spans 0x%x..0x%x, past the device page at "
			  "0x%x", v->tf.eip, addr, addr + n - 1, c->page_va);
	return c->page_gpa + (addr - c->page_va);
}

/* Device registers are at most 32 bits wide: a qword (CMPXCHG8B) is two
 * dword accesses, low first, as the CPU's bus would do it. */
static enum emul_result mmio_read(struct vcpu *v, void *ctx, uint32_t addr, void *buf,
				  unsigned n)
{
	uint32_t g = operand_gpa(v, ctx, addr, n), *w = buf;

	if (n == 8) {
		w[0] = devices_mmio_read(v, g, 4);
		w[1] = devices_mmio_read(v, g + 4, 4);
		return EMUL_NEXT;
	}
	uint32_t val = devices_mmio_read(v, g, n) & vio_size_mask(n);
	uint8_t *b = buf;
	for (unsigned i = 0; i < n; i++)	/* bound: n, at most 4 bytes here */
		b[i] = (uint8_t)(val >> (8 * i));
	return EMUL_NEXT;
}

static enum emul_result mmio_write(struct vcpu *v, void *ctx, uint32_t addr, const void *buf,
				   unsigned n)
{
	uint32_t g = operand_gpa(v, ctx, addr, n), val = 0;
	const uint8_t *b = buf;

	if (n == 8) {
		mmio_write(v, ctx, addr, buf, 4);
		return mmio_write(v, ctx, addr + 4, b + 4, 4);
	}
	for (unsigned i = 0; i < n; i++)	/* bound: n, at most 4 bytes here */
		val |= (uint32_t)b[i] << (8 * i);
	devices_mmio_write(v, g, n, val);
	return EMUL_NEXT;
}

enum emul_result emul_mmio(struct vcpu *v, const struct insn *in, uint32_t va, uint32_t gpa)
{
	struct mmio_ctx c = { va & ~(MON_PGSIZE - 1), gpa & ~(MON_PGSIZE - 1) };
	struct memop_ops ops = { mmio_read, mmio_write, &c };

	v->stats.mmio++;
	return emul_memop(v, in, &ops);
}
