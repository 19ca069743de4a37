package vmd.vm.virtio;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.sys.Fds;
import vmd.sys.NativeException;
import vmd.virtio.VirtioFeatures;
import vmd.virtio.VirtioIds;
import vmd.virtio.VirtioStatus;
import vmd.vm.pci.MsixCapability;
import vmd.vm.pci.PciDevice;

/**
 * The modern virtio-pci transport (virtio 1.2 section 4.1), non-transitional: vendor
 * 0x1af4, device 0x1040 + type, revision 1, subsystem 0x1af4:0x1100 (QEMU's, at least
 * 0x40 as the spec asks), interrupt pin A.
 *
 * <p><b>BARs.</b> BAR 1: 32-bit memory, the MSI-X table at 0 and the PBA at 0x800 (4 KiB
 * for up to 128 vectors). BAR 4: 64-bit prefetchable memory, 16 KiB, laid out as QEMU
 * does: common configuration at 0x0000, ISR at 0x1000, device configuration at 0x2000,
 * notifications at 0x3000 (queue N at 0x3000 + 4 N: notify_off N, multiplier 4). Each is
 * announced by a vendor capability, plus VIRTIO_PCI_CAP_PCI_CFG for firmware that
 * reaches BAR 4 through config space.
 *
 * <p><b>Queues.</b> Each queue has a kick eventfd, registered as an ioeventfd on its
 * notify address whenever BAR 4 decodes (a notify write then never reaches a vCPU
 * thread; other widths still exit and are forwarded by hand), and a call eventfd the
 * device writes to interrupt. The device gets both in {@link QueueSetup} at DRIVER_OK.
 *
 * <p><b>Interrupts.</b> MSI-X has queues + 1 vectors. With MSI-X on and a queue's vector
 * unmasked, the call eventfd is an irqfd on a GSI of the queue's own whose MSI route
 * follows the vector's address/data. Otherwise a watcher thread polls the call eventfd:
 * masked vector -> pending bit (delivered on unmask); no vector -> dropped; MSI-X off ->
 * ISR bit 0 and INTx (level, dropped when the driver reads ISR). Configuration
 * interrupts (device config change, DEVICE_NEEDS_RESET) go the same two ways, ISR bit 1.
 *
 * <p>Lock: the PciDevice monitor covers all state; the device's methods are called
 * under it, and the device reaches back only through {@link DeviceEvents}, which
 * defers to the watcher thread.
 */
public final class VirtioPciTransport extends PciDevice implements AutoCloseable, vmd.vm.snapshot.Snapshotted {
    private static final Logger log = LoggerFactory.getLogger(VirtioPciTransport.class);

    public static final int MSIX_BAR = 1, VIRTIO_BAR = 4;
    public static final long VIRTIO_BAR_SIZE = 0x4000;
    public static final int COMMON_OFFSET = 0x0000, ISR_OFFSET = 0x1000, DEVICE_OFFSET = 0x2000, NOTIFY_OFFSET = 0x3000;
    public static final int REGION_SIZE = 0x1000;
    public static final int NOTIFY_OFF_MULTIPLIER = 4;
    /** Width of the ioeventfd match on notify addresses: drivers write the 16-bit queue index. */
    public static final int NOTIFY_WIDTH = 2;
    public static final int MAX_QUEUES = REGION_SIZE / NOTIFY_OFF_MULTIPLIER;
    public static final int NO_VECTOR = MsixCapability.NO_VECTOR;

    /** virtio_pci_cap cfg_type values. */
    public static final int CAP_COMMON_CFG = 1, CAP_NOTIFY_CFG = 2, CAP_ISR_CFG = 3, CAP_DEVICE_CFG = 4, CAP_PCI_CFG = 5;

    /** struct virtio_pci_common_cfg offsets. */
    public static final int DEVICE_FEATURE_SELECT = 0x00, DEVICE_FEATURE = 0x04, DRIVER_FEATURE_SELECT = 0x08;
    public static final int DRIVER_FEATURE = 0x0c, CONFIG_MSIX_VECTOR = 0x10, NUM_QUEUES = 0x12, DEVICE_STATUS = 0x14;
    public static final int CONFIG_GENERATION = 0x15, QUEUE_SELECT = 0x16, QUEUE_SIZE = 0x18, QUEUE_MSIX_VECTOR = 0x1a;
    public static final int QUEUE_ENABLE = 0x1c, QUEUE_NOTIFY_OFF = 0x1e, QUEUE_DESC = 0x20, QUEUE_DRIVER = 0x28;
    public static final int QUEUE_DEVICE = 0x30, COMMON_CFG_LENGTH = 0x38;

    public static final int ISR_QUEUE = 0x1, ISR_CONFIG = 0x2;

    /** Transport-level features we can carry; everything else a device offers is hidden from the guest. */
    public static final long TRANSPORT_FEATURES = VirtioFeatures.bit(VirtioFeatures.RING_INDIRECT_DESC)
            | VirtioFeatures.bit(VirtioFeatures.RING_EVENT_IDX) | VirtioFeatures.bit(VirtioFeatures.VERSION_1)
            | VirtioFeatures.bit(VirtioFeatures.IN_ORDER);

    private enum Mode { INTX, IRQFD, MASKED, DROP }

    private final class Queue {
        final int index;
        final int maxSize;
        final int kickFd = EventFds.create();
        final int callFd = EventFds.create();
        int gsi = -1;
        int size;
        int vector = NO_VECTOR;
        boolean enabled;
        boolean started;
        long desc, driver, device;
        Mode mode = Mode.INTX;
        long routedAddress;
        int routedData;
        /** Stopped by {@link #quiesce}: the avail index its device gave back, else -1. */
        int quiescedAt = -1;

        Queue(int index, int maxSize) {
            this.index = index;
            this.maxSize = maxSize;
            this.size = maxSize;
        }

        long notifyOffset() {
            return NOTIFY_OFFSET + (long) index * NOTIFY_OFF_MULTIPLIER;
        }

        void clear() {
            size = maxSize;
            vector = NO_VECTOR;
            enabled = false;
            desc = driver = device = 0;
        }
    }

    private final VirtioDevice device;
    private final InterruptRouting routing;
    private final MsixCapability msix;
    private final Queue[] queues;
    private final long offeredFeatures;
    private final int configSize;
    private final int pciCfgCap;

    private int deviceFeatureSelect, driverFeatureSelect, queueSelect;
    private long driverFeatures;
    private int status;
    private int configGeneration;
    private int configVector = NO_VECTOR;
    private int isr;

    private final int configFd = EventFds.create();
    private final int wakeFd = EventFds.create();
    private final AtomicBoolean resetRequested = new AtomicBoolean();
    private final AtomicBoolean configChangeRequested = new AtomicBoolean();
    private volatile String resetReason;
    private volatile int[] watchFds = new int[0];
    private volatile int[] watchWhat = new int[0];
    private static final int WATCH_WAKE = -2, WATCH_CONFIG = -1;
    private final Thread watcher;
    private volatile boolean closed;

    public VirtioPciTransport(VirtioDevice device, InterruptRouting routing) {
        super(VirtioIds.PCI_VENDOR, VirtioIds.pciDeviceId(device.deviceType()), classCode(device.deviceType()), 1,
                VirtioIds.PCI_VENDOR, 0x1100);
        this.device = device;
        this.routing = routing;
        int n = device.queueCount();
        if (n < 1 || n > MAX_QUEUES) throw new IllegalArgumentException("queue count " + n);
        this.queues = new Queue[n];
        for (int i = 0; i < n; i++) {
            int max = device.maxQueueSize(i);
            if (max < 1 || max > 32768 || Integer.bitCount(max) != 1) throw new IllegalArgumentException("queue size " + max);
            queues[i] = new Queue(i, max);
        }
        this.offeredFeatures = (device.deviceFeatures() & (VirtioFeatures.DEVICE_SPECIFIC_MASK | TRANSPORT_FEATURES))
                | VirtioFeatures.bit(VirtioFeatures.VERSION_1);
        this.configSize = Math.min(device.configSize(), REGION_SIZE);

        useInterruptPinA();
        int vectors = n + 1;
        long tableBytes = (long) vectors * MsixCapability.ENTRY_SIZE;
        long pbaOffset = Math.max(0x800, (tableBytes + 0x7ff) & ~0x7ffL);
        long pbaBytes = ((vectors + 63) / 64) * 8L;
        long msixBarSize = Math.max(0x1000, Long.highestOneBit(pbaOffset + pbaBytes - 1) << 1);
        defineBar(MSIX_BAR, BarKind.MEMORY32, msixBarSize, false);
        defineBar(VIRTIO_BAR, BarKind.MEMORY64, VIRTIO_BAR_SIZE, true);
        this.msix = addMsix(vectors, MSIX_BAR, 0, MSIX_BAR, pbaOffset);
        msix.setSink(routing::signalMsi);
        msix.setListener(v -> updateInterrupts());
        virtioCap(CAP_COMMON_CFG, COMMON_OFFSET, COMMON_CFG_LENGTH, 16);
        int notify = virtioCap(CAP_NOTIFY_CFG, NOTIFY_OFFSET, n * NOTIFY_OFF_MULTIPLIER, 20);
        put32(notify + 16, NOTIFY_OFF_MULTIPLIER);
        virtioCap(CAP_ISR_CFG, ISR_OFFSET, 1, 16);
        if (configSize > 0) virtioCap(CAP_DEVICE_CFG, DEVICE_OFFSET, configSize, 16);
        this.pciCfgCap = addCapability(CAP_ID_VENDOR, 20);
        put8(pciCfgCap + 2, 20);
        put8(pciCfgCap + 3, CAP_PCI_CFG);
        setWritable(pciCfgCap + 4, 1, 0xff);
        setWritable(pciCfgCap + 8, 8, -1L);

        device.attach(new DeviceEvents() {
            @Override
            public void configChanged() {
                configChangeRequested.set(true);
                Fds.eventfdSignal(configFd);
            }

            @Override
            public void needsReset(String why) {
                resetReason = why;
                resetRequested.set(true);
                Fds.eventfdSignal(configFd);
            }
        });
        synchronized (this) {
            rebuildWatchSet();
        }
        watcher = new Thread(this::watch, "virtio-" + VirtioIds.name(device.deviceType()) + "-irq");
        watcher.setDaemon(true);
        watcher.start();
    }

    private int virtioCap(int type, int offset, int length, int capLength) {
        int cap = addCapability(CAP_ID_VENDOR, capLength);
        put8(cap + 2, capLength);
        put8(cap + 3, type);
        put8(cap + 4, VIRTIO_BAR);
        put32(cap + 8, offset);
        put32(cap + 12, length);
        return cap;
    }

    /** PCI class per device type, as QEMU reports them. */
    static int classCode(int type) {
        switch (type) {
            case VirtioIds.NET: return 0x020000;
            case VirtioIds.BLOCK: return 0x010000;
            case VirtioIds.CONSOLE: return 0x078000;
            default: return 0x00ff00;
        }
    }

    public VirtioDevice device() {
        return device;
    }

    public int queueCount() {
        return queues.length;
    }

    /** The guest-physical address of queue {@code index}'s notify register, or -1 while BAR 4 does not decode. */
    public synchronized long notifyAddress(int index) {
        long base = barMappedAt(VIRTIO_BAR);
        return base < 0 ? -1 : base + queues[index].notifyOffset();
    }

    public synchronized int status() {
        return status;
    }

    public synchronized long driverFeatures() {
        return driverFeatures;
    }

    public long offeredFeatures() {
        return offeredFeatures;
    }

    /** The call eventfd of queue {@code index} (what the device writes; the transport owns it). */
    public int callFd(int index) {
        return queues[index].callFd;
    }

    /** The kick eventfd of queue {@code index} (what a guest notify signals). */
    public int kickFd(int index) {
        return queues[index].kickFd;
    }

    // ---- BAR access ----

    @Override
    protected long barRead(int index, long offset, int size) {
        if (index == MSIX_BAR) {
            if (offset >= msix.tableOffset() && offset < msix.tableOffset() + msix.tableSize()) {
                return msix.tableRead(offset - msix.tableOffset(), size);
            }
            if (offset >= msix.pbaOffset() && offset < msix.pbaOffset() + msix.pbaSize()) {
                return msix.pbaRead(offset - msix.pbaOffset(), size);
            }
            return 0;
        }
        if (index != VIRTIO_BAR || offset < 0 || offset + size > VIRTIO_BAR_SIZE) return 0;
        int region = (int) (offset & ~(REGION_SIZE - 1));
        int off = (int) (offset & (REGION_SIZE - 1));
        switch (region) {
            case COMMON_OFFSET: return commonRead(off, size);
            case ISR_OFFSET: return off == 0 ? readIsr() : 0;
            case DEVICE_OFFSET: return deviceConfigRead(off, size);
            default: return 0;
        }
    }

    @Override
    protected void barWrite(int index, long offset, int size, long value) {
        if (index == MSIX_BAR) {
            if (offset >= msix.tableOffset() && offset < msix.tableOffset() + msix.tableSize()) {
                msix.tableWrite(offset - msix.tableOffset(), size, value);
            }
            return;
        }
        if (index != VIRTIO_BAR || offset < 0 || offset + size > VIRTIO_BAR_SIZE) return;
        int region = (int) (offset & ~(REGION_SIZE - 1));
        int off = (int) (offset & (REGION_SIZE - 1));
        switch (region) {
            case COMMON_OFFSET: commonWrite(off, size, value); break;
            case DEVICE_OFFSET: deviceConfigWrite(off, size, value); break;
            case NOTIFY_OFFSET: notify(off); break;
            default: break;
        }
    }

    @Override
    protected void barMoved(int index, long oldAddress, long newAddress) {
        if (index != VIRTIO_BAR) return;
        for (Queue q : queues) {
            try {
                if (oldAddress >= 0) routing.unregisterIoeventfd(q.kickFd, oldAddress + q.notifyOffset(), NOTIFY_WIDTH);
                if (newAddress >= 0) routing.registerIoeventfd(q.kickFd, newAddress + q.notifyOffset(), NOTIFY_WIDTH);
            } catch (NativeException e) {
                log.warn("{}: ioeventfd for queue {}: {} (notifies take the slow path)", this, q.index, e.getMessage());
            }
        }
    }

    // ---- PCI_CFG window: BAR access through config space ----

    @Override
    protected int readConfigRegister(int offset, int size) {
        int data = pciCfgCap + 16;
        if (offset >= data && offset < data + 4) {
            int len = get32(pciCfgCap + 12);
            long value = 0;
            if (len == 1 || len == 2 || len == 4) value = barRead(get8(pciCfgCap + 4), get32(pciCfgCap + 8) & 0xffff_ffffL, len);
            int shift = 8 * (offset - data);
            return (int) ((value >>> shift) & ((1L << (8 * size)) - 1));
        }
        return super.readConfigRegister(offset, size);
    }

    @Override
    protected void writeConfigRegister(int offset, int size, int value) {
        int data = pciCfgCap + 16;
        if (offset == data) {
            int len = get32(pciCfgCap + 12);
            if ((len == 1 || len == 2 || len == 4) && size >= len) {
                barWrite(get8(pciCfgCap + 4), get32(pciCfgCap + 8) & 0xffff_ffffL, len,
                        value & ((1L << (8 * len)) - 1));
            }
            return;
        }
        super.writeConfigRegister(offset, size, value);
    }

    // ---- common configuration ----

    private Queue selected() {
        return queueSelect < queues.length ? queues[queueSelect] : null;
    }

    private long commonRead(int off, int size) {
        if (off + size > COMMON_CFG_LENGTH) return 0;
        ByteBuffer b = ByteBuffer.allocate(COMMON_CFG_LENGTH + 8).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(DEVICE_FEATURE_SELECT, deviceFeatureSelect);
        b.putInt(DEVICE_FEATURE, deviceFeatureSelect < 2 ? (int) (offeredFeatures >>> (32 * deviceFeatureSelect)) : 0);
        b.putInt(DRIVER_FEATURE_SELECT, driverFeatureSelect);
        b.putInt(DRIVER_FEATURE, driverFeatureSelect < 2 ? (int) (driverFeatures >>> (32 * driverFeatureSelect)) : 0);
        b.putShort(CONFIG_MSIX_VECTOR, (short) configVector);
        b.putShort(NUM_QUEUES, (short) queues.length);
        b.put(DEVICE_STATUS, (byte) status);
        b.put(CONFIG_GENERATION, (byte) configGeneration);
        b.putShort(QUEUE_SELECT, (short) queueSelect);
        Queue q = selected();
        b.putShort(QUEUE_MSIX_VECTOR, (short) NO_VECTOR);
        if (q != null) {
            b.putShort(QUEUE_SIZE, (short) q.size);
            b.putShort(QUEUE_MSIX_VECTOR, (short) q.vector);
            b.putShort(QUEUE_ENABLE, (short) (q.enabled ? 1 : 0));
            b.putShort(QUEUE_NOTIFY_OFF, (short) q.index);
            b.putLong(QUEUE_DESC, q.desc);
            b.putLong(QUEUE_DRIVER, q.driver);
            b.putLong(QUEUE_DEVICE, q.device);
        }
        switch (size) {
            case 1: return b.get(off) & 0xff;
            case 2: return b.getShort(off) & 0xffff;
            case 4: return b.getInt(off) & 0xffff_ffffL;
            case 8: return b.getLong(off);
            default: return 0;
        }
    }

    private void commonWrite(int off, int size, long value) {
        Queue q = selected();
        int v = (int) value;
        switch (off) {
            case DEVICE_FEATURE_SELECT: deviceFeatureSelect = v; return;
            case DRIVER_FEATURE_SELECT: driverFeatureSelect = v; return;
            case DRIVER_FEATURE:
                if ((status & VirtioStatus.FEATURES_OK) == 0 && driverFeatureSelect < 2) {
                    int shift = 32 * driverFeatureSelect;
                    driverFeatures = (driverFeatures & ~(0xffff_ffffL << shift)) | ((value & 0xffff_ffffL) << shift);
                }
                return;
            case CONFIG_MSIX_VECTOR:
                configVector = (v & 0xffff) < msix.vectors() ? v & 0xffff : NO_VECTOR;
                return;
            case DEVICE_STATUS: writeStatus(v & 0xff); return;
            case QUEUE_SELECT: queueSelect = v & 0xffff; return;
            case QUEUE_SIZE: if (q != null && !q.enabled) q.size = v & 0xffff; return;
            case QUEUE_MSIX_VECTOR:
                if (q != null) {
                    q.vector = (v & 0xffff) < msix.vectors() ? v & 0xffff : NO_VECTOR;
                    updateInterrupts();
                }
                return;
            case QUEUE_ENABLE:
                if (q != null && (v & 0xffff) == 1 && !q.enabled) {
                    q.enabled = true;
                    if ((status & VirtioStatus.DRIVER_OK) != 0) startQueue(q);
                }
                return;
            default:
                break;
        }
        if (q == null || q.enabled || off < QUEUE_DESC || off >= COMMON_CFG_LENGTH) return;
        int field = (off - QUEUE_DESC) / 8;
        int within = (off - QUEUE_DESC) % 8;
        long current = field == 0 ? q.desc : field == 1 ? q.driver : q.device;
        long updated;
        if (size == 8 && within == 0) updated = value;
        else if (size == 4 && within == 0) updated = (current & 0xffff_ffff_0000_0000L) | (value & 0xffff_ffffL);
        else if (size == 4 && within == 4) updated = (current & 0xffff_ffffL) | (value << 32);
        else return;
        if (field == 0) q.desc = updated;
        else if (field == 1) q.driver = updated;
        else q.device = updated;
    }

    private void writeStatus(int value) {
        if (value == 0) {
            resetDevice();
            return;
        }
        int next = value & ~VirtioStatus.DEVICE_NEEDS_RESET;
        if ((next & VirtioStatus.FEATURES_OK) != 0 && (status & VirtioStatus.FEATURES_OK) == 0) {
            if ((driverFeatures & ~offeredFeatures) != 0 || !VirtioFeatures.has(driverFeatures, VirtioFeatures.VERSION_1)) {
                log.info("{}: refusing driver features 0x{} (offered 0x{})", this, Long.toHexString(driverFeatures),
                        Long.toHexString(offeredFeatures));
                next &= ~VirtioStatus.FEATURES_OK;
            } else {
                device.setDriverFeatures(driverFeatures);
            }
        }
        boolean driverOk = (next & VirtioStatus.DRIVER_OK) != 0 && (status & VirtioStatus.DRIVER_OK) == 0;
        status = next | (status & VirtioStatus.DEVICE_NEEDS_RESET);
        if (driverOk) {
            if ((status & VirtioStatus.FEATURES_OK) == 0) {
                deviceNeedsReset("DRIVER_OK without FEATURES_OK");
                return;
            }
            for (Queue q : queues) if (q.enabled) startQueue(q);
        }
    }

    private void startQueue(Queue q) {
        startQueue(q, 0);
    }

    private void startQueue(Queue q, int nextAvail) {
        if (q.started || (status & VirtioStatus.DEVICE_NEEDS_RESET) != 0) return;
        if (q.size == 0 || Integer.bitCount(q.size) != 1 || q.size > q.maxSize) {
            deviceNeedsReset("queue " + q.index + " size " + q.size + " invalid (max " + q.maxSize + ")");
            return;
        }
        try {
            device.startQueue(new QueueSetup(q.index, q.size, q.desc, q.driver, q.device, q.kickFd, q.callFd,
                    driverFeatures, nextAvail));
            q.started = true;
        } catch (RuntimeException e) {
            log.warn("{}: starting queue {} failed", this, q.index, e);
            deviceNeedsReset("queue " + q.index + ": " + e.getMessage());
        }
    }

    /** Status 0: stop every queue, reset the device, forget the driver's setup. MSI-X stays (it is PCI state). */
    private void resetDevice() {
        stopStartedQueues();
        try {
            device.reset();
        } catch (RuntimeException e) {
            log.warn("{}: device reset failed", this, e);
        }
        status = 0;
        driverFeatures = 0;
        deviceFeatureSelect = driverFeatureSelect = queueSelect = 0;
        configVector = NO_VECTOR;
        resetRequested.set(false);
        for (Queue q : queues) {
            q.clear();
            EventFds.drain(q.kickFd);
            EventFds.drain(q.callFd);
        }
        isr = 0;
        setIntx(false);
        updateInterrupts();
    }

    private void stopStartedQueues() {
        for (Queue q : queues) {
            if (!q.started) continue;
            try {
                device.stopQueue(q.index);
            } catch (RuntimeException e) {
                log.warn("{}: stopping queue {} failed", this, q.index, e);
            }
            q.started = false;
        }
    }

    private void deviceNeedsReset(String why) {
        if ((status & VirtioStatus.DEVICE_NEEDS_RESET) != 0) return;
        log.warn("{}: device needs reset: {}", this, why);
        status |= VirtioStatus.DEVICE_NEEDS_RESET;
        configInterrupt();
    }

    // ---- ISR, device config, notify ----

    private int readIsr() {
        int v = isr;
        isr = 0;
        setIntx(false);
        return v;
    }

    private long deviceConfigRead(int off, int size) {
        if (off + size > configSize) return 0;
        byte[] b = new byte[size];
        device.readConfig(off, b);
        long v = 0;
        for (int i = 0; i < size; i++) v |= (b[i] & 0xffL) << (8 * i);
        return v;
    }

    private void deviceConfigWrite(int off, int size, long value) {
        if (off + size > configSize) return;
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) b[i] = (byte) (value >>> (8 * i));
        device.writeConfig(off, b);
    }

    private void notify(int off) {
        int index = off / NOTIFY_OFF_MULTIPLIER;
        if (off % NOTIFY_OFF_MULTIPLIER == 0 && index < queues.length) Fds.eventfdSignal(queues[index].kickFd);
    }

    // ---- interrupts ----

    /** Recomputes how each queue's call eventfd reaches the guest, after any MSI-X or vector change. */
    private void updateInterrupts() {
        boolean msixOn = msix.enabled();
        boolean watchChanged = false;
        for (Queue q : queues) {
            Mode want;
            if (!msixOn) want = Mode.INTX;
            else if (q.vector >= msix.vectors()) want = Mode.DROP;
            else if (msix.deliverable(q.vector)) want = Mode.IRQFD;
            else want = Mode.MASKED;
            try {
                if (want == Mode.IRQFD) {
                    long address = msix.address(q.vector);
                    int data = msix.data(q.vector);
                    if (q.gsi < 0) q.gsi = routing.allocateGsi();
                    if (q.mode != Mode.IRQFD || address != q.routedAddress || data != q.routedData) {
                        routing.setMsiRoute(q.gsi, address, data);
                        q.routedAddress = address;
                        q.routedData = data;
                    }
                    if (q.mode != Mode.IRQFD) {
                        // what arrived while we watched goes out now; later writes go through KVM
                        if (EventFds.drain(q.callFd) > 0) msix.fire(q.vector);
                        routing.bindIrqfd(q.callFd, q.gsi);
                        watchChanged = true;
                    }
                } else if (q.mode == Mode.IRQFD) {
                    routing.unbindIrqfd(q.callFd, q.gsi);
                    watchChanged = true;
                }
                q.mode = want;
            } catch (RuntimeException e) {
                log.warn("{}: routing queue {} interrupts failed", this, q.index, e);
                if (q.mode == Mode.IRQFD) {
                    try {
                        routing.unbindIrqfd(q.callFd, q.gsi);
                    } catch (RuntimeException ignored) {
                        // already unbound
                    }
                }
                q.mode = Mode.MASKED;
                watchChanged = true;
            }
        }
        if (msixOn) setIntx(false);
        if (watchChanged) rebuildWatchSet();
    }

    private void rebuildWatchSet() {
        List<int[]> entries = new ArrayList<>();
        entries.add(new int[] {wakeFd, WATCH_WAKE});
        entries.add(new int[] {configFd, WATCH_CONFIG});
        for (Queue q : queues) if (q.mode != Mode.IRQFD) entries.add(new int[] {q.callFd, q.index});
        int[] fds = new int[entries.size()], what = new int[entries.size()];
        for (int i = 0; i < fds.length; i++) {
            fds[i] = entries.get(i)[0];
            what[i] = entries.get(i)[1];
        }
        watchWhat = what;
        watchFds = fds;
        Fds.eventfdSignal(wakeFd);
    }

    private void watch() {
        vmd.sys.PollSet set = new vmd.sys.PollSet();
        while (!closed) {
            int[] fds = watchFds, what = watchWhat;
            set.set(fds);
            int n;
            try {
                n = set.poll(-1);
            } catch (NativeException e) {
                log.error("{}: interrupt watcher: {}", this, e.getMessage());
                return;
            }
            if (closed) return;
            if (n <= 0) continue;
            synchronized (this) {
                for (int i = 0; i < fds.length; i++) {
                    if (!set.ready(i)) continue;
                    if (what[i] == WATCH_WAKE) EventFds.drain(wakeFd);
                    else if (what[i] == WATCH_CONFIG) configEvent();
                    else callEvent(queues[what[i]]);
                }
            }
        }
    }

    private void callEvent(Queue q) {
        if (EventFds.drain(q.callFd) == 0) return;
        switch (q.mode) {
            case INTX:
                isr |= ISR_QUEUE;
                setIntx(true);
                break;
            case MASKED:
                msix.setPending(q.vector);
                break;
            case IRQFD:
                msix.fire(q.vector);
                break;
            default:
                break;
        }
    }

    private void configEvent() {
        EventFds.drain(configFd);
        boolean changed = configChangeRequested.getAndSet(false);
        boolean reset = resetRequested.getAndSet(false);
        if (changed) configGeneration++;
        if (reset) {
            if (status != 0) deviceNeedsReset(resetReason);
        } else if (changed && status != 0) {
            configInterrupt();
        }
    }

    private void configInterrupt() {
        if (msix.enabled()) {
            if (configVector < msix.vectors()) msix.fire(configVector);
        } else {
            isr |= ISR_CONFIG;
            setIntx(true);
        }
    }

    // ---- snapshot ----

    /**
     * Stops every started queue and keeps the avail index its device gives back: once
     * this returns the device neither reads the rings nor writes guest memory (a vhost-user
     * back-end answers GET_VRING_BASE after its requests in flight complete).
     */
    public synchronized void quiesce() {
        for (Queue q : queues) {
            if (!q.started) continue;
            try {
                q.quiescedAt = device.stopQueue(q.index) & 0xffff;
            } catch (RuntimeException e) {
                log.warn("{}: stopping queue {} failed", this, q.index, e);
                q.quiescedAt = 0;
            }
            q.started = false;
        }
    }

    /** Undoes {@link #quiesce} (a snapshot failed, or was only a checkpoint): the queues go on where they stopped. */
    public synchronized void resume() {
        for (Queue q : queues) {
            if (q.quiescedAt < 0) continue;
            int at = q.quiescedAt;
            q.quiescedAt = -1;
            startQueue(q, at);
        }
    }

    /** Call between {@link #quiesce} and {@link #resume}: a started queue is saved as started, with its avail index. */
    @Override
    public synchronized void saveState(vmd.vm.snapshot.StateWriter out) {
        savePciState(out);
        out.u32(deviceFeatureSelect).u32(driverFeatureSelect).u32(queueSelect).u64(driverFeatures).u32(status)
                .u32(configGeneration).u32(configVector).u32(isr).u32(queues.length);
        for (Queue q : queues) {
            out.u32(q.size).u32(q.vector).bool(q.enabled).bool(q.quiescedAt >= 0).u32(Math.max(q.quiescedAt, 0))
                    .u64(q.desc).u64(q.driver).u64(q.device);
        }
    }

    /**
     * On a new transport of the same device, with guest memory restored: PCI state, the
     * common configuration, then the driver's features and every queue that was running,
     * from the avail index it had; interrupts are routed as the MSI-X table says.
     */
    @Override
    public synchronized void restoreState(vmd.vm.snapshot.StateReader in) {
        restorePciState(in);
        deviceFeatureSelect = in.u32();
        driverFeatureSelect = in.u32();
        queueSelect = in.u32(0, 0xffff, "queue select");
        driverFeatures = in.u64();
        status = in.u32() & 0xff;
        configGeneration = in.u32() & 0xff;
        configVector = in.u32() & 0xffff;
        isr = in.u32() & (ISR_QUEUE | ISR_CONFIG);
        int n = in.u32();
        if (n != queues.length) {
            throw new vmd.vm.snapshot.SnapshotException(this + ": " + n + " queues in the snapshot, " + queues.length + " here");
        }
        if ((driverFeatures & ~offeredFeatures) != 0) {
            throw new vmd.vm.snapshot.SnapshotException(String.format("%s: the guest uses features 0x%x this device does not offer",
                    this, driverFeatures & ~offeredFeatures));
        }
        boolean[] running = new boolean[n];
        int[] base = new int[n];
        for (int i = 0; i < n; i++) {
            Queue q = queues[i];
            q.size = in.u32(0, q.maxSize, "queue " + i + " size");
            q.vector = in.u32() & 0xffff;
            q.enabled = in.bool();
            running[i] = in.bool();
            base[i] = in.u32() & 0xffff;
            q.desc = in.u64();
            q.driver = in.u64();
            q.device = in.u64();
        }
        if ((status & VirtioStatus.FEATURES_OK) != 0) device.setDriverFeatures(driverFeatures);
        for (int i = 0; i < n; i++) if (running[i]) startQueue(queues[i], base[i]);
        updateInterrupts();
        if (isr != 0 && !msix.enabled()) setIntx(true);
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
            Fds.eventfdSignal(wakeFd);
        }
        try {
            watcher.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            stopStartedQueues();
            device.close();
            long bar = barMappedAt(VIRTIO_BAR);
            for (Queue q : queues) {
                try {
                    if (bar >= 0) routing.unregisterIoeventfd(q.kickFd, bar + q.notifyOffset(), NOTIFY_WIDTH);
                    if (q.mode == Mode.IRQFD) routing.unbindIrqfd(q.callFd, q.gsi);
                    if (q.gsi >= 0) routing.releaseGsi(q.gsi);
                } catch (RuntimeException e) {
                    log.debug("{}: cleanup of queue {}: {}", this, q.index, e.getMessage());
                }
                Fds.closeQuietly(q.kickFd);
                Fds.closeQuietly(q.callFd);
            }
            Fds.closeQuietly(configFd);
            Fds.closeQuietly(wakeFd);
        }
    }

    @Override
    public String toString() {
        return "virtio-" + VirtioIds.name(device.deviceType()) + "@" + Math.max(slot(), 0);
    }
}
