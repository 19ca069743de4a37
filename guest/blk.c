/*
 * `blk`: drive the first virtio-blk device (1af4:1042, or transitional
 * 1af4:1001) as a real driver does: header / data / status descriptor
 * chains, several data segments per request (bounded by seg_max) and
 * several requests in flight, then
 *   1. read sectors 0..127 and print their FNV-1a 64 checksum,
 *   2. unless the device is read-only: write a xorshift64 pattern seeded
 *      from vmdtest.seed= to sectors S..S+127 (S = vmdtest.blk_sector=),
 *      FLUSH, read them back and compare,
 *   3. GET_ID: print the serial.
 * Definitions of the checksum and the pattern are in README.md; the host
 * tests regenerate both.  Everything here runs at CPL 3 (native speed).
 */
#include "guest.h"

#define BLK_F_SEG_MAX	(1UL << 2)
#define BLK_F_RO	(1UL << 5)
#define BLK_F_BLK_SIZE	(1UL << 6)
#define BLK_F_FLUSH	(1UL << 9)

#define T_IN		0
#define T_OUT		1
#define T_FLUSH		4
#define T_GET_ID	8

#define S_OK		0
#define S_IOERR		1
#define S_UNSUPP	2

#define ID_BYTES	20
#define XFER_SECTORS	128		/* 64 KiB: the read and the write test */
#define REQ_BYTES	(32 * 1024)	/* one request; several segments */
#define MAX_SEGS	8
#define MAX_REQS	16
#define TIMEOUT_US	5000000

/* config_generation in struct virtio_pci_common_cfg */
#define COMMON_CONFIG_GENERATION 0x15

struct blk_hdr { u32 type, ioprio; u64 sector; };

struct blk_req {
	struct blk_hdr hdr;
	u8 status;
	u32 bytes;
	int head;
};

static struct virtio_dev vd;
static struct virtq vq;
static struct blk_req reqs[MAX_REQS];
static int req_of_head[256];
static int segs_per_req;		/* from seg_max */
static u8 rbuf[XFER_SECTORS * 512] __attribute__((aligned(4096)));
static u8 wbuf[XFER_SECTORS * 512] __attribute__((aligned(4096)));
static u8 vbuf[XFER_SECTORS * 512] __attribute__((aligned(4096)));
static u8 idbuf[ID_BYTES + 1];
static u64 timeout_us = TIMEOUT_US;	/* blksoak waits as long as Linux's block layer (30 s) */

/* FNV-1a, 64-bit: h = 0xcbf29ce484222325; per byte h ^= b, h *= 0x100000001b3. */
static u64 fnv1a64(const u8 *p, size_t n)
{
	u64 h = 0xcbf29ce484222325UL;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3UL;
	}
	return h;
}

/*
 * The write pattern: x = seed ^ 0x9e3779b97f4a7c15 (1 if that is 0); for
 * each 8-byte word in order, x ^= x << 13, x ^= x >> 7, x ^= x << 17, and
 * the word is x, little-endian.
 */
static void pattern(u8 *p, size_t n, u64 seed)
{
	u64 x = seed ^ 0x9e3779b97f4a7c15UL;
	if (!x)
		x = 1;
	for (size_t i = 0; i + 8 <= n; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		for (int k = 0; k < 8; k++)
			p[i + k] = (u8)(x >> (8 * k));
	}
}

static const char *status_name(u8 s)
{
	switch (s) {
	case S_OK: return "OK";
	case S_IOERR: return "IOERR";
	case S_UNSUPP: return "UNSUPP";
	case 0xff: return "not written";
	default: return "unknown";
	}
}

static const char *type_name(u32 t)
{
	switch (t) {
	case T_IN: return "read";
	case T_OUT: return "write";
	case T_FLUSH: return "flush";
	case T_GET_ID: return "get-id";
	default: return "request";
	}
}

/* Queue one request: header (device-readable), data, status (device-writable). */
static int submit(struct blk_req *r, u32 type, u64 sector, void *data, u32 bytes, int nseg)
{
	struct vbuf b[MAX_SEGS + 2];
	int k = 0;
	r->hdr.type = type;
	r->hdr.ioprio = 0;
	r->hdr.sector = sector;
	r->status = 0xff;
	r->bytes = bytes;
	b[k++] = (struct vbuf){ &r->hdr, sizeof(r->hdr), 0 };
	if (bytes) {
		u32 seg = bytes / nseg;
		for (int i = 0; i < nseg; i++)
			b[k++] = (struct vbuf){ (u8 *)data + i * seg,
						i + 1 < nseg ? seg : bytes - i * seg,
						type != T_OUT };
	}
	b[k++] = (struct vbuf){ &r->status, 1, 1 };
	r->head = virtq_add(&vq, b, k);
	if (r->head < 0)
		return -1;
	req_of_head[r->head] = r - reqs;
	return k;
}

/* Wait for one used chain; check its status.  Returns the request or NULL. */
static struct blk_req *complete(char *why, int n)
{
	u32 len = 0;
	int head = virtq_wait(&vq, &len, timeout_us);
	if (head < 0) {
		snprintf(why, n, "no used buffer within %lu s", timeout_us / 1000000);
		return NULL;
	}
	struct blk_req *r = &reqs[req_of_head[head]];
	u32 writable = 1 + (r->hdr.type != T_OUT ? r->bytes : 0);
	if (len > writable) {
		snprintf(why, n, "%s sector %lu: device reported %u bytes written, buffers hold %u",
			 type_name(r->hdr.type), r->hdr.sector, len, writable);
		return NULL;
	}
	if (r->status != S_OK) {
		snprintf(why, n, "%s sector %lu: status %u (%s)", type_name(r->hdr.type),
			 r->hdr.sector, r->status, status_name(r->status));
		return NULL;
	}
	return r;
}

/* Read or write nsect sectors at sector, REQ_BYTES per request, all the
 * requests that fit in the ring in flight at once. */
static int transfer(u32 type, u64 sector, u8 *buf, u32 nsect, char *why, int n)
{
	u32 total = nsect * 512, done = 0, next = 0;
	int inflight = 0, free_slot[MAX_REQS], nfree = 0;
	for (int i = MAX_REQS - 1; i >= 0; i--)
		free_slot[nfree++] = i;
	while (done < total) {
		int queued = 0;
		while (next < total && nfree && vq.num_free >= segs_per_req + 2) {
			u32 bytes = total - next < REQ_BYTES ? total - next : REQ_BYTES;
			int nseg = segs_per_req;
			while (nseg > 1 && bytes / nseg < 512)
				nseg >>= 1;
			struct blk_req *r = &reqs[free_slot[--nfree]];
			if (submit(r, type, sector + next / 512, buf + next, bytes, nseg) < 0) {
				snprintf(why, n, "virtq_add failed");
				return -1;
			}
			next += bytes;
			inflight++;
			queued++;
		}
		if (queued)
			virtq_kick(&vq);
		if (!inflight) {
			snprintf(why, n, "ring too small for a request");
			return -1;
		}
		struct blk_req *r = complete(why, n);
		if (!r)
			return -1;
		inflight--;
		done += r->bytes;
		free_slot[nfree++] = r - reqs;
	}
	return 0;
}

/* A request without data (FLUSH) or with one small device-writable buffer
 * (GET_ID).  Returns the status, or -1 (why filled in). */
static int simple(u32 type, void *data, u32 bytes, char *why, int n)
{
	struct blk_req *r = &reqs[0];
	if (submit(r, type, 0, data, bytes, 1) < 0) {
		snprintf(why, n, "virtq_add failed");
		return -1;
	}
	virtq_kick(&vq);
	u32 len = 0;
	if (virtq_wait(&vq, &len, timeout_us) < 0) {
		snprintf(why, n, "%s: no used buffer within %lu s", type_name(type),
			 timeout_us / 1000000);
		return -1;
	}
	if (r->status > S_UNSUPP) {
		snprintf(why, n, "%s: status %u (%s)", type_name(type), r->status,
			 status_name(r->status));
		return -1;
	}
	return r->status;
}

/* Device config fields, read under config_generation. */
static void read_config(u64 *capacity, u32 *seg_max, u32 *blk_size)
{
	for (int tries = 0; tries < 10; tries++) {
		u8 gen = mmio_read8(vd.common + COMMON_CONFIG_GENERATION);
		*capacity = mmio_read32(vd.device) | (u64)mmio_read32(vd.device + 4) << 32;
		*seg_max = mmio_read32(vd.device + 12);
		*blk_size = mmio_read32(vd.device + 20);
		if (mmio_read8(vd.common + COMMON_CONFIG_GENERATION) == gen)
			return;
	}
}

/* Feature negotiation, configuration, queue 0; prints the device's shape. */
static int blk_setup(u64 *capacity, char *why, int n)
{
	u64 want = BLK_F_SEG_MAX | BLK_F_RO | BLK_F_BLK_SIZE | BLK_F_FLUSH;
	if (virtio_start(&vd, want, why, n))
		return -1;
	if (!vd.device) {
		snprintf(why, n, "no device-specific configuration capability");
		return -1;
	}
	u32 seg_max, blk_size;
	read_config(capacity, &seg_max, &blk_size);
	if (virtq_setup(&vd, &vq, 0, 256, why, n))
		return -1;
	virtio_driver_ok(&vd);

	int ro = !!(vd.features & BLK_F_RO);
	/* Segments per request: header and status take two descriptors. */
	segs_per_req = 1;
	if (vd.features & BLK_F_SEG_MAX)
		while (segs_per_req * 2 <= MAX_SEGS && segs_per_req * 2 <= (int)seg_max &&
		       segs_per_req * 2 + 2 <= vq.size)
			segs_per_req *= 2;
	printf("blk: %lu sectors (%lu KiB), %s, features 0x%lx\n", *capacity, *capacity / 2,
	       ro ? "read-only" : "read-write", vd.features);
	printf("blk: queue 0 size %u, seg_max %u, blk_size %u, %d segments per %u KiB request\n",
	       vq.size, (vd.features & BLK_F_SEG_MAX) ? seg_max : 0,
	       (vd.features & BLK_F_BLK_SIZE) ? blk_size : 512, segs_per_req, REQ_BYTES / 1024);
	return 0;
}

/* FLUSH, where the device offers it; -1 with why filled in on any other status. */
static int flush(char *why, int n)
{
	if (!(vd.features & BLK_F_FLUSH))
		return 0;
	int st = simple(T_FLUSH, NULL, 0, why, n);
	if (st < 0)
		return -1;
	if (st != S_OK) {
		snprintf(why, n, "flush: status %d (%s)", st, status_name(st));
		return -1;
	}
	return 0;
}

static int run_blk(char *why, int n)
{
	u64 t0 = now_us();
	u64 capacity;
	if (blk_setup(&capacity, why, n))
		return -1;
	int ro = !!(vd.features & BLK_F_RO);

	/* 1. read the first 64 KiB (or the whole disk if smaller) */
	u32 nread = capacity < XFER_SECTORS ? (u32)capacity : XFER_SECTORS;
	if (nread == 0) {
		snprintf(why, n, "capacity is 0 sectors");
		return -1;
	}
	memset(rbuf, 0xa5, sizeof(rbuf));
	u64 t = now_us();
	if (transfer(T_IN, 0, rbuf, nread, why, n))
		return -1;
	printf("blk: read 0+%u sectors fnv1a64=%016lx (%lu us)\n", nread,
	       fnv1a64(rbuf, nread * 512), now_us() - t);

	/* 2. write, flush, read back */
	if (ro) {
		printf("blk: device is read-only (VIRTIO_BLK_F_RO): write test skipped\n");
	} else {
		u64 seed = cmdline_u64("vmdtest.seed=", 1);
		u64 s = cmdline_u64("vmdtest.blk_sector=", 2048);
		if (s + XFER_SECTORS > capacity) {
			snprintf(why, n, "write test needs sectors %lu+%u, capacity is %lu",
				 s, XFER_SECTORS, capacity);
			return -1;
		}
		pattern(wbuf, sizeof(wbuf), seed);
		t = now_us();
		if (transfer(T_OUT, s, wbuf, XFER_SECTORS, why, n))
			return -1;
		printf("blk: wrote %lu+%u sectors seed %lu fnv1a64=%016lx (%lu us)\n", s,
		       XFER_SECTORS, seed, fnv1a64(wbuf, sizeof(wbuf)), now_us() - t);
		if (flush(why, n))
			return -1;
		printf((vd.features & BLK_F_FLUSH) ? "blk: flush ok\n"
						   : "blk: no VIRTIO_BLK_F_FLUSH: flush skipped\n");
		memset(vbuf, 0x5a, sizeof(vbuf));
		if (transfer(T_IN, s, vbuf, XFER_SECTORS, why, n))
			return -1;
		for (u32 i = 0; i < sizeof(vbuf); i++) {
			if (vbuf[i] != wbuf[i]) {
				snprintf(why, n, "read back differs at sector %lu byte %u: %02x, wrote %02x",
					 s + i / 512, i % 512, vbuf[i], wbuf[i]);
				return -1;
			}
		}
		printf("blk: read back %lu+%u sectors: match\n", s, XFER_SECTORS);
	}

	/* 3. the serial */
	memset(idbuf, 0, sizeof(idbuf));
	int st = simple(T_GET_ID, idbuf, ID_BYTES, why, n);
	if (st < 0)
		return -1;
	if (st == S_UNSUPP) {
		printf("blk: GET_ID unsupported: no serial\n");
	} else {
		for (int i = 0; i < ID_BYTES; i++)
			if (idbuf[i] && (idbuf[i] < 0x20 || idbuf[i] > 0x7e))
				idbuf[i] = '?';
		printf("blk: serial \"%s\"\n", (char *)idbuf);
	}
	printf("blk: done in %lu us\n", now_us() - t0);
	return 0;
}

int cmd_blk(char *why, int n)
{
	if (virtio_find(VIRTIO_ID_BLK, &vd)) {		/* also finds 1af4:1001 */
		snprintf(why, n, "no virtio-blk device");
		return -1;
	}
	printf("blk: virtio-blk at %02x:%02x.%x (%04x:%04x)\n", vd.pci.bus, vd.pci.dev,
	       vd.pci.fn, vd.pci.vendor, vd.pci.device);
	int r = run_blk(why, n);
	virtio_reset(&vd);
	return r;
}

#define SOAK_REGIONS	8

/* Reads region sectors into vbuf and compares with the pattern of seed (built in rbuf). */
static int verify_region(u64 sector, u64 seed, char *why, int n)
{
	memset(vbuf, 0x5a, sizeof(vbuf));
	if (transfer(T_IN, sector, vbuf, XFER_SECTORS, why, n))
		return -1;
	pattern(rbuf, sizeof(rbuf), seed);
	for (u32 i = 0; i < sizeof(vbuf); i++) {
		if (vbuf[i] != rbuf[i]) {
			printf("blksoak: MISMATCH sector %lu byte %u: %02x, seed %lu wrote %02x\n",
			       sector + i / 512, i % 512, vbuf[i], seed, rbuf[i]);
			return 1;
		}
	}
	return 0;
}

/*
 * blksoak: a write / flush / read-back loop for device-kill soaks, until a key is typed
 * or vmdtest.soak_iters= iterations (0: no limit). Iteration i writes 64 KiB region
 * i % 8 (from vmdtest.blk_sector=) with seed i, flushes, reads it back, then reads
 * region (i + 1) % 8, written and flushed seven iterations before: a write the device
 * acknowledged and flushed but lost across a back-end restart shows there. An I/O error
 * ends the command (FAIL); a mismatch is counted and the loop goes on. The final seeds
 * are printed so the host can check the image file too.
 */
static int run_soak(char *why, int n)
{
	u64 capacity, seeds[SOAK_REGIONS] = { 0 };
	if (blk_setup(&capacity, why, n))
		return -1;
	if (vd.features & BLK_F_RO) {
		snprintf(why, n, "device is read-only");
		return -1;
	}
	u64 base = cmdline_u64("vmdtest.blk_sector=", 2048);
	u64 limit = cmdline_u64("vmdtest.soak_iters=", 0);
	u64 salt = cmdline_u64("vmdtest.seed=", 1) << 32;
	if (base + SOAK_REGIONS * XFER_SECTORS > capacity) {
		snprintf(why, n, "soak needs sectors %lu+%u, capacity is %lu", base,
			 SOAK_REGIONS * XFER_SECTORS, capacity);
		return -1;
	}
	u64 it = 0, verified = 0, mismatches = 0, t0 = now_us();
	while (limit == 0 || it < limit) {
		if (getc_nowait() >= 0)
			break;
		it++;
		int r = it % SOAK_REGIONS, next = (it + 1) % SOAK_REGIONS;
		u64 sector = base + (u64)r * XFER_SECTORS;
		pattern(wbuf, sizeof(wbuf), salt | it);
		if (transfer(T_OUT, sector, wbuf, XFER_SECTORS, why, n) || flush(why, n))
			goto io_error;
		seeds[r] = salt | it;
		int m = verify_region(sector, seeds[r], why, n);
		if (m < 0)
			goto io_error;
		mismatches += m;
		verified++;
		if (seeds[next]) {
			m = verify_region(base + (u64)next * XFER_SECTORS, seeds[next], why, n);
			if (m < 0)
				goto io_error;
			mismatches += m;
			verified++;
		}
		printf("blksoak: %lu\n", it);
	}
	printf("blksoak: %lu iterations, %lu regions verified, %lu mismatches in %lu ms\n", it,
	       verified, mismatches, (now_us() - t0) / 1000);
	for (int r = 0; r < SOAK_REGIONS; r++)
		if (seeds[r])
			printf("blksoak: region sector %lu seed %lu\n", base + (u64)r * XFER_SECTORS, seeds[r]);
	if (mismatches) {
		snprintf(why, n, "%lu mismatches", mismatches);
		return -1;
	}
	return 0;
io_error:
	printf("blksoak: I/O error in iteration %lu\n", it);
	return -1;
}

int cmd_blksoak(char *why, int n)
{
	if (virtio_find(VIRTIO_ID_BLK, &vd)) {
		snprintf(why, n, "no virtio-blk device");
		return -1;
	}
	timeout_us = 30000000;	/* a restarting back-end on a loaded host may take seconds */
	int r = run_soak(why, n);
	timeout_us = TIMEOUT_US;
	virtio_reset(&vd);
	return r;
}
