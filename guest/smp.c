/*
 * Local APIC, IOAPIC and AP bring-up (INIT-SIPI-SIPI), all from CPL 3:
 * the LAPIC and IOAPIC are MMIO pages the identity map covers, and each
 * access exits to the in-kernel irqchip.
 */
#include "guest.h"

#define LAPIC_ID	0x020
#define LAPIC_EOI	0x0b0
#define LAPIC_SVR	0x0f0
#define LAPIC_ICR_LO	0x300
#define LAPIC_ICR_HI	0x310
#define LAPIC_LVT_TIMER	0x320
#define LAPIC_LVT_LINT0	0x350
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR	0x390
#define LAPIC_TIMER_DIV	0x3e0

extern u64 lapic_eoi_addr;

volatile int cpus_up = 1;		/* the BSP */
static volatile u8 cpu_online[MAX_CPUS];
static u8 cpu_apic[MAX_CPUS];
static u8 apic_started[256];
u64 tramp_page;

u32 lapic_read(u32 reg) { return mmio_read32(acpi.lapic_base + reg); }
void lapic_write(u32 reg, u32 v) { mmio_write32(acpi.lapic_base + reg, v); }
u32 lapic_id(void) { return lapic_read(LAPIC_ID) >> 24; }

static void ioapic_write(u32 reg, u32 v)
{
	mmio_write32(acpi.ioapic_base, reg);
	mmio_write32(acpi.ioapic_base + 0x10, v);
}

void ioapic_route(u32 gsi, u8 vector, u8 dest)
{
	if (!acpi.ioapic_base)
		return;
	ioapic_write(0x11 + 2 * gsi, (u32)dest << 24);
	ioapic_write(0x10 + 2 * gsi, vector);	/* fixed, edge, high, unmasked */
}

/*
 * BSP LAPIC: software-enable it, mask LINT0 (the 8259s are masked too),
 * and start a slow periodic timer so the idle gate always wakes up even
 * if the VMM's UART never raises its IRQ.
 */
void lapic_init_bsp(void)
{
	outb(0x21, 0xff);		/* mask both 8259s */
	outb(0xa1, 0xff);
	lapic_eoi_addr = acpi.lapic_base + LAPIC_EOI;
	lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS);
	lapic_write(LAPIC_LVT_LINT0, 0x10000);
	lapic_write(LAPIC_TIMER_DIV, 0x3);	/* divide by 16 */
	lapic_write(LAPIC_LVT_TIMER, 0x10000);	/* masked while measuring */
	lapic_write(LAPIC_TIMER_INIT, 0xffffffff);
	udelay(1000);
	u32 per_ms = 0xffffffff - lapic_read(LAPIC_TIMER_CUR);
	if (per_ms == 0)
		per_ms = 62500;			/* 1 GHz bus / 16 */
	lapic_write(LAPIC_LVT_TIMER, VEC_TIMER | (1 << 17));	/* periodic */
	lapic_write(LAPIC_TIMER_INIT, per_ms * 50);		/* 20 Hz */
}

/* Lowest 4 KiB page at or above 0x1000, below 640 KiB, wholly in E820
 * RAM and not holding boot_params or the command line. */
static u64 find_tramp_page(void)
{
	u64 bp = boot_params_addr & ~0xfffUL;
	u64 cl = (u64)*(u32 *)(boot_params_addr + 0x228) & ~0xfffUL;
	for (u64 p = 0x1000; p < 0xa0000; p += 0x1000) {
		if (p == bp || p == cl)
			continue;
		for (int i = 0; i < e820_count; i++)
			if (e820_map[i].type == 1 && e820_map[i].addr <= p &&
			    e820_map[i].addr + e820_map[i].size >= p + 0x1000)
				return p;
	}
	return 0;
}

static void icr_wait(void)
{
	for (int i = 0; i < 100000 && (lapic_read(LAPIC_ICR_LO) & (1 << 12)); i++)
		cpu_relax();
}

static void ipi(u8 apic, u32 lo)
{
	lapic_write(LAPIC_ICR_HI, (u32)apic << 24);
	lapic_write(LAPIC_ICR_LO, lo);
	icr_wait();
}

static int wait_online(int cpu, u64 us)
{
	u64 end = now_us() + us;
	while (!cpu_online[cpu] && now_us() < end)
		cpu_relax();
	return cpu_online[cpu];
}

int smp_start_aps(char *why, int n)
{
	if (!acpi.madt) {
		snprintf(why, n, "no ACPI MADT");
		return -1;
	}
	if (!tramp_page)
		tramp_page = find_tramp_page();
	if (!tramp_page) {
		snprintf(why, n, "no free page below 640 KiB for the AP trampoline");
		return -1;
	}
	memcpy((void *)tramp_page, ap_tramp_start, ap_tramp_end - ap_tramp_start);

	u32 bsp = lapic_id();
	apic_started[bsp] = 1;
	int failed = 0;
	for (int i = 0; i < acpi.ncpus; i++) {
		u8 id = acpi.apic_ids[i];
		if (apic_started[id])
			continue;
		int cpu = cpus_up;
		if (cpu >= MAX_CPUS)
			break;
		u64 t0 = now_us();
		cpu_prepare_ap(cpu);
		cpu_apic[cpu] = id;
		ap_boot_cpu = cpu;
		barrier();
		ipi(id, 0x4500);			/* INIT, assert */
		ipi(id, 0x8500);			/* INIT, deassert */
		udelay(10000);
		for (int k = 0; k < 2 && !cpu_online[cpu]; k++) {
			ipi(id, 0x4600 | (tramp_page >> 12));	/* SIPI */
			wait_online(cpu, k == 0 ? 200 : 2000000);
		}
		if (!cpu_online[cpu]) {
			printf("cpu %d (apic %u) did not come up\n", cpu, id);
			if (!failed)
				snprintf(why, n, "cpu %d (apic %u) did not come up", cpu, id);
			failed++;
			continue;
		}
		apic_started[id] = 1;
		cpus_up++;
		printf("cpu %d: started in %lu us\n", cpu, now_us() - t0);
	}
	printf("cpus: %d of %d up (trampoline at 0x%lx)\n", cpus_up, acpi.ncpus, tramp_page);
	return failed ? -1 : 0;
}

/* First C code on an AP, at CPL 3. */
void ap_main(int cpu)
{
	console_lock();
	printf("cpu %d up (apic %u)\n", cpu, lapic_id());
	console_unlock();
	barrier();
	cpu_online[cpu] = 1;
	for (;;)
		gate(GATE_IDLE, 0, 0);	/* sleeps in hlt: no timer, no IPIs */
}
