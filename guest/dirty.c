/*
 * dirty: writes memory at a fixed rate until a key is typed, for live-migration
 * benchmarks.  vmdtest.dirty_mib=N (default 256) MiB starting at 32 MiB are filled
 * once, then one 8-byte word per 4 KiB page is rewritten, page after page round the
 * set, at vmdtest.dirty_rate=R MiB/s (default 64) of pages dirtied.  Prints
 * "dirty: running" once filled; on a key, the pages it dirtied.
 */
#include "guest.h"

#define DIRTY_BASE	(32ul << 20)
#define PAGE		4096ul

int cmd_dirty(char *why, int n)
{
	u64 mib = cmdline_u64("vmdtest.dirty_mib=", 256);
	u64 rate = cmdline_u64("vmdtest.dirty_rate=", 64);
	if (DIRTY_BASE + (mib << 20) > ram_bytes() || mib == 0 || rate == 0) {
		snprintf(why, n, "%lu MiB at 32 MiB do not fit %lu MiB of RAM", mib, ram_bytes() >> 20);
		return -1;
	}
	u64 pages = (mib << 20) / PAGE;
	volatile u64 *mem = (volatile u64 *)DIRTY_BASE;
	for (u64 i = 0; i < (mib << 20) / 8; i++)
		mem[i] = i * 0x9e3779b97f4a7c15ul;
	printf("dirty: running, %lu MiB at %lu MiB/s\n", mib, rate);
	u64 per_ms = rate * 256 / 1000;	/* pages per millisecond */
	if (per_ms == 0)
		per_ms = 1;
	u64 p = 0, dirtied = 0, next = now_us();
	for (;;) {
		if (getc_nowait() >= 0)
			break;
		while (now_us() < next)
			;
		for (u64 k = 0; k < per_ms; k++) {
			mem[p * (PAGE / 8)] += 1;
			p = p + 1 == pages ? 0 : p + 1;
		}
		dirtied += per_ms;
		next += 1000;
	}
	printf("dirty: %lu pages dirtied\n", dirtied);
	return 0;
}
