/* virtio 1.x over PCI (modern capabilities) and the split virtqueue. */
#ifndef VIRTIO_H
#define VIRTIO_H

#define VIRTIO_VENDOR		0x1af4
#define VIRTIO_PCI_MODERN(t)	(0x1040 + (t))	/* t: virtio device type */
#define VIRTIO_ID_NET		1
#define VIRTIO_ID_BLK		2
#define VIRTIO_ID_RNG		4

#define VIRTIO_F_VERSION_1	(1UL << 32)

#define VIRTQ_DESC_F_NEXT	1
#define VIRTQ_DESC_F_WRITE	2

struct virtq_desc { u64 addr; u32 len; u16 flags, next; };
struct virtq_avail { u16 flags, idx, ring[]; };
struct virtq_used_elem { u32 id, len; };
struct virtq_used { u16 flags, idx; struct virtq_used_elem ring[]; };

struct virtio_dev {
	struct pci_dev pci;
	u64 common;		/* struct virtio_pci_common_cfg, MMIO */
	u64 notify;		/* notify region base */
	u32 notify_mult;	/* notify_off_multiplier */
	u64 isr;
	u64 device;		/* device-specific config */
	u64 features;		/* negotiated */
};

struct virtq {
	struct virtio_dev *vd;
	u16 index, size;
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	u64 notify_addr;
	u16 free_head, num_free, last_used;
	u16 chain_len[256];	/* descriptors per head, for freeing */
};

/* One buffer of a request: out (device reads) or in (device writes). */
struct vbuf { void *addr; u32 len; int write; };

int virtio_find(int type, struct virtio_dev *vd);
/* Maps the common, notify, ISR and device config structures without touching the device. */
int virtio_map(struct virtio_dev *vd, char *why, int n);
int virtio_start(struct virtio_dev *vd, u64 features, char *why, int n);
int virtq_setup(struct virtio_dev *vd, struct virtq *vq, u16 index, u16 max_size,
		char *why, int n);
void virtio_driver_ok(struct virtio_dev *vd);
void virtio_reset(struct virtio_dev *vd);
int virtq_add(struct virtq *vq, const struct vbuf *bufs, int nbufs);
void virtq_kick(struct virtq *vq);
int virtq_get(struct virtq *vq, u32 *len);		/* -1: nothing used */
int virtq_wait(struct virtq *vq, u32 *len, u64 timeout_us);
u8 virtio_read_isr(struct virtio_dev *vd);

#endif
