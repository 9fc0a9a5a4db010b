/*
 * vscript.c - the scripted console operator (see vscript.h): a prompt
 * matcher over the guest's output and a cursor over the script.
 */
#include "vscript.h"

#define CR '\r'
#define LF '\n'

void vscript_init(struct vscript *s, const void *text, uint32_t len, const char *prompt)
{
	const char *p = prompt ? prompt : VSCRIPT_PROMPT;

	*s = (struct vscript){ .text = text, .len = len };
	/* bound: VSCRIPT_PROMPT_MAX - 1 bytes */
	while (p[s->prompt_len] && s->prompt_len < VSCRIPT_PROMPT_MAX - 1) {
		s->prompt[s->prompt_len] = p[s->prompt_len];
		s->prompt_len++;
	}
}

/* Skips the '\r's at pos; true if a byte of the script is left. */
static bool bytes_left(struct vscript *s)
{
	while (s->pos < s->len && s->text[s->pos] == CR)	/* bound: the script's len bytes */
		s->pos++;
	return s->pos < s->len;
}

/* The guest's output ended with the prompt. */
static void prompted(struct vscript *s)
{
	s->prompts++;
	if (s->typing || s->done)
		return;         /* its echo of the line being typed; or finished */
	if (bytes_left(s))
		s->typing = true;
	else
		s->done = true;
}

/* Naive restart of the match on a mismatch is exact for prompts in which
 * no proper prefix is also a suffix ("$ ", "# ", "> "); a longer prompt
 * with one may be seen one byte late, never wrongly. */
void vscript_output(struct vscript *s, uint8_t byte)
{
	if (s->prompt_len == 0)
		return;
	if ((char)byte != s->prompt[s->matched])
		s->matched = 0;
	if ((char)byte == s->prompt[s->matched] && ++s->matched == s->prompt_len) {
		s->matched = 0;
		prompted(s);
	}
}

/* The line ends: wait for the next prompt. */
static void line_typed(struct vscript *s)
{
	s->typing = false;
	s->matched = 0;
	s->lines++;
}

bool vscript_next(struct vscript *s, uint8_t *byte)
{
	if (!s->typing)
		return false;
	if (!bytes_left(s)) {           /* the text ended without a newline */
		*byte = LF;
		line_typed(s);
		return true;
	}
	*byte = s->text[s->pos++];
	if (*byte == LF)
		line_typed(s);
	return true;
}

bool vscript_done(const struct vscript *s)
{
	return s->done;
}
