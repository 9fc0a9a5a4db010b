/*
 * qemu_plugin_api.h - the part of QEMU's TCG plugin interface (API version 1,
 * QEMU 7.2) that trapprof.c uses, declared here because Debian's QEMU ships
 * no plugin header.
 *
 * Mechanism: QEMU loads a plugin with dlopen(), checks the exported integer
 * qemu_plugin_version against the API levels it supports, and calls the
 * exported qemu_plugin_install().  The plugin then registers callbacks: one
 * at each translation of a block of guest code, where it may attach to each
 * instruction either an inline operation (an add to a 64-bit counter,
 * emitted into the translated code) or a call into the plugin, made every
 * time the instruction is about to execute.  The handles QEMU passes are
 * opaque and valid only during the callback that received them.
 *
 * These declarations must match the ABI of the QEMU that loads the plugin:
 * the types' layouts, the enum values and the functions' signatures are
 * those of API version 1, which QEMU 7.2 implements.  Only what the plugin
 * calls is declared.
 */
#ifndef TRAPPROF_QEMU_PLUGIN_API_H
#define TRAPPROF_QEMU_PLUGIN_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))

/* The API level this plugin is written against; QEMU refuses a plugin
 * whose level is outside [info->version.min, info->version.cur]. */
#define QEMU_PLUGIN_VERSION 1

typedef uint64_t qemu_plugin_id_t;

/* What QEMU tells the plugin about the machine at install time; only
 * valid during qemu_plugin_install(). */
typedef struct qemu_info_t {
	const char *target_name;        /* "i386" */
	struct {
		int min;                /* oldest API level QEMU still accepts */
		int cur;                /* newest it implements */
	} version;
	bool system_emulation;          /* true under qemu-system-*, false for user mode */
	union {
		struct {
			int smp_vcpus;
			int max_vcpus;
		} system;
	};
} qemu_info_t;

struct qemu_plugin_tb;                  /* a block being translated (opaque) */
struct qemu_plugin_insn;                /* one instruction of it (opaque) */

/* Whether a callback reads or writes the vCPU's registers (API level 1
 * gives it no way to, so the plugin says it does not). */
enum qemu_plugin_cb_flags {
	QEMU_PLUGIN_CB_NO_REGS,
	QEMU_PLUGIN_CB_R_REGS,
	QEMU_PLUGIN_CB_RW_REGS,
};

/* The one inline operation API level 1 has: *ptr += imm, as a uint64_t. */
enum qemu_plugin_op {
	QEMU_PLUGIN_INLINE_ADD_U64,
};

typedef void (*qemu_plugin_simple_cb_t)(qemu_plugin_id_t id);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id,
					       struct qemu_plugin_tb *tb);

/* Exported by the plugin. */
extern QEMU_PLUGIN_EXPORT int qemu_plugin_version;
QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
					   int argc, char **argv);

/* Provided by QEMU. */
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
					   qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
					    qemu_plugin_vcpu_udata_cb_t cb,
					    enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn,
						enum qemu_plugin_op op, void *ptr, uint64_t imm);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb,
				    void *userdata);
void qemu_plugin_outs(const char *string);

#endif
