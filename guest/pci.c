/* PCI bus 0 through configuration mechanism #1 (ports 0xcf8/0xcfc). */
#include "guest.h"

static u32 cfg_addr(const struct pci_dev *d, u8 off)
{
	return 0x80000000u | (u32)d->bus << 16 | (u32)d->dev << 11 |
	       (u32)d->fn << 8 | (off & 0xfc);
}

u32 pci_read32(const struct pci_dev *d, u8 off)
{
	outl(0xcf8, cfg_addr(d, off));
	return inl(0xcfc);
}

u16 pci_read16(const struct pci_dev *d, u8 off)
{
	outl(0xcf8, cfg_addr(d, off));
	return inw(0xcfc + (off & 2));
}

u8 pci_read8(const struct pci_dev *d, u8 off)
{
	outl(0xcf8, cfg_addr(d, off));
	return inb(0xcfc + (off & 3));
}

void pci_write32(const struct pci_dev *d, u8 off, u32 v)
{
	outl(0xcf8, cfg_addr(d, off));
	outl(0xcfc, v);
}

void pci_write16(const struct pci_dev *d, u8 off, u16 v)
{
	outl(0xcf8, cfg_addr(d, off));
	outw(0xcfc + (off & 2), v);
}

/* Every function on bus 0. */
int pci_scan(struct pci_dev *out, int max)
{
	int n = 0;
	for (u8 dev = 0; dev < 32; dev++) {
		for (u8 fn = 0; fn < 8; fn++) {
			struct pci_dev d = { 0, dev, fn, 0, 0, 0 };
			u32 id = pci_read32(&d, 0);
			if ((id & 0xffff) == 0xffff || id == 0) {
				if (fn == 0)
					break;
				continue;
			}
			d.vendor = id & 0xffff;
			d.device = id >> 16;
			d.class = pci_read32(&d, 8) >> 8;
			if (n < max)
				out[n++] = d;
			if (fn == 0 && !(pci_read8(&d, 0x0e) & 0x80))
				break;		/* not multi-function */
		}
	}
	return n;
}

int pci_find(u16 vendor, u16 device, struct pci_dev *out)
{
	struct pci_dev devs[64];
	int n = pci_scan(devs, 64);
	for (int i = 0; i < n; i++)
		if (devs[i].vendor == vendor && devs[i].device == device) {
			*out = devs[i];
			return 0;
		}
	return -1;
}

/*
 * Address of memory BAR `bar` (or the port of an I/O BAR).  A BAR the VMM
 * left at 0, or placed above 4 GiB (outside our identity map), is assigned
 * here from a window at 0xe0000000.  Memory decoding and bus mastering
 * are switched on.
 */
static u64 mmio_next = 0xe0000000;

u64 pci_bar(const struct pci_dev *d, int bar)
{
	u8 off = 0x10 + 4 * bar;
	u32 lo = pci_read32(d, off);
	u16 cmd = pci_read16(d, 0x04);
	if (lo & 1) {
		pci_write16(d, 0x04, cmd | 0x5);	/* I/O, bus master */
		return lo & ~3u;
	}
	int is64 = ((lo >> 1) & 3) == 2;
	u64 addr = lo & ~0xfu;
	if (is64)
		addr |= (u64)pci_read32(d, off + 4) << 32;
	if (addr == 0 || addr >= (1UL << 32)) {
		pci_write16(d, 0x04, cmd & ~0x3);	/* decoding off */
		pci_write32(d, off, 0xffffffff);
		u32 mask = pci_read32(d, off) & ~0xfu;
		if (mask == 0)
			return 0;			/* BAR not implemented */
		u64 m = 0xffffffff00000000UL | mask;
		if (is64) {
			pci_write32(d, off + 4, 0xffffffff);
			m = ((u64)pci_read32(d, off + 4) << 32) | mask;
		}
		u64 size = ~m + 1;
		addr = (mmio_next + size - 1) & ~(size - 1);
		if (addr + size > 0xfec00000)
			return 0;
		mmio_next = addr + size;
		pci_write32(d, off, (u32)addr | (lo & 0xf));
		if (is64)
			pci_write32(d, off + 4, 0);
	}
	pci_write16(d, 0x04, (cmd & ~0x400) | 0x6);	/* memory, bus master */
	return addr;
}

static const char *pci_name(const struct pci_dev *d)
{
	if (d->vendor == 0x1af4) {
		u16 t = d->device >= 0x1040 ? d->device - 0x1040 : 0;
		switch (d->device) {
		case 0x1000: return "virtio-net (transitional)";
		case 0x1001: return "virtio-blk (transitional)";
		case 0x1005: return "virtio-rng (transitional)";
		}
		switch (t) {
		case 1: return "virtio-net";
		case 2: return "virtio-blk";
		case 3: return "virtio-console";
		case 4: return "virtio-rng";
		}
		return "virtio";
	}
	if ((d->class >> 8) == 0x0600)
		return "host bridge";
	if ((d->class >> 8) == 0x0601)
		return "ISA bridge";
	return "";
}

void pci_list(void)
{
	struct pci_dev devs[64];
	int n = pci_scan(devs, 64);
	for (int i = 0; i < n; i++) {
		struct pci_dev *d = &devs[i];
		printf("%02x:%02x.%x %04x:%04x class %06x %s\n", d->bus, d->dev,
		       d->fn, d->vendor, d->device, d->class, pci_name(d));
		if ((pci_read8(d, 0x0e) & 0x7f) != 0)
			continue;
		for (int b = 0; b < 6; b++) {
			u32 v = pci_read32(d, 0x10 + 4 * b);
			if (!v)
				continue;
			if (v & 1) {
				printf("    bar%d io 0x%x\n", b, v & ~3u);
			} else {
				u64 a = v & ~0xfu;
				int nb = b;
				if (((v >> 1) & 3) == 2)
					a |= (u64)pci_read32(d, 0x10 + 4 * ++b) << 32;
				printf("    bar%d mem 0x%lx\n", nb, a);
			}
		}
	}
	printf("pci: %d function%s on bus 0\n", n, n == 1 ? "" : "s");
}
