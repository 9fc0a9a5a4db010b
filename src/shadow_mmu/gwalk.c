/*
 * gwalk.c - the guest page walk (mechanism in gwalk.h).
 */
#include "gwalk.h"

#define E_P     0x001u
#define E_W     0x002u
#define E_U     0x004u
#define E_A     0x020u
#define E_D     0x040u
#define E_PS    0x080u
#define E_ADDR  0xFFFFF000u
#define E_BIG   0xFFC00000u
#define E_BIG_RSVD 0x003FE000u  /* a 4 MB PDE's bits 13-21: reserved without
				   PSE-36 (qemu32's CPU has none) */
#define PF_RSVD 0x8u
#define PF_P    0x1u
#define PF_W    0x2u
#define PF_U    0x4u

static uint32_t fault_err(const struct gwalk_req *req, bool present)
{
	return (present ? PF_P : 0) | (req->write ? PF_W : 0) | (req->user ? PF_U : 0);
}

static bool allowed(const struct gwalk_req *req, bool w, bool u)
{
	if (req->user && !u)
		return false;
	if (req->write && !w && (req->user || req->wp))
		return false;
	return true;
}

/* Sets bits in the entry at gpa if they are not set yet (the MMU writes
 * only when something changes). */
static int set_bits(const struct gwalk_mem *mem, uint32_t gpa, uint32_t *e, uint32_t bits)
{
	if ((*e & bits) == bits)
		return 0;
	*e |= bits;
	return mem->write(mem->ctx, gpa, *e);
}

static enum gwalk_result bad(struct gwalk_res *res, uint32_t gpa)
{
	res->bad_gpa = gpa;
	return GWALK_BAD_GPA;
}

enum gwalk_result gwalk(const struct gwalk_mem *mem, const struct gwalk_req *req,
			struct gwalk_res *res)
{
	uint32_t pde_gpa = (req->cr3 & E_ADDR) + (req->va >> 22) * 4;
	uint32_t pde, pte, pte_gpa = 0;

	*res = (struct gwalk_res){ 0 };
	if (mem->read(mem->ctx, pde_gpa, &pde) < 0)
		return bad(res, pde_gpa);
	if (!(pde & E_P)) {
		res->err = fault_err(req, false);
		return GWALK_FAULT;
	}
	res->big = req->pse && (pde & E_PS);
	if (res->big && (pde & E_BIG_RSVD)) {
		res->err = fault_err(req, true) | PF_RSVD;
		return GWALK_FAULT;
	}
	if (res->big) {
		pte = pde;
	} else {
		res->pt_gpa = pde & E_ADDR;
		pte_gpa = res->pt_gpa + ((req->va >> 12) & 0x3FF) * 4;
		if (mem->read(mem->ctx, pte_gpa, &pte) < 0)
			return bad(res, pte_gpa);
		if (!(pte & E_P)) {
			res->err = fault_err(req, false);
			return GWALK_FAULT;
		}
	}
	res->w = (pde & E_W) && (pte & E_W);
	res->u = (pde & E_U) && (pte & E_U);
	if (!allowed(req, res->w, res->u)) {
		res->err = fault_err(req, true);
		return GWALK_FAULT;
	}
	res->gpa = res->big ? (pde & E_BIG) | (req->va & ~E_BIG)
			    : (pte & E_ADDR) | (req->va & ~E_ADDR);
	if (req->set_ad) {
		uint32_t leaf_bits = E_A | (req->write ? E_D : 0);
		if (set_bits(mem, pde_gpa, &pde, res->big ? leaf_bits : E_A) < 0)
			return bad(res, pde_gpa);
		if (!res->big && set_bits(mem, pte_gpa, &pte, leaf_bits) < 0)
			return bad(res, pte_gpa);
		if (res->big)
			pte = pde;
	}
	res->dirty = (pte & E_D) != 0;
	return GWALK_OK;
}
