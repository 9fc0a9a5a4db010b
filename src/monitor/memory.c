/*
 * memory.c - host frames and the guest's physical memory (p2m).
 *
 * Mechanism: the guest believes it owns RAM from physical address 0 up to
 * mem= megabytes.  The monitor backs each 4 KB guest frame with a host frame
 * of its choosing and records the pair in the p2m ("physical to machine")
 * table.  The shadow page tables will translate through it; everything else
 * the monitor does to guest memory goes through gpa_read/gpa_write here.
 *
 * The monitor runs identity-mapped (host-virtual == host-physical), so a
 * host frame is reached by its physical address.
 */
#include "memory.h"
#include "monitor.h"
#include "lib/mem.h"

struct frame_pool host_frames;
struct guest_mem guest_mem;

static struct { uint32_t base, size; void *image; } mmio[GPA_MMIO_MAX];
static unsigned nmmio;
static uint32_t mmio_lowest = 0xFFFFFFFFu;   /* the lowest base registered */

void host_mem_init(uint32_t ram_end, uint32_t reserved_end)
{
	uint32_t first = (reserved_end + MON_PGSIZE - 1) >> MON_PGSHIFT;
	uint32_t count = (ram_end >> MON_PGSHIFT) - first;
	uint32_t meta = (count * (sizeof(uint16_t) + sizeof(uint32_t)) + MON_PGSIZE - 1) >> MON_PGSHIFT;
	uint16_t *ref = (uint16_t *)(first << MON_PGSHIFT);
	uint32_t *stack = (uint32_t *)(ref + count);

	if (ram_end <= reserved_end || count <= meta)
		mon_panic("no host RAM above the monitor and its modules (0x%x)", reserved_end);
	frames_init(&host_frames, first + meta, count - meta, ref, stack);
}

/* A frame at a time, a dword per step (the shared memset is bytewise: it
 * is also minios's, whose native benchmark numbers must not move). */
static void frame_zero(void *frame)
{
	uint32_t n = MON_PGSIZE / 4;
	__asm__ volatile("rep stosl" : "+D"(frame), "+c"(n) : "a"(0) : "memory");
}

void *host_frame_alloc(void)
{
	uint32_t pfn = frames_alloc(&host_frames);
	return pfn == FRAME_NONE ? NULL : host_va(pfn << MON_PGSHIFT);
}

void *host_frame_zeroed(void)
{
	void *frame = host_frame_alloc();
	if (frame)
		frame_zero(frame);
	return frame;
}

void host_frame_free(void *frame)
{
	frames_unref(&host_frames, host_pa(frame) >> MON_PGSHIFT);
}

int guest_mem_init(uint32_t mb)
{
	uint32_t n = mb << (20 - MON_PGSHIFT);
	uint32_t table_pages = (n * sizeof(uint32_t) + MON_PGSIZE - 1) >> MON_PGSHIFT;

	if (frames_free_count(&host_frames) < n + table_pages)
		return -1;
	/* the p2m table itself: contiguous, since frames come lowest first */
	guest_mem.p2m = host_frame_zeroed();
	for (uint32_t i = 1; i < table_pages; i++)	/* bound: table_pages */
		host_frame_zeroed();
	for (uint32_t i = 0; i < n; i++)	/* bound: n guest frames */
		guest_mem.p2m[i] = (uint32_t)host_frame_zeroed() >> MON_PGSHIFT;
	guest_mem.nframes = n;
	return 0;
}

int gpa_to_hpa(gpa_t g, hpa_t *out)
{
	uint32_t gfn = g.v >> MON_PGSHIFT;
	if (gfn >= guest_mem.nframes)
		return -1;
	*out = hpa((guest_mem.p2m[gfn] << MON_PGSHIFT) | (g.v & (MON_PGSIZE - 1)));
	return 0;
}

/* Copies n bytes between guest-physical g and the monitor buffer buf. */
static int gpa_copy(gpa_t g, void *buf, uint32_t n, int to_guest)
{
	uint8_t *b = buf;
	while (n > 0) {	/* bound: n / 4096 + 1 pages */
		hpa_t h;
		if (gpa_to_hpa(g, &h) < 0)
			return -1;
		uint32_t chunk = MON_PGSIZE - (g.v & (MON_PGSIZE - 1));
		chunk = chunk < n ? chunk : n;
		if (to_guest)
			memcpy((void *)h.v, b, chunk);
		else
			memcpy(b, (const void *)h.v, chunk);
		g.v += chunk;
		b += chunk;
		n -= chunk;
	}
	return 0;
}

int gpa_write(gpa_t g, const void *src, uint32_t n)
{
	return gpa_copy(g, (void *)src, n, 1);
}

int gpa_read(gpa_t g, void *dst, uint32_t n)
{
	return gpa_copy(g, dst, n, 0);
}

int gpa_mmio_add(uint32_t base, uint32_t size, void *image)
{
	if (nmmio >= GPA_MMIO_MAX || (image && size != MON_PGSIZE) ||
	    base >> MON_PGSHIFT < guest_mem.nframes)
		return -1;      /* (a device's range is never RAM: memory.h) */
	if (base < mmio_lowest)
		mmio_lowest = base;
	mmio[nmmio].base = base;
	mmio[nmmio].size = size;
	mmio[nmmio].image = image;
	nmmio++;
	return 0;
}

void *gpa_mmio_image(uint32_t g)
{
	for (unsigned i = 0; i < nmmio; i++)	/* bound: GPA_MMIO_MAX ranges */
		if (g - mmio[i].base < mmio[i].size)
			return mmio[i].image;
	return NULL;
}

bool gpa_is_mmio(uint32_t g)
{
	if (g < mmio_lowest)    /* (every device sits above RAM: most calls) */
		return false;
	for (unsigned i = 0; i < nmmio; i++)	/* bound: GPA_MMIO_MAX ranges */
		if (g - mmio[i].base < mmio[i].size)
			return true;
	return false;
}
