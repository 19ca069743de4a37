/* `rng`: read 16 bytes from a virtio-rng device through queue 0. */
#include "guest.h"

int cmd_rng(char *why, int n)
{
	static struct virtio_dev vd;
	static struct virtq vq;
	static u8 buf[16];

	if (virtio_find(VIRTIO_ID_RNG, &vd)) {
		snprintf(why, n, "no virtio-rng device");
		return -1;
	}
	printf("rng: virtio-rng at %02x:%02x.%x (%04x:%04x)\n", vd.pci.bus,
	       vd.pci.dev, vd.pci.fn, vd.pci.vendor, vd.pci.device);
	if (virtio_start(&vd, 0, why, n) || virtq_setup(&vd, &vq, 0, 8, why, n))
		return -1;
	virtio_driver_ok(&vd);

	u32 got = 0;
	u64 t0 = now_us();
	memset(buf, 0, sizeof(buf));
	while (got < sizeof(buf)) {
		struct vbuf b = { buf + got, sizeof(buf) - got, 1 };
		u32 len = 0;
		if (virtq_add(&vq, &b, 1) < 0) {
			snprintf(why, n, "virtq_add failed");
			goto fail;
		}
		virtq_kick(&vq);
		if (virtq_wait(&vq, &len, 2000000) < 0) {
			snprintf(why, n, "no used buffer within 2 s");
			goto fail;
		}
		if (len > sizeof(buf) - got) {
			snprintf(why, n, "device reported %u bytes for a %u-byte buffer",
				 len, (u32)(sizeof(buf) - got));
			goto fail;
		}
		got += len;
	}
	printf("rng:");
	for (u32 i = 0; i < sizeof(buf); i++)
		printf(" %02x", buf[i]);
	printf("  (%lu us)\n", now_us() - t0);
	virtio_reset(&vd);
	return 0;
fail:
	virtio_reset(&vd);
	return -1;
}
