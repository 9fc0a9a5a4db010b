/*
 * vscript.h - a scripted operator at the guest's serial console: types one
 * line of a script each time the guest prints its shell prompt.
 *
 * Mechanism (what a person does at a terminal): wait for the prompt, type
 * a command and Enter, wait for the next prompt.  A host program can do the
 * same through QEMU's stdio (scripts/console.py), but then each byte
 * reaches the guest when the host gets round to it: under QEMU -icount the
 * guest's clock is its instruction count, and a byte that arrives a few
 * thousand instructions earlier or later moves every timer interrupt after
 * it.  A fault-injection campaign needs the same run every time (the Nth
 * trap must be the same trap), so the monitor types instead (input=modN):
 * it watches the bytes the guest writes to the virtual UART and, once they
 * end with the prompt, feeds the next line into the UART's receiver, as
 * fast as its FIFO takes it (devices_sync, after each host tick).  Both
 * happen at points the guest's own instructions decide, so the run repeats
 * exactly.  After the last line, the next prompt means the script is done:
 * the monitor ends the run (run_end_script).
 *
 * A line is typed up to and including its newline ('\n'; a '\r' in the
 * script is dropped, so CRLF files work; a last line without a newline gets
 * one).  A prompt the guest prints while a line is still being typed (its
 * echo of the line) is not a prompt.  Limits: a command whose output ends
 * with the prompt's bytes and then waits (a program that prints "$ " and
 * reads) gets the next line early, as a person typing ahead would give it.
 *
 * Pure: no hardware; tested on the host (test/unit/test_vscript.c).
 */
#ifndef VIRTDEV_VSCRIPT_H
#define VIRTDEV_VSCRIPT_H

#include <stdbool.h>
#include <stdint.h>

#define VSCRIPT_PROMPT "$ "     /* xv6's sh, and most Unix shells as a user */
#define VSCRIPT_PROMPT_MAX 16u

struct vscript {
	const uint8_t *text;    /* the script */
	uint32_t len;
	uint32_t pos;           /* next byte of text to type */
	char prompt[VSCRIPT_PROMPT_MAX];
	unsigned prompt_len;
	unsigned matched;       /* prompt bytes the guest's output ends with */
	bool typing;            /* a prompt came: typing a line */
	bool done;              /* every line typed, and the prompt came back */
	uint32_t lines;         /* lines typed */
	uint32_t prompts;       /* prompts seen */
};

/* A script of len bytes at text, typed at prompt (NUL-terminated, at most
 * VSCRIPT_PROMPT_MAX - 1 bytes; NULL: VSCRIPT_PROMPT). */
void vscript_init(struct vscript *s, const void *text, uint32_t len, const char *prompt);
/* The guest wrote byte to its console. */
void vscript_output(struct vscript *s, uint8_t byte);
/* The next byte to type now, if one is due: true and *byte. */
bool vscript_next(struct vscript *s, uint8_t *byte);
/* Every line was typed and the guest prompted once more. */
bool vscript_done(const struct vscript *s);

#endif
