/*
 * gwalk.c - the guest page walk (mechanism in gwalk.h), out of line for
 * callers with memory callbacks of their own (the host unit tests).
 */
#include "gwalk.h"

enum gwalk_result gwalk(const struct gwalk_mem *mem, const struct gwalk_req *req,
			struct gwalk_res *res)
{
	return gwalk_inline(mem, req, res);
}
