/*
 * fmt.c - printf-style formatting for a kernel with no C library.
 *
 * Output goes through a small sink that counts every character but stores
 * only what fits, which gives vsnprintf's "would have written" result.
 * 64-bit conversions divide by 10/16 with shifts and a 32-bit remainder loop
 * only where the compiler's helper is available; on i386 that is libgcc.
 */
#include "fmt.h"

struct sink {
	char *buf;
	size_t size;
	size_t len;
};

static void put(struct sink *s, char c)
{
	if (s->len + 1 < s->size)
		s->buf[s->len] = c;
	s->len++;
}

static void pad(struct sink *s, char c, int n)
{
	while (n-- > 0)	/* bound: n, a field width */
		put(s, c);
}

/* Writes digits of v in the given base, padded to width. */
static void put_uint(struct sink *s, uint64_t v, unsigned base, int upper,
		     int width, int zero, int left, int negative)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0;

	do {	/* bound: at most 20 digits (64 bits in base 10 or 16) */
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v != 0);
	int len = n + (negative ? 1 : 0);
	if (!left && !zero)
		pad(s, ' ', width - len);
	if (negative)
		put(s, '-');
	if (!left && zero)
		pad(s, '0', width - len);
	while (n > 0)	/* bound: n digits */
		put(s, tmp[--n]);
	if (left)
		pad(s, ' ', width - len);
}

/* prec < 0: no precision; else print at most prec characters of str. */
static void put_str(struct sink *s, const char *str, int width, int prec, int left)
{
	if (str == NULL)
		str = "(null)";
	int len = 0;
	while (str[len] && (prec < 0 || len < prec))	/* bound: the string's length, or prec */
		len++;
	if (!left)
		pad(s, ' ', width - len);
	for (int i = 0; i < len; i++)	/* bound: len */
		put(s, str[i]);
	if (left)
		pad(s, ' ', width - len);
}

static void put_char(struct sink *s, char c, int width, int left)
{
	if (!left)
		pad(s, ' ', width - 1);
	put(s, c);
	if (left)
		pad(s, ' ', width - 1);
}

/* Formats one integer conversion; returns 0 if 'c' is not one. */
static int put_int_conv(struct sink *s, char c, int lng, va_list *ap,
			int width, int zero, int left)
{
	uint64_t u;
	int64_t v;

	switch (c) {
	case 'd':
	case 'i':
		v = lng == 2 ? va_arg(*ap, long long) : va_arg(*ap, int);
		u = v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
		put_uint(s, u, 10, 0, width, zero, left, v < 0);
		return 1;
	case 'u':
	case 'x':
	case 'X':
		u = lng == 2 ? va_arg(*ap, unsigned long long) : va_arg(*ap, unsigned);
		put_uint(s, u, c == 'u' ? 10 : 16, c == 'X', width, zero, left, 0);
		return 1;
	case 'p':
		put(s, '0');
		put(s, 'x');
		put_uint(s, (uintptr_t)va_arg(*ap, void *), 16, 0, 8, 1, 0, 0);
		return 1;
	}
	return 0;
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct sink s = { buf, size, 0 };
	va_list aq;

	va_copy(aq, ap);
	for (; *fmt; fmt++) {	/* bound: the format's length (the monitor's own strings) */
		if (*fmt != '%') {
			put(&s, *fmt);
			continue;
		}
		fmt++;
		int left = 0, zero = 0, width = 0, lng = 0;
		for (; *fmt == '-' || *fmt == '0'; fmt++) {	/* bound: the format's length */
			if (*fmt == '-')
				left = 1;
			else
				zero = 1;
		}
		for (; *fmt >= '0' && *fmt <= '9'; fmt++)	/* bound: the format's length */
			width = width * 10 + (*fmt - '0');
		int prec = -1;
		if (*fmt == '.') {
			fmt++;
			prec = 0;
			if (*fmt == '*') {
				prec = va_arg(aq, int);
				fmt++;
			}
			/* bound: the format's length */
			for (; *fmt >= '0' && *fmt <= '9'; fmt++)
				prec = prec * 10 + (*fmt - '0');
		}
		for (; *fmt == 'l'; fmt++)	/* bound: the format's length */
			lng++;
		if (*fmt == '\0')
			break;
		if (put_int_conv(&s, *fmt, lng, &aq, width, zero, left))
			continue;
		if (*fmt == 's')
			put_str(&s, va_arg(aq, const char *), width, prec, left);
		else if (*fmt == 'c')
			put_char(&s, (char)va_arg(aq, int), width, left);
		else
			put(&s, *fmt);   /* "%%" and unknown conversions print as is */
	}
	va_end(aq);
	if (size > 0)
		buf[s.len < size ? s.len : size - 1] = '\0';
	return (int)s.len;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = fmt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

size_t fmt_strlen(const char *s)
{
	size_t n = 0;
	while (s[n])	/* bound: the string's length (NUL-terminated) */
		n++;
	return n;
}

int fmt_strncmp(const char *a, const char *b, size_t n)
{
	for (; n > 0; n--, a++, b++) {	/* bound: n, or the first NUL */
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (*a == '\0')
			return 0;
	}
	return 0;
}

int fmt_strcmp(const char *a, const char *b)
{
	return fmt_strncmp(a, b, (size_t)-1);
}
