/*
 * ACPI: RSDP -> RSDT/XSDT -> MADT (CPUs, IOAPIC) and FADT (PM1 control,
 * DSDT).  S5's SLP_TYP comes from the DSDT's _S5 package.
 */
#include "guest.h"

struct acpi_info acpi;

struct sdt {
	char sig[4];
	u32 len;
	u8 rev, csum;
	char oem[6], oem_table[8];
	u32 oem_rev, creator, creator_rev;
} __attribute__((packed));

static int sum_ok(const void *p, u32 len)
{
	u8 s = 0;
	for (u32 i = 0; i < len; i++)
		s += ((const u8 *)p)[i];
	return s == 0;
}

static int rsdp_ok(u64 a)
{
	const u8 *p = (const u8 *)a;
	if (memcmp(p, "RSD PTR ", 8) || !sum_ok(p, 20))
		return 0;
	return p[15] < 2 || sum_ok(p, *(const u32 *)(p + 20));
}

static u64 find_rsdp(void)
{
	if (acpi_rsdp_hint && rsdp_ok(acpi_rsdp_hint))
		return acpi_rsdp_hint;
	u64 ebda = (u64)mmio_read16(0x40e) << 4;	/* EBDA segment */
	if (ebda >= 0x80000 && ebda < 0xa0000)
		for (u64 a = ebda; a < ebda + 1024; a += 16)
			if (rsdp_ok(a))
				return a;
	for (u64 a = 0xe0000; a < 0x100000; a += 16)
		if (rsdp_ok(a))
			return a;
	return 0;
}

static void parse_madt(const u8 *t)
{
	u32 len = ((const struct sdt *)t)->len;
	acpi.lapic_base = *(const u32 *)(t + 36);
	for (u32 off = 44; off + 2 <= len; off += t[off + 1]) {
		const u8 *e = t + off;
		if (e[1] < 2)
			break;
		switch (e[0]) {
		case 0:		/* processor local APIC */
			if ((*(const u32 *)(e + 4) & 1) && acpi.ncpus < MAX_CPUS)
				acpi.apic_ids[acpi.ncpus++] = e[3];
			break;
		case 1:		/* IOAPIC: take the one with GSI base 0 */
			if (*(const u32 *)(e + 8) == 0 || !acpi.ioapic_base)
				acpi.ioapic_base = *(const u32 *)(e + 4);
			break;
		case 2:		/* interrupt source override */
			if (e[2] == 0 && e[3] == 4)
				acpi.uart_gsi = *(const u32 *)(e + 4);
			break;
		}
	}
}

/* Find Name(_S5, Package() { SLP_TYPa, SLP_TYPb, ... }) in AML. */
static void parse_s5(const u8 *t)
{
	u32 len = ((const struct sdt *)t)->len;
	for (u32 i = 36; i + 8 < len; i++) {
		const u8 *p = t + i;
		if (memcmp(p, "_S5_", 4) || p[4] != 0x12)	/* PackageOp */
			continue;
		if (p[-1] != 0x08 && !(p[-1] == '\\' && p[-2] == 0x08))
			continue;				/* NameOp */
		p += 5;
		p += 1 + (*p >> 6);		/* PkgLength */
		p++;				/* NumElements */
		int v[2];
		for (int k = 0; k < 2; k++) {
			if (*p == 0x0a) {	/* BytePrefix */
				v[k] = p[1];
				p += 2;
			} else if (*p == 0x00 || *p == 0x01) {	/* Zero/OneOp */
				v[k] = *p++;
			} else {
				return;
			}
		}
		acpi.slp_typ_s5 = v[0] & 7;
		acpi.slp_typb_s5 = v[1] & 7;
		return;
	}
}

static void parse_fadt(const u8 *t)
{
	u32 len = ((const struct sdt *)t)->len;
	acpi.pm1a_evt = *(const u32 *)(t + 56);
	acpi.pm1a_cnt = *(const u32 *)(t + 64);
	acpi.pm1b_cnt = *(const u32 *)(t + 68);
	u64 dsdt = *(const u32 *)(t + 40);
	if (len >= 148 && *(const u64 *)(t + 140))
		dsdt = *(const u64 *)(t + 140);
	/* X_PM1a_CNT_BLK (a GAS) when the legacy field is empty. */
	if (!acpi.pm1a_cnt && len >= 184 && t[172] == 1)
		acpi.pm1a_cnt = *(const u32 *)(t + 176);
	if (dsdt && dsdt < (1UL << 32) && !memcmp((void *)dsdt, "DSDT", 4)) {
		acpi.dsdt = dsdt;
		parse_s5((const u8 *)dsdt);
	}
}

void acpi_init(void)
{
	memset(&acpi, 0, sizeof(acpi));
	acpi.lapic_base = 0xfee00000;
	acpi.ioapic_base = 0;
	acpi.uart_gsi = 4;
	acpi.slp_typ_s5 = -1;
	acpi.slp_typb_s5 = -1;

	u64 rsdp = find_rsdp();
	if (!rsdp)
		return;
	acpi.rsdp = rsdp;
	const u8 *r = (const u8 *)rsdp;
	u64 root = *(const u32 *)(r + 16);
	int esize = 4;
	if (r[15] >= 2 && *(const u64 *)(r + 24)) {
		root = *(const u64 *)(r + 24);
		esize = 8;
	}
	if (!root || root >= (1UL << 32))
		return;
	const struct sdt *rt = (const struct sdt *)root;
	if (!sum_ok(rt, rt->len))
		return;
	acpi.found = 1;
	for (u32 off = 36; off + esize <= rt->len; off += esize) {
		u64 a = esize == 8 ? *(const u64 *)((const u8 *)rt + off)
				   : *(const u32 *)((const u8 *)rt + off);
		if (!a || a >= (1UL << 32))
			continue;
		const struct sdt *t = (const struct sdt *)a;
		if (!memcmp(t->sig, "APIC", 4) && !acpi.madt) {
			acpi.madt = a;
			parse_madt((const u8 *)t);
		} else if (!memcmp(t->sig, "FACP", 4) && !acpi.facp) {
			acpi.facp = a;
			parse_fadt((const u8 *)t);
		}
	}
	if (acpi.lapic_base == 0)
		acpi.lapic_base = 0xfee00000;
}

/* S5 via PM1a_CNT (and PM1b_CNT): SLP_TYP | SLP_EN. Returns only on
 * failure. */
#define PWRBTN (1 << 8)	/* PWRBTN_STS in PM1_STS, PWRBTN_EN in PM1_EN */

/* The fixed-feature power button (vmctl stop): clear its status, enable its event. */
void acpi_enable_power_button(void)
{
	if (!acpi.pm1a_evt)
		return;
	outw(acpi.pm1a_evt, PWRBTN);
	outw(acpi.pm1a_evt + 2, inw(acpi.pm1a_evt + 2) | PWRBTN);
}

/* Polled from the idle loop: the guest has no SCI handler, the timer wakes it. */
int acpi_power_button_pressed(void)
{
	if (!acpi.pm1a_evt || !(inw(acpi.pm1a_evt) & PWRBTN))
		return 0;
	outw(acpi.pm1a_evt, PWRBTN);	/* write 1 to clear */
	return 1;
}

int acpi_poweroff(char *why, int n)
{
	if (!acpi.facp || !acpi.pm1a_cnt) {
		snprintf(why, n, "no FADT PM1a_CNT_BLK");
		return -1;
	}
	int typ = acpi.slp_typ_s5, typb = acpi.slp_typb_s5;
	if (typ < 0) {
		printf("poweroff: no _S5 in DSDT, assuming SLP_TYP 5\n");
		typ = typb = 5;
	}
	printf("poweroff: PM1a_CNT 0x%x <- SLP_TYP %d | SLP_EN\n", acpi.pm1a_cnt, typ);
	u16 v = inw(acpi.pm1a_cnt) & ~0x3c00;
	outw(acpi.pm1a_cnt, v | (typ << 10) | (1 << 13));
	if (acpi.pm1b_cnt) {
		v = inw(acpi.pm1b_cnt) & ~0x3c00;
		outw(acpi.pm1b_cnt, v | (typb << 10) | (1 << 13));
	}
	udelay(1000000);
	snprintf(why, n, "still running 1 s after the PM1a_CNT write");
	return -1;
}
