/*
 * The BSP's CPL 3 program: read boot_params, bring up the console, print
 * the banner and run commands from the kernel command line (vmdtest=) and
 * then from the UART.  Each command ends with a VMDTEST OK/FAIL line.
 */
#include "guest.h"

extern char __bss_start[], __bss_end[];
extern volatile u64 timer_ticks;
extern int tsc_calibrated;
extern u32 tsc_cal_polls;
extern u64 tsc_cal_cycles;

struct e820 e820_map[128];
int e820_count;
char cmdline[2048];
u64 acpi_rsdp_hint;

u64 ram_bytes(void)
{
	u64 n = 0;
	for (int i = 0; i < e820_count; i++)
		if (e820_map[i].type == 1)
			n += e820_map[i].size;
	return n;
}

/* Copy what we need out of boot_params (struct boot_params offsets). */
static void read_boot_params(void)
{
	const u8 *bp = (const u8 *)boot_params_addr;
	e820_count = bp[0x1e8];
	if (e820_count > 128)
		e820_count = 128;
	memcpy(e820_map, bp + 0x2d0, e820_count * sizeof(struct e820));
	u64 cl = *(const u32 *)(bp + 0x228) | (u64)*(const u32 *)(bp + 0x0c8) << 32;
	if (cl && cl < (1UL << 32)) {
		for (int i = 0; i < (int)sizeof(cmdline) - 1 && ((const char *)cl)[i]; i++)
			cmdline[i] = ((const char *)cl)[i];
	}
	acpi_rsdp_hint = *(const u64 *)(bp + 0x070);
}

/* ---- commands ---- */

static int cmd_help(char *why, int n);

/*
 * count: prints "count N" every 100 ms, N from 0, until a key is typed.  The counter
 * lives in guest memory and the pace in the TSC, so a guest restored from a snapshot
 * goes on with the next number.
 */
static int cmd_count(char *why, int n)
{
	(void)why; (void)n;
	u64 i = 0, next = now_us();
	for (;;) {
		if (getc_nowait() >= 0)
			break;
		if (now_us() >= next) {
			printf("count %lu\n", i++);
			next = now_us() + 100000;
		}
	}
	printf("count stopped at %lu\n", i);
	return 0;
}

static int cmd_info(char *why, int n)
{
	(void)why; (void)n;
	printf("boot_params at 0x%lx, cmdline \"%s\"\n", boot_params_addr, cmdline);
	for (int i = 0; i < e820_count; i++)
		printf("e820: %016lx-%016lx type %u\n", e820_map[i].addr,
		       e820_map[i].addr + e820_map[i].size - 1, e820_map[i].type);
	printf("tsc: %lu kHz (%s: %u PIT polls, %lu cycles in 10 ms)\n", tsc_khz,
	       tsc_calibrated ? "PIT calibrated" : "assumed", tsc_cal_polls, tsc_cal_cycles);
	printf("acpi: rsdp 0x%lx madt 0x%lx facp 0x%lx dsdt 0x%lx\n", acpi.rsdp,
	       acpi.madt, acpi.facp, acpi.dsdt);
	printf("acpi: %d cpus, lapic 0x%x, ioapic 0x%lx, uart gsi %u, pm1a_cnt 0x%x, S5 %d\n",
	       acpi.ncpus, acpi.lapic_base, acpi.ioapic_base, acpi.uart_gsi,
	       acpi.pm1a_cnt, acpi.slp_typ_s5);
	printf("bsp apic id %u, %d cpus up, %lu timer ticks, uptime %lu ms\n",
	       lapic_id(), cpus_up, timer_ticks, now_us() / 1000);
	return 0;
}

static int cmd_cpus(char *why, int n)
{
	return smp_start_aps(why, n);
}

static int cmd_pci(char *why, int n)
{
	(void)why; (void)n;
	pci_list();
	return 0;
}

static int cmd_poweroff(char *why, int n)
{
	return acpi_poweroff(why, n);
}

static int cmd_reboot(char *why, int n)
{
	printf("reboot: i8042 pulse reset (0xfe to port 0x64)\n");
	for (int i = 0; i < 1000 && (inb(0x64) & 0x02); i++)
		;
	outb(0x64, 0xfe);
	udelay(1000000);
	snprintf(why, n, "still running 1 s after the i8042 reset");
	return -1;
}

/* Where the time goes: exit costs and CPL 0 vs CPL 3 speed. */
static u64 cycles_to_ns(u64 c) { return c * 1000000 / tsc_khz; }

int cmd_bench(char *why, int n)
{
	(void)why; (void)n;
	const int N = 2000;
	u64 t;

	t = rdtsc();
	for (int i = 0; i < N; i++)
		outb(0x80, 0);
	printf("bench: out to port 0x80 (VMM exit):  %lu ns\n", cycles_to_ns(rdtsc() - t) / N);
	t = rdtsc();
	for (int i = 0; i < N; i++)
		inb(0x3fd);
	printf("bench: in from UART LSR (VMM exit):  %lu ns\n", cycles_to_ns(rdtsc() - t) / N);
	t = rdtsc();
	for (int i = 0; i < N; i++)
		lapic_read(0x20);
	printf("bench: LAPIC MMIO read (in-kernel):   %lu ns\n", cycles_to_ns(rdtsc() - t) / N);
	t = rdtsc();
	for (int i = 0; i < N / 10; i++)
		gate(GATE_SPIN, 1, 0);
	u64 g = (rdtsc() - t) / (N / 10);
	printf("bench: CPL 3 -> CPL 0 gate round trip: %lu ns\n", cycles_to_ns(g));
	const u64 spin = 100000;
	t = rdtsc();
	gate(GATE_SPIN, spin, 0);
	u64 c0 = rdtsc() - t - g;
	printf("bench: CPL 0 loop: %lu k instructions/s\n",
	       (2 * spin * 1000000) / (cycles_to_ns(c0) ? cycles_to_ns(c0) : 1));
	u64 spin3 = 100000000;
	t = rdtsc();
	__asm__ __volatile__("1: dec %0; jnz 1b" : "+r"(spin3) :: "cc");
	u64 c3 = rdtsc() - t;
	printf("bench: CPL 3 loop: %lu M instructions/s\n",
	       (2 * 100000000UL * 1000) / (cycles_to_ns(c3) ? cycles_to_ns(c3) : 1));
	return 0;
}

struct command {
	const char *name;
	int (*fn)(char *why, int n);
	const char *help;
};

int cmd_net(char *why, int whylen);	/* net.c */
int cmd_link(char *why, int whylen);	/* net.c */
int cmd_netsoak(char *why, int whylen);	/* net.c */
int cmd_dirty(char *why, int whylen);	/* dirty.c */

static const struct command commands[] = {
	{ "help", cmd_help, "list commands" },
	{ "info", cmd_info, "boot parameters, e820, ACPI, TSC" },
	{ "cpus", cmd_cpus, "start every AP in the MADT (INIT-SIPI-SIPI), report the count" },
	{ "pci", cmd_pci, "list PCI bus 0" },
	{ "rng", cmd_rng, "read 16 bytes from virtio-rng" },
	{ "blk", cmd_blk, "virtio-blk: read+checksum, write+flush+verify, serial" },
	{ "blksoak", cmd_blksoak, "virtio-blk: write+flush+verify loop until a key is typed" },
	{ "net", cmd_net, "DHCP, ARP and ping the router through virtio-net, then send UDP" },
	{ "netsoak", cmd_netsoak, "virtio-net: UDP echo transfer with retries until a key is typed" },
	{ "link", cmd_link, "virtio-net link state from the config space" },
	{ "dirty", cmd_dirty, "rewrite memory at vmdtest.dirty_rate MiB/s until a key is typed" },
	{ "count", cmd_count, "print a counter every 100 ms until a key is typed" },
	{ "bench", cmd_bench, "time VMM exits and CPL 0 / CPL 3 execution" },
	{ "poweroff", cmd_poweroff, "ACPI S5 through the FADT's PM1a_CNT" },
	{ "reboot", cmd_reboot, "i8042 reset" },
};

static int cmd_help(char *why, int n)
{
	(void)why; (void)n;
	for (unsigned i = 0; i < ARRAY_SIZE(commands); i++)
		printf("  %-8s %s\n", commands[i].name, commands[i].help);
	return 0;
}

static void run(const char *line)
{
	char why[160];
	while (*line == ' ')
		line++;
	if (!*line)
		return;
	why[0] = 0;
	for (unsigned i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(line, commands[i].name) == 0) {
			if (commands[i].fn(why, sizeof(why)) == 0)
				printf("VMDTEST OK %s\n", line);
			else
				printf("VMDTEST FAIL %s: %s\n", line, why[0] ? why : "failed");
			return;
		}
	}
	printf("VMDTEST FAIL %s: unknown command (try help)\n", line);
}

/* vmdtest=cmd[,cmd...] from the kernel command line. */
static void run_cmdline(void)
{
	const char *p = cmdline;
	while (*p) {
		if ((p == cmdline || p[-1] == ' ') && !strncmp(p, "vmdtest=", 8))
			break;
		p++;
	}
	if (!*p)
		return;
	p += 8;
	while (*p && *p != ' ') {
		char cmd[64];
		int k = 0;
		while (*p && *p != ' ' && *p != ',') {
			if (k < (int)sizeof(cmd) - 1)
				cmd[k++] = *p == '+' ? ' ' : *p;
			p++;
		}
		cmd[k] = 0;
		if (*p == ',')
			p++;
		if (k) {
			printf("guest> %s\n", cmd);
			run(cmd);
		}
	}
}

static void readline(char *buf, int n)
{
	int k = 0;
	for (;;) {
		int c = getc_wait();
		if (c == '\r' || c == '\n') {
			putc('\n');
			break;
		}
		if ((c == 0x7f || c == 0x08)) {
			if (k) {
				k--;
				puts("\b \b");
			}
			continue;
		}
		if (c < 0x20 || c > 0x7e || k >= n - 1)
			continue;
		buf[k++] = c;
		putc(c);
	}
	buf[k] = 0;
}

void bsp_main(void)
{
	memset(__bss_start, 0, __bss_end - __bss_start);
	read_boot_params();
	uart_init();
	acpi_init();
	acpi_enable_power_button();
	u64 t_banner = rdtsc();
	printf("\nvmd test guest %s: %lu MiB RAM, %d CPU%s\n", GUEST_VERSION,
	       ram_bytes() >> 20, acpi.ncpus ? acpi.ncpus : 1,
	       acpi.ncpus == 1 ? "" : "s");
	tsc_calibrate();
	lapic_init_bsp();
	ioapic_route(acpi.uart_gsi, VEC_UART, lapic_id());
	uart_irq_enable();
	if (!acpi.found)
		printf("warning: no ACPI tables found\n");
	printf("boot: banner at %lu us, ready at %lu us after entry (TSC %lu kHz)\n",
	       (t_banner - entry_tsc) * 1000 / tsc_khz, now_us(), tsc_khz);
	printf("VMDTEST READY\n");
	run_cmdline();
	for (;;) {
		char line[128];
		puts("guest> ");
		readline(line, sizeof(line));
		run(line);
	}
}
