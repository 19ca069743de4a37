package vmd.vm.devices;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.memory.GuestMemory;
import vmd.memory.GuestMemoryException;
import vmd.vm.boot.E820Entry;

/**
 * QEMU's firmware configuration device (docs/specs/fw_cfg.rst, hw/nvram/fw_cfg.c), the
 * channel SeaBIOS and OpenBSD vmd's fw_cfg.c use to hand the firmware its configuration:
 * the e820 map, the boot order, the CPU count, ACPI tables.
 *
 * <p>Traditional interface: a 16-bit write to {@link #SELECTOR_PORT} picks an item and
 * rewinds it; byte reads from {@link #DATA_PORT} stream it; reads past the end (or of an
 * unknown item) return 0. As in QEMU's x86 "comb" port pair, any read in 0x510-0x511
 * returns data and a one-byte write is a (discarded) data write — items are read-only.
 *
 * <p>DMA interface at {@link #DMA_PORT}: the guest writes the guest-physical address of a
 * FWCfgDmaAccess {be32 control; be32 length; be64 address} as two big-endian 32-bit
 * halves, high at 0x514 then low at 0x518; the low write starts the transfer, which
 * completes before the {@code out} retires. Control bits: ERROR(0) READ(1) SKIP(2)
 * SELECT(3, item key in bits 31:16) WRITE(4). READ copies item bytes to guest memory
 * (zeros past the end), SKIP advances, WRITE always fails (no writable items), and the
 * control word is then overwritten with 0, or with ERROR if anything failed — including
 * a buffer outside guest RAM: a guest's bad address is its own problem, never ours. If
 * the descriptor itself is outside RAM nothing can be reported and the request is dropped.
 * Reading the DMA port returns "QEMU CFG", the probe signature.
 *
 * <p>Named files ({@link #addFile}) get selectors from 0x20 in name order, as QEMU does
 * (its non-legacy machines keep the directory sorted), listed in FILE_DIR (0x19). Add all
 * files before the guest starts: selectors shift as files are inserted.
 */
public final class FwCfg implements PortIoDevice, vmd.vm.snapshot.Snapshotted {
    private static final Logger log = LoggerFactory.getLogger(FwCfg.class);

    /** Selector (16-bit write) and data (8-bit read): register {@link #IO_BASE} with {@link #IO_LENGTH}. */
    public static final int IO_BASE = 0x510;
    public static final int IO_LENGTH = 2;
    public static final int SELECTOR_PORT = 0x510;
    public static final int DATA_PORT = 0x511;
    /** The DMA address register: register with {@link #DMA_LENGTH}. */
    public static final int DMA_PORT = 0x514;
    public static final int DMA_LENGTH = 8;

    public static final int KEY_SIGNATURE = 0x0000;
    public static final int KEY_ID = 0x0001;
    public static final int KEY_UUID = 0x0002;
    public static final int KEY_RAM_SIZE = 0x0003;
    public static final int KEY_NB_CPUS = 0x0005;
    public static final int KEY_MAX_CPUS = 0x000f;
    public static final int KEY_FILE_DIR = 0x0019;
    public static final int KEY_FILE_FIRST = 0x0020;
    /** Selector bits that are not part of the item number. */
    static final int KEY_WRITE_CHANNEL = 0x4000, KEY_ARCH_LOCAL = 0x8000, KEY_MAX = 0x3fff;

    /** ID feature bits: the traditional interface and DMA. */
    static final int FEATURE_TRADITIONAL = 1, FEATURE_DMA = 2;
    static final int DMA_ERROR = 0x01, DMA_READ = 0x02, DMA_SKIP = 0x04, DMA_SELECT = 0x08, DMA_WRITE = 0x10;
    static final byte[] DMA_SIGNATURE = "QEMU CFG".getBytes(StandardCharsets.US_ASCII);
    static final int FILE_NAME_SIZE = 56;

    private final GuestMemory memory;
    private final Map<Integer, byte[]> items = new HashMap<>();
    private final TreeMap<String, byte[]> files = new TreeMap<>();

    private byte[] current; // the selected item, or null
    private int offset;
    private int selectedKey = -1;
    private final byte[] dmaAddress = new byte[8];
    private boolean badDescriptorLogged;

    /** {@code cpus} vCPUs at boot (NB_CPUS), {@code maxCpus} possible (MAX_CPUS). */
    public FwCfg(GuestMemory memory, int cpus, int maxCpus) {
        this.memory = memory;
        items.put(KEY_SIGNATURE, "QEMU".getBytes(StandardCharsets.US_ASCII));
        items.put(KEY_ID, le32(FEATURE_TRADITIONAL | FEATURE_DMA));
        items.put(KEY_NB_CPUS, le16(cpus));
        items.put(KEY_MAX_CPUS, le16(maxCpus));
        rebuildFileDir();
    }

    /** Sets a numbered item (e.g. {@link #KEY_UUID}, {@link #KEY_RAM_SIZE}); files go through {@link #addFile}. */
    public synchronized void setItem(int key, byte[] data) {
        if (key >= KEY_FILE_DIR && key <= KEY_MAX) throw new IllegalArgumentException("key 0x" + Integer.toHexString(key) + " is reserved for files");
        items.put(key, data.clone());
    }

    /** Adds (or replaces) a named file, e.g. "etc/e820", "bootorder", "etc/boot-fail-wait". */
    public synchronized void addFile(String name, byte[] data) {
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        if (n.length == 0 || n.length >= FILE_NAME_SIZE) throw new IllegalArgumentException("bad fw_cfg file name: " + name);
        if (!files.containsKey(name) && KEY_FILE_FIRST + files.size() > KEY_MAX) throw new IllegalStateException("too many fw_cfg files");
        files.put(name, data.clone());
        rebuildFileDir();
    }

    /** The selector a file has now (files sort by name), or -1. */
    public synchronized int selectorOf(String name) {
        if (!files.containsKey(name)) return -1;
        return KEY_FILE_FIRST + files.headMap(name).size();
    }

    /** FILE_DIR: be32 count, then {be32 size, be16 select, be16 reserved, char name[56]} per file. */
    private void rebuildFileDir() {
        ByteBuffer dir = ByteBuffer.allocate(4 + files.size() * (8 + FILE_NAME_SIZE)).order(ByteOrder.BIG_ENDIAN);
        dir.putInt(files.size());
        int select = KEY_FILE_FIRST;
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            dir.putInt(f.getValue().length);
            dir.putShort((short) select++);
            dir.putShort((short) 0);
            byte[] name = new byte[FILE_NAME_SIZE];
            byte[] n = f.getKey().getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(n, 0, name, 0, n.length);
            dir.put(name);
        }
        items.put(KEY_FILE_DIR, dir.array());
    }

    private void select(int key) {
        selectedKey = key;
        offset = 0;
        int k = key & ~KEY_WRITE_CHANNEL; // the write channel is gone from QEMU too; treat as a read select
        if ((k & KEY_ARCH_LOCAL) == 0 && k >= KEY_FILE_FIRST) {
            int i = k - KEY_FILE_FIRST;
            current = i < files.size() ? files.values().stream().skip(i).findFirst().orElse(null) : null;
        } else {
            current = items.get(k);
        }
    }

    private int nextByte() {
        if (current == null || offset >= current.length) return 0;
        return current[offset++] & 0xff;
    }

    // ---- port I/O ----

    @Override
    public synchronized int read(int port, int size) {
        int value = 0;
        if (port >= DMA_PORT && port < DMA_PORT + DMA_LENGTH) {
            for (int i = 0; i < size && port - DMA_PORT + i < DMA_LENGTH; i++) {
                value |= (DMA_SIGNATURE[port - DMA_PORT + i] & 0xff) << (8 * i);
            }
            return value;
        }
        // Both ports of the pair read data (QEMU's comb port); wider reads take successive bytes.
        for (int i = 0; i < size; i++) value |= nextByte() << (8 * i);
        return value;
    }

    @Override
    public synchronized void write(int port, int size, int value) {
        if (port >= DMA_PORT && port < DMA_PORT + DMA_LENGTH) {
            boolean lastByteWritten = false;
            for (int i = 0; i < size; i++) {
                int at = port - DMA_PORT + i;
                if (at >= DMA_LENGTH) break;
                // The port's bytes are the address's big-endian bytes, in port order.
                dmaAddress[at] = (byte) (value >>> (8 * i));
                lastByteWritten |= at == DMA_LENGTH - 1;
            }
            if (lastByteWritten) {
                long descriptor = ByteBuffer.wrap(dmaAddress).order(ByteOrder.BIG_ENDIAN).getLong(0);
                java.util.Arrays.fill(dmaAddress, (byte) 0);
                dmaTransfer(descriptor);
            }
            return;
        }
        if (port == SELECTOR_PORT && size == 2) {
            select(value & 0xffff);
        }
        // One-byte writes are data writes: items are read-only (QEMU ignores them since 2.4).
    }

    // ---- DMA ----

    private void dmaTransfer(long descriptor) {
        int control;
        long length;
        long address;
        try {
            ByteBuffer d = ByteBuffer.wrap(memory.read(descriptor, 16)).order(ByteOrder.BIG_ENDIAN);
            control = d.getInt(0);
            length = Integer.toUnsignedLong(d.getInt(4));
            address = d.getLong(8);
        } catch (GuestMemoryException e) {
            if (!badDescriptorLogged) {
                badDescriptorLogged = true;
                log.warn("fw_cfg DMA descriptor at 0x{} is outside guest RAM; ignored (logged once)", Long.toHexString(descriptor));
            }
            return;
        }
        if ((control & DMA_SELECT) != 0) select(control >>> 16);
        boolean read = false, write = false;
        if ((control & DMA_READ) != 0) read = true;
        else if ((control & DMA_WRITE) != 0) write = true;
        else if ((control & DMA_SKIP) == 0) length = 0;

        boolean error = false;
        try {
            while (length > 0 && !error) {
                int available = current == null ? 0 : Math.max(0, current.length - offset);
                if (write) {
                    error = true; // nothing here is writable
                } else if (available == 0) {
                    if (read) fill(address, length, null, 0); // past the end reads as zeros
                    address += length;
                    length = 0;
                } else {
                    int n = (int) Math.min(length, available);
                    if (read) fill(address, n, current, offset);
                    offset += n;
                    address += n;
                    length -= n;
                }
            }
        } catch (GuestMemoryException e) {
            error = true;
        }
        try {
            memory.putInt(descriptor, Integer.reverseBytes(error ? DMA_ERROR : 0)); // be32 control
        } catch (GuestMemoryException e) {
            // checked above; cannot happen unless RAM shrank
        }
    }

    /** Copies {@code len} bytes of {@code src} (zeros if null) to guest memory, one page-bounded chunk at a time. */
    private void fill(long gpa, long len, byte[] src, int srcOffset) {
        long done = 0;
        while (done < len) {
            long at = gpa + done;
            int chunk = (int) Math.min(len - done, 4096 - (at & 4095));
            ByteBuffer b = memory.buffer(at, chunk); // regions are page aligned, so a chunk never straddles two
            if (src == null) {
                for (int i = 0; i < chunk; i++) b.put(i, (byte) 0);
            } else {
                b.put(src, srcOffset + (int) done, chunk);
            }
            done += chunk;
        }
    }

    // ---- encoders for common items ----

    /** "etc/e820": {le64 address, le64 length, le32 type} per entry. */
    public static byte[] e820(List<E820Entry> entries) {
        ByteBuffer b = ByteBuffer.allocate(entries.size() * 20).order(ByteOrder.LITTLE_ENDIAN);
        for (E820Entry e : entries) b.putLong(e.address()).putLong(e.size()).putInt(e.type());
        return b.array();
    }

    /** "bootorder": one OpenFirmware device path per line, e.g. "/pci@i0cf8/*@4". */
    public static byte[] bootOrder(List<String> devicePaths) {
        StringBuilder s = new StringBuilder();
        for (String p : devicePaths) s.append(p).append('\n');
        return s.toString().getBytes(StandardCharsets.US_ASCII);
    }

    public static byte[] le16(int v) {
        return new byte[] {(byte) v, (byte) (v >>> 8)};
    }

    /** E.g. "etc/boot-fail-wait" (milliseconds before SeaBIOS retries booting; it defaults to 60000). */
    public static byte[] le32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    public static byte[] le64(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    // ---- snapshot ----

    @Override
    public synchronized void saveState(vmd.vm.snapshot.StateWriter out) {
        out.u32(selectedKey).u32(offset).bytes(dmaAddress);
    }

    @Override
    public synchronized void restoreState(vmd.vm.snapshot.StateReader in) {
        int key = in.u32();
        int off = in.u32();
        if (key != -1) select(key & 0xffff);
        offset = Math.max(0, off);
        System.arraycopy(in.bytes(dmaAddress.length), 0, dmaAddress, 0, dmaAddress.length);
    }
}
