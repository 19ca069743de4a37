/* Freestanding basics: string functions, formatted output, TSC time. */
#include "guest.h"

void *memset(void *d, int c, size_t n)
{
	void *r = d;
	__asm__ __volatile__("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return r;
}

void *memcpy(void *d, const void *s, size_t n)
{
	void *r = d;
	__asm__ __volatile__("rep movsb" : "+D"(d), "+S"(s), "+c"(n) :: "memory");
	return r;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const u8 *p = a, *q = b;
	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (u8)*a - (u8)*b;
		if (!*a)
			break;
	}
	return 0;
}

int strcmp(const char *a, const char *b)
{
	return strncmp(a, b, (size_t)-1);
}

/* ---- formatted output: %[0][width][l|ll|z]{d,u,x,s,c,p,%} ---- */

struct sink { char *buf; size_t n, len; };

static void emit(struct sink *s, char c)
{
	if (s->buf) {
		if (s->len + 1 < s->n)
			s->buf[s->len] = c;
	} else {
		putc(c);
	}
	s->len++;
}

static void vformat(struct sink *s, const char *fmt, __builtin_va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			emit(s, *fmt);
			continue;
		}
		fmt++;
		char pad = ' ';
		int width = 0, lng = 0, left = 0;
		if (*fmt == '-') {
			left = 1;
			fmt++;
		}
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l' || *fmt == 'z') {
			lng = 1;
			fmt++;
		}
		char tmp[24];
		int n = 0;
		u64 v;
		switch (*fmt) {
		case 'c':
			emit(s, (char)__builtin_va_arg(ap, int));
			continue;
		case 's': {
			const char *str = __builtin_va_arg(ap, const char *);
			if (!str)
				str = "(null)";
			int l = strlen(str);
			for (; !left && l < width; l++)
				emit(s, ' ');
			while (*str)
				emit(s, *str++);
			for (; left && l < width; l++)
				emit(s, ' ');
			continue;
		}
		case 'd': {
			i64 x = lng ? __builtin_va_arg(ap, i64) : __builtin_va_arg(ap, int);
			if (x < 0) {
				emit(s, '-');
				x = -x;
			}
			v = x;
			do tmp[n++] = '0' + v % 10; while (v /= 10);
			break;
		}
		case 'u':
			v = lng ? __builtin_va_arg(ap, u64) : __builtin_va_arg(ap, u32);
			do tmp[n++] = '0' + v % 10; while (v /= 10);
			break;
		case 'p':
			lng = 1;
			emit(s, '0');
			emit(s, 'x');
			/* fall through */
		case 'x':
			v = lng ? __builtin_va_arg(ap, u64) : __builtin_va_arg(ap, u32);
			do tmp[n++] = "0123456789abcdef"[v & 15]; while (v >>= 4);
			break;
		default:
			emit(s, *fmt);
			continue;
		}
		for (int l = n; l < width; l++)
			emit(s, pad);
		while (n)
			emit(s, tmp[--n]);
	}
}

int printf(const char *fmt, ...)
{
	struct sink s = { NULL, 0, 0 };
	__builtin_va_list ap;
	__builtin_va_start(ap, fmt);
	vformat(&s, fmt, ap);
	__builtin_va_end(ap);
	return s.len;
}

int snprintf(char *buf, size_t n, const char *fmt, ...)
{
	struct sink s = { buf, n, 0 };
	__builtin_va_list ap;
	__builtin_va_start(ap, fmt);
	vformat(&s, fmt, ap);
	__builtin_va_end(ap);
	if (n)
		buf[s.len < n ? s.len : n - 1] = 0;
	return s.len;
}

/*
 * ---- time: the TSC, calibrated once against the PIT ----
 * PIT channel 0 is read back with latch commands (ports 0x40/0x43, which
 * the in-kernel PIT always handles).  Channel 2 would need port 0x61,
 * which KVM only handles in-kernel with KVM_PIT_SPEAKER_DUMMY.
 */

u64 tsc_khz;
int tsc_calibrated;
u32 tsc_cal_polls;
u64 tsc_cal_cycles;

static u16 pit0_read(void)
{
	outb(0x43, 0x00);			/* latch channel 0 */
	u8 lo = inb(0x40);
	return lo | (u16)inb(0x40) << 8;
}

void tsc_calibrate(void)
{
	const u32 ticks = 1193182 / 100;	/* 10 ms of 1.193182 MHz */
	outb(0x43, 0x34);			/* ch0, lo/hi, mode 2 */
	outb(0x40, 0xff);
	outb(0x40, 0xff);
	u16 c0 = pit0_read();
	u64 t0 = rdtsc(), t1 = t0;
	u32 polls = 0, elapsed = 0;
	while (polls < 100000) {
		polls++;
		u16 c = pit0_read();
		t1 = rdtsc();
		elapsed = (u16)(c0 - c);
		if (elapsed >= ticks && elapsed < 0xf000)
			break;
	}
	outb(0x43, 0x30);			/* ch0 mode 0: one last shot */
	outb(0x40, 0x01);
	outb(0x40, 0x00);
	tsc_cal_polls = polls;
	tsc_cal_cycles = t1 - t0;
	if (polls >= 100000 || elapsed < ticks || elapsed >= 0xf000) {
		tsc_khz = 1000000;		/* no PIT: assume 1 GHz */
		tsc_calibrated = 0;
		return;
	}
	/* cycles per elapsed PIT tick * PIT kHz */
	tsc_khz = (t1 - t0) * 1193182 / ((u64)elapsed * 1000);
	tsc_calibrated = 1;
}

u64 now_us(void)
{
	return (rdtsc() - entry_tsc) * 1000 / tsc_khz;
}

void udelay(u64 us)
{
	u64 end = rdtsc() + us * tsc_khz / 1000;
	while ((i64)(rdtsc() - end) < 0)
		cpu_relax();
}

/* key=N (decimal, or 0x hex) as a word of the kernel command line. */
u64 cmdline_u64(const char *key, u64 dflt)
{
	size_t kl = strlen(key);
	for (const char *p = cmdline; *p; p++) {
		if ((p != cmdline && p[-1] != ' ') || strncmp(p, key, kl))
			continue;
		p += kl;
		u64 v = 0;
		int base = 10, digits = 0;
		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
			base = 16;
			p += 2;
		}
		for (;; p++, digits++) {
			int d;
			if (*p >= '0' && *p <= '9')
				d = *p - '0';
			else if (base == 16 && *p >= 'a' && *p <= 'f')
				d = *p - 'a' + 10;
			else if (base == 16 && *p >= 'A' && *p <= 'F')
				d = *p - 'A' + 10;
			else
				break;
			v = v * base + d;
		}
		return digits ? v : dflt;
	}
	return dflt;
}
