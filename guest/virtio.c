/*
 * virtio 1.x PCI transport (common/notify/ISR/device capabilities in
 * memory BARs) and the split virtqueue.  Polled: no interrupts needed.
 * Commands for individual devices (rng, and later blk and net) build on
 * virtio_find / virtio_start / virtq_setup / virtq_add / virtq_wait.
 */
#include "guest.h"

/* struct virtio_pci_common_cfg offsets */
#define DEV_FEATURE_SEL	0x00
#define DEV_FEATURE	0x04
#define DRV_FEATURE_SEL	0x08
#define DRV_FEATURE	0x0c
#define NUM_QUEUES	0x12
#define DEVICE_STATUS	0x14
#define QUEUE_SELECT	0x16
#define QUEUE_SIZE	0x18
#define QUEUE_ENABLE	0x1c
#define QUEUE_NOTIFY_OFF 0x1e
#define QUEUE_DESC	0x20
#define QUEUE_DRIVER	0x28
#define QUEUE_DEVICE	0x30

#define S_ACKNOWLEDGE	1
#define S_DRIVER	2
#define S_DRIVER_OK	4
#define S_FEATURES_OK	8
#define S_NEEDS_RESET	0x40
#define S_FAILED	0x80

/* Ring memory: a bump allocator over a static pool; a virtq keeps its
 * rings across resets, so repeated commands do not leak. */
static u8 ring_pool[128 * 1024] __attribute__((aligned(4096)));
static size_t ring_used;

static void *ring_alloc(size_t n)
{
	size_t off = (ring_used + 4095) & ~4095UL;
	if (off + n > sizeof(ring_pool))
		return NULL;
	ring_used = off + n;
	return ring_pool + off;
}

int virtio_find(int type, struct virtio_dev *vd)
{
	static const u16 transitional[] = { 0, 0x1000, 0x1001, 0, 0x1005 };
	memset(vd, 0, sizeof(*vd));
	if (pci_find(VIRTIO_VENDOR, VIRTIO_PCI_MODERN(type), &vd->pci) == 0)
		return 0;
	if (type < (int)ARRAY_SIZE(transitional) && transitional[type] &&
	    pci_find(VIRTIO_VENDOR, transitional[type], &vd->pci) == 0)
		return 0;
	return -1;
}

/* Walk the vendor capabilities and map common, notify, ISR, device cfg. */
int virtio_map(struct virtio_dev *vd, char *why, int n)
{
	struct pci_dev *d = &vd->pci;
	if (!(pci_read16(d, 0x06) & 0x10)) {
		snprintf(why, n, "no PCI capability list");
		return -1;
	}
	u8 off = pci_read8(d, 0x34) & 0xfc;
	for (int guard = 0; off && guard < 48; guard++) {
		u8 id = pci_read8(d, off), next = pci_read8(d, off + 1);
		if (id == 0x09) {			/* vendor specific */
			u8 type = pci_read8(d, off + 3), bar = pci_read8(d, off + 4);
			u32 boff = pci_read32(d, off + 8);
			if (bar < 6 && type >= 1 && type <= 4) {
				u64 base = pci_bar(d, bar);
				if (!base) {
					snprintf(why, n, "cannot map BAR%d", bar);
					return -1;
				}
				u64 a = base + boff;
				switch (type) {
				case 1: if (!vd->common) vd->common = a; break;
				case 2:
					if (!vd->notify) {
						vd->notify = a;
						vd->notify_mult = pci_read32(d, off + 16);
					}
					break;
				case 3: if (!vd->isr) vd->isr = a; break;
				case 4: if (!vd->device) vd->device = a; break;
				}
			}
		}
		off = next & 0xfc;
	}
	if (!vd->common || !vd->notify || !vd->isr) {
		snprintf(why, n, "missing virtio-pci capabilities (common %s, notify %s, isr %s)",
			 vd->common ? "ok" : "none", vd->notify ? "ok" : "none",
			 vd->isr ? "ok" : "none");
		return -1;
	}
	return 0;
}

static u8 status(struct virtio_dev *vd) { return mmio_read8(vd->common + DEVICE_STATUS); }
static void set_status(struct virtio_dev *vd, u8 s) { mmio_write8(vd->common + DEVICE_STATUS, s); }

void virtio_reset(struct virtio_dev *vd)
{
	set_status(vd, 0);
	for (int i = 0; i < 100000 && status(vd) != 0; i++)
		cpu_relax();
}

/* Reset, ACKNOWLEDGE, DRIVER, negotiate (VERSION_1 required), FEATURES_OK. */
int virtio_start(struct virtio_dev *vd, u64 want, char *why, int n)
{
	if (virtio_map(vd, why, n))
		return -1;
	virtio_reset(vd);
	if (status(vd) != 0) {
		snprintf(why, n, "device did not reset");
		return -1;
	}
	set_status(vd, S_ACKNOWLEDGE);
	set_status(vd, S_ACKNOWLEDGE | S_DRIVER);
	u64 have = 0;
	for (u32 sel = 0; sel < 2; sel++) {
		mmio_write32(vd->common + DEV_FEATURE_SEL, sel);
		have |= (u64)mmio_read32(vd->common + DEV_FEATURE) << (32 * sel);
	}
	want |= VIRTIO_F_VERSION_1;
	if (!(have & VIRTIO_F_VERSION_1)) {
		set_status(vd, S_FAILED);
		snprintf(why, n, "device lacks VIRTIO_F_VERSION_1 (features 0x%lx)", have);
		return -1;
	}
	vd->features = have & want;
	for (u32 sel = 0; sel < 2; sel++) {
		mmio_write32(vd->common + DRV_FEATURE_SEL, sel);
		mmio_write32(vd->common + DRV_FEATURE, (u32)(vd->features >> (32 * sel)));
	}
	set_status(vd, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK);
	if (!(status(vd) & S_FEATURES_OK)) {
		set_status(vd, S_FAILED);
		snprintf(why, n, "device refused features 0x%lx", vd->features);
		return -1;
	}
	return 0;
}

int virtq_setup(struct virtio_dev *vd, struct virtq *vq, u16 index, u16 max_size,
		char *why, int n)
{
	mmio_write16(vd->common + QUEUE_SELECT, index);
	u16 size = mmio_read16(vd->common + QUEUE_SIZE);
	if (size == 0) {
		snprintf(why, n, "queue %u not available", index);
		return -1;
	}
	if (max_size > 256)
		max_size = 256;
	while (size > max_size)		/* sizes are powers of two */
		size >>= 1;
	if (!vq->desc || vq->size < size) {
		vq->desc = ring_alloc(16 * size);
		vq->avail = ring_alloc(6 + 2 * size);
		vq->used = ring_alloc(6 + 8 * size);
		if (!vq->desc || !vq->avail || !vq->used) {
			snprintf(why, n, "out of ring memory");
			return -1;
		}
	}
	memset(vq->desc, 0, 16 * size);
	memset(vq->avail, 0, 6 + 2 * size);
	memset(vq->used, 0, 6 + 8 * size);
	vq->vd = vd;
	vq->index = index;
	vq->size = size;
	for (u16 i = 0; i < size; i++)
		vq->desc[i].next = i + 1;
	vq->free_head = 0;
	vq->num_free = size;
	vq->last_used = 0;

	mmio_write16(vd->common + QUEUE_SIZE, size);
	mmio_write32(vd->common + QUEUE_DESC, (u32)(u64)vq->desc);
	mmio_write32(vd->common + QUEUE_DESC + 4, (u64)vq->desc >> 32);
	mmio_write32(vd->common + QUEUE_DRIVER, (u32)(u64)vq->avail);
	mmio_write32(vd->common + QUEUE_DRIVER + 4, (u64)vq->avail >> 32);
	mmio_write32(vd->common + QUEUE_DEVICE, (u32)(u64)vq->used);
	mmio_write32(vd->common + QUEUE_DEVICE + 4, (u64)vq->used >> 32);
	u16 noff = mmio_read16(vd->common + QUEUE_NOTIFY_OFF);
	vq->notify_addr = vd->notify + (u64)noff * vd->notify_mult;
	mmio_write16(vd->common + QUEUE_ENABLE, 1);
	return 0;
}

void virtio_driver_ok(struct virtio_dev *vd)
{
	set_status(vd, S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
}

/* Chain bufs (device-readable ones first) and publish the chain. */
int virtq_add(struct virtq *vq, const struct vbuf *bufs, int nbufs)
{
	if (nbufs < 1 || nbufs > vq->num_free)
		return -1;
	u16 head = vq->free_head, i = head, last = head;
	for (int k = 0; k < nbufs; k++) {
		struct virtq_desc *d = &vq->desc[i];
		d->addr = (u64)bufs[k].addr;
		d->len = bufs[k].len;
		d->flags = (bufs[k].write ? VIRTQ_DESC_F_WRITE : 0) |
			   (k + 1 < nbufs ? VIRTQ_DESC_F_NEXT : 0);
		last = i;
		i = d->next;
	}
	vq->free_head = vq->desc[last].next;
	vq->num_free -= nbufs;
	vq->chain_len[head] = nbufs;
	vq->avail->ring[vq->avail->idx % vq->size] = head;
	barrier();		/* x86: stores are ordered; stop the compiler */
	vq->avail->idx++;
	return head;
}

void virtq_kick(struct virtq *vq)
{
	barrier();
	mmio_write16(vq->notify_addr, vq->index);
}

/* Take one used chain, return its head (its descriptors are freed). */
int virtq_get(struct virtq *vq, u32 *len)
{
	barrier();
	if (*(volatile u16 *)&vq->used->idx == vq->last_used)
		return -1;
	barrier();
	struct virtq_used_elem e = vq->used->ring[vq->last_used % vq->size];
	vq->last_used++;
	if (e.id >= vq->size)
		return -1;
	if (len)
		*len = e.len;
	u16 last = e.id;
	for (int k = 1; k < vq->chain_len[e.id]; k++)
		last = vq->desc[last].next;
	vq->desc[last].next = vq->free_head;
	vq->free_head = e.id;
	vq->num_free += vq->chain_len[e.id];
	return e.id;
}

int virtq_wait(struct virtq *vq, u32 *len, u64 timeout_us)
{
	u64 end = now_us() + timeout_us;
	for (;;) {
		int id = virtq_get(vq, len);
		if (id >= 0 || now_us() > end)
			return id;
		cpu_relax();
	}
}

u8 virtio_read_isr(struct virtio_dev *vd)
{
	return mmio_read8(vd->isr);
}
