package vmd.vm.virtio;

import static org.junit.jupiter.api.Assertions.*;
import static vmd.vm.virtio.VirtioPciTransport.*;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import vmd.memory.GuestMemory;
import vmd.memory.MemoryRegion;
import vmd.sys.Fds;
import vmd.virtio.VirtQueue;
import vmd.virtio.VirtioFeatures;
import vmd.virtio.VirtioIds;
import vmd.virtio.VirtioStatus;
import vmd.vm.devices.MmioBus;
import vmd.vm.devices.PortBus;
import vmd.vm.pci.MsixCapability;
import vmd.vm.pci.PciBus;

/** The transport driven through config space and BAR MMIO, the way Linux's virtio_pci_modern does. */
class VirtioPciTransportTest {
    static final long BAR4 = 0xfe00_0000L, BAR1 = 0xfe01_0000L;
    static final long DESC = 0x1000, AVAIL = 0x2000, USED = 0x3000, BUF = 0x10000;

    GuestMemory mem;
    MmioBus mmio;
    PortBus ports;
    PciBus bus;
    FakeRouting routing;
    VirtioPciTransport t;
    int slot;
    final List<Boolean> intxLevels = new ArrayList<>();

    @BeforeEach
    void setUp() {
        mem = GuestMemory.create("t", List.of(new MemoryRegion(0, 1 << 20, 0)));
        mmio = new MmioBus();
        ports = new PortBus();
        bus = new PciBus(mmio, ports, gsi -> level -> {
            if (gsi == PciBus.intxGsi(1)) synchronized (intxLevels) {
                intxLevels.add(level);
            }
        });
        routing = new FakeRouting();
        t = new VirtioPciTransport(new VirtioRng(mem, new SecureRandom()), routing);
        slot = bus.add(t);
    }

    @AfterEach
    void tearDown() {
        t.close();
    }

    int cfgRead(int offset, int size) {
        ports.write(0xcf8, 4, 0x8000_0000 | slot << 11 | (offset & 0xfc));
        return ports.read(0xcfc + (offset & 3), size);
    }

    void cfgWrite(int offset, int size, int value) {
        ports.write(0xcf8, 4, 0x8000_0000 | slot << 11 | (offset & 0xfc));
        ports.write(0xcfc + (offset & 3), size, value);
    }

    long common(int off, int size) {
        return mmio.read(BAR4 + off, size);
    }

    void common(int off, int size, long v) {
        mmio.write(BAR4 + off, size, v);
    }

    void mapBars() {
        cfgWrite(0x20, 4, (int) BAR4);
        cfgWrite(0x24, 4, 0);
        cfgWrite(0x14, 4, (int) BAR1);
        cfgWrite(0x04, 2, 0x6); // memory + bus master
    }

    static void waitUntil(BooleanSupplier condition, String what) {
        long deadline = System.currentTimeMillis() + 5000;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) fail("timed out waiting for " + what);
            Thread.onSpinWait();
        }
    }

    /** Linux virtio_pci_modern probe + virtio_dev_probe up to FEATURES_OK; returns the accepted features. */
    long negotiate(long want) {
        common(DEVICE_STATUS, 1, 0);
        assertEquals(0, common(DEVICE_STATUS, 1));
        common(DEVICE_STATUS, 1, VirtioStatus.ACKNOWLEDGE);
        common(DEVICE_STATUS, 1, VirtioStatus.ACKNOWLEDGE | VirtioStatus.DRIVER);
        common(DEVICE_FEATURE_SELECT, 4, 0);
        long features = common(DEVICE_FEATURE, 4);
        common(DEVICE_FEATURE_SELECT, 4, 1);
        features |= common(DEVICE_FEATURE, 4) << 32;
        long accepted = features & want;
        common(DRIVER_FEATURE_SELECT, 4, 0);
        common(DRIVER_FEATURE, 4, accepted & 0xffff_ffffL);
        common(DRIVER_FEATURE_SELECT, 4, 1);
        common(DRIVER_FEATURE, 4, accepted >>> 32);
        common(DEVICE_STATUS, 1, VirtioStatus.ACKNOWLEDGE | VirtioStatus.DRIVER | VirtioStatus.FEATURES_OK);
        return accepted;
    }

    void setUpQueue(int size, int vector) {
        common(QUEUE_SELECT, 2, 0);
        assertEquals(VirtioRng.QUEUE_SIZE, common(QUEUE_SIZE, 2));
        assertEquals(0, common(QUEUE_ENABLE, 2));
        common(QUEUE_SIZE, 2, size);
        common(QUEUE_DESC, 4, DESC);
        common(QUEUE_DESC + 4, 4, 0);
        common(QUEUE_DRIVER, 4, AVAIL);
        common(QUEUE_DRIVER + 4, 4, 0);
        common(QUEUE_DEVICE, 8, USED);
        common(QUEUE_MSIX_VECTOR, 2, vector);
        assertEquals(DESC, common(QUEUE_DESC, 8));
        assertEquals(0, common(QUEUE_NOTIFY_OFF, 2));
        common(QUEUE_ENABLE, 2, 1);
    }

    void driverOk() {
        common(DEVICE_STATUS, 1, VirtioStatus.ACKNOWLEDGE | VirtioStatus.DRIVER | VirtioStatus.FEATURES_OK
                | VirtioStatus.DRIVER_OK);
    }

    void request(int idx, long buf, int len) {
        int slotInRing = (idx - 1) & 7;
        mem.putLong(DESC + 16L * slotInRing, buf);
        mem.putInt(DESC + 16L * slotInRing + 8, len);
        mem.putShort(DESC + 16L * slotInRing + 12, (short) VirtQueue.DESC_F_WRITE);
        mem.putShort(AVAIL + 4 + 2L * slotInRing, (short) slotInRing);
        mem.putShort(AVAIL + 2, (short) idx);
        mmio.write(BAR4 + NOTIFY_OFFSET, 2, 0); // the notify write (the ioeventfd's job under KVM)
    }

    @Test
    void pciIdentityAndCapabilities() {
        assertEquals(0x1af4, cfgRead(0, 2));
        assertEquals(0x1040 + VirtioIds.RNG, cfgRead(2, 2));
        assertEquals(1, cfgRead(8, 1), "revision 1: modern");
        assertEquals(0x1af4, cfgRead(0x2c, 2));
        assertTrue(cfgRead(0x2e, 2) >= 0x40);
        assertEquals(1, cfgRead(0x3d, 1));
        assertEquals(PciBus.intxGsi(1), cfgRead(0x3c, 1));
        Map<Integer, Integer> caps = new HashMap<>();
        int msixCap = 0;
        for (int p = cfgRead(0x34, 1), n = 0; p != 0 && n < 48; p = cfgRead(p + 1, 1), n++) {
            int id = cfgRead(p, 1);
            if (id == 0x11) msixCap = p;
            if (id == 0x09) {
                int type = cfgRead(p + 3, 1);
                caps.put(type, p);
                if (type != CAP_PCI_CFG) assertEquals(VIRTIO_BAR, cfgRead(p + 4, 1));
            }
        }
        assertEquals(COMMON_OFFSET, cfgRead(caps.get(CAP_COMMON_CFG) + 8, 4));
        assertTrue(cfgRead(caps.get(CAP_COMMON_CFG) + 12, 4) >= 0x38);
        assertEquals(ISR_OFFSET, cfgRead(caps.get(CAP_ISR_CFG) + 8, 4));
        assertEquals(NOTIFY_OFFSET, cfgRead(caps.get(CAP_NOTIFY_CFG) + 8, 4));
        assertEquals(4, cfgRead(caps.get(CAP_NOTIFY_CFG) + 16, 4));
        assertTrue(caps.containsKey(CAP_PCI_CFG));
        assertFalse(caps.containsKey(CAP_DEVICE_CFG), "virtio-rng has no device configuration");
        assertNotEquals(0, msixCap);
        assertEquals(1, cfgRead(msixCap + 2, 2) & 0x7ff, "2 vectors: config + one queue");
        // BAR 4 is 64-bit prefetchable, 16 KiB
        cfgWrite(0x20, 4, -1);
        assertEquals(0xffff_c00c, cfgRead(0x20, 4));
    }

    @Test
    void ioeventfdsFollowBar4() {
        assertTrue(routing.ioeventfds.isEmpty());
        mapBars();
        int kick = t.kickFd(0);
        assertEquals(java.util.Set.of(kick + "@fe003000/2"), routing.ioeventfds);
        assertEquals(BAR4 + NOTIFY_OFFSET, t.notifyAddress(0));
        cfgWrite(0x20, 4, 0xfd00_0000);
        assertEquals(java.util.Set.of(kick + "@fd003000/2"), routing.ioeventfds);
        cfgWrite(0x04, 2, 0);
        assertTrue(routing.ioeventfds.isEmpty());
    }

    @Test
    void featureNegotiationAndFeaturesOk() {
        mapBars();
        long accepted = negotiate(~0L);
        assertTrue(VirtioFeatures.has(accepted, VirtioFeatures.VERSION_1));
        assertTrue(VirtioFeatures.has(accepted, VirtioFeatures.RING_EVENT_IDX));
        assertFalse(VirtioFeatures.has(accepted, VirtioFeatures.ACCESS_PLATFORM));
        assertNotEquals(0, common(DEVICE_STATUS, 1) & VirtioStatus.FEATURES_OK);
        assertEquals(accepted, t.driverFeatures());
        // features are frozen after FEATURES_OK
        common(DRIVER_FEATURE_SELECT, 4, 0);
        common(DRIVER_FEATURE, 4, 0);
        assertEquals(accepted, t.driverFeatures());

        // a legacy driver (no VERSION_1) is refused
        negotiate(VirtioFeatures.bit(VirtioFeatures.RING_EVENT_IDX));
        assertEquals(0, common(DEVICE_STATUS, 1) & VirtioStatus.FEATURES_OK);
        // a feature that was not offered is refused
        common(DEVICE_STATUS, 1, 0);
        common(DEVICE_STATUS, 1, 3);
        common(DRIVER_FEATURE_SELECT, 4, 1);
        common(DRIVER_FEATURE, 4, 1 | 1 << (VirtioFeatures.RING_PACKED - 32));
        common(DEVICE_STATUS, 1, 3 | VirtioStatus.FEATURES_OK);
        assertEquals(0, common(DEVICE_STATUS, 1) & VirtioStatus.FEATURES_OK);
        assertEquals(1, common(NUM_QUEUES, 2));
    }

    @Test
    void rngEndToEndWithIntx() {
        mapBars();
        negotiate(VirtioFeatures.bit(VirtioFeatures.VERSION_1));
        setUpQueue(8, NO_VECTOR);
        driverOk();
        request(1, BUF, 64);
        waitUntil(() -> mem.getShort(USED + 2) == 1, "used element");
        assertEquals(64, mem.getInt(USED + 8));
        waitUntil(() -> {
            synchronized (intxLevels) {
                return intxLevels.contains(true);
            }
        }, "INTx");
        assertEquals(ISR_QUEUE, mmio.read(BAR4 + ISR_OFFSET, 1));
        synchronized (intxLevels) {
            assertEquals(List.of(true, false), intxLevels);
        }
        assertEquals(0, mmio.read(BAR4 + ISR_OFFSET, 1), "ISR clears on read");
        assertFalse(java.util.Arrays.equals(new byte[64], mem.read(BUF, 64)));

        // reset drops the queue: a later notify is not served
        common(DEVICE_STATUS, 1, 0);
        assertEquals(0, common(DEVICE_STATUS, 1));
        common(QUEUE_SELECT, 2, 0);
        assertEquals(0, common(QUEUE_ENABLE, 2));
        assertEquals(0, common(QUEUE_DESC, 8));
        request(2, BUF, 64);
        assertEquals(1, mem.getShort(USED + 2));
    }

    @Test
    void msixRoutesTheCallEventfdThroughAnIrqfd() {
        mapBars();
        int cap = t.msix().capabilityOffset();
        cfgWrite(cap + 2, 2, MsixCapability.CONTROL_ENABLE | MsixCapability.CONTROL_FUNCTION_MASK);
        // vector 0: config, vector 1: queue 0 (as Linux's vp_find_vqs_msix)
        mmio.write(BAR1, 4, 0xfee0_0000L);
        mmio.write(BAR1 + 8, 4, 0x41);
        mmio.write(BAR1 + 12, 4, 0);
        mmio.write(BAR1 + 16, 4, 0xfee0_1000L);
        mmio.write(BAR1 + 24, 4, 0x42);
        mmio.write(BAR1 + 28, 4, 0);
        cfgWrite(cap + 2, 2, MsixCapability.CONTROL_ENABLE);
        negotiate(VirtioFeatures.bit(VirtioFeatures.VERSION_1));
        common(CONFIG_MSIX_VECTOR, 2, 0);
        assertEquals(0, common(CONFIG_MSIX_VECTOR, 2));
        common(CONFIG_MSIX_VECTOR, 2, 7);
        assertEquals(NO_VECTOR, common(CONFIG_MSIX_VECTOR, 2), "out-of-range vector reads back NO_VECTOR");
        common(CONFIG_MSIX_VECTOR, 2, 0);
        setUpQueue(8, 1);
        assertEquals(1, common(QUEUE_MSIX_VECTOR, 2));
        int call = t.callFd(0);
        Integer gsi = routing.irqfds.get(call);
        assertNotNull(gsi, "call eventfd bound as irqfd");
        assertArrayEquals(new long[] {0xfee0_1000L, 0x42}, routing.routes.get(gsi));
        driverOk();

        // the guest reprograms the vector: the route follows
        mmio.write(BAR1 + 24, 4, 0x43);
        assertArrayEquals(new long[] {0xfee0_1000L, 0x43}, routing.routes.get(gsi));

        // masked: the transport watches the eventfd and sets the pending bit
        mmio.write(BAR1 + 28, 4, 1);
        assertFalse(routing.irqfds.containsKey(call));
        Fds.eventfdSignal(call);
        waitUntil(() -> (mmio.read(BAR1 + 0x800, 4) & 2) != 0, "pending bit");
        mmio.write(BAR1 + 28, 4, 0); // unmask: pending delivered, irqfd back
        assertTrue(routing.msis().contains("fee01000/43"), routing.msis().toString());
        assertEquals(0, mmio.read(BAR1 + 0x800, 4));
        assertEquals(gsi, routing.irqfds.get(call));

        // MSI-X off: back to INTx
        cfgWrite(cap + 2, 2, 0);
        assertFalse(routing.irqfds.containsKey(call));
        Fds.eventfdSignal(call);
        waitUntil(() -> {
            synchronized (intxLevels) {
                return intxLevels.contains(true);
            }
        }, "INTx");
        assertEquals(ISR_QUEUE, mmio.read(BAR4 + ISR_OFFSET, 1));
    }

    @Test
    void hostileRingSetsNeedsResetAndInterrupts() {
        mapBars();
        negotiate(VirtioFeatures.bit(VirtioFeatures.VERSION_1));
        setUpQueue(8, NO_VECTOR);
        driverOk();
        request(1, (1 << 20) - 4, 64); // outside guest RAM
        waitUntil(() -> (common(DEVICE_STATUS, 1) & VirtioStatus.DEVICE_NEEDS_RESET) != 0, "DEVICE_NEEDS_RESET");
        waitUntil(() -> {
            synchronized (intxLevels) {
                return intxLevels.contains(true);
            }
        }, "config interrupt");
        assertEquals(ISR_CONFIG, mmio.read(BAR4 + ISR_OFFSET, 1));
        assertEquals(0, mem.getShort(USED + 2));
        // the driver resets and starts over
        common(DEVICE_STATUS, 1, 0);
        assertEquals(0, common(DEVICE_STATUS, 1));
        negotiate(VirtioFeatures.bit(VirtioFeatures.VERSION_1));
        mem.putShort(AVAIL + 2, (short) 0);
        setUpQueue(8, NO_VECTOR);
        driverOk();
        request(1, BUF, 16);
        waitUntil(() -> mem.getShort(USED + 2) == 1, "used element after reset");
    }

    @Test
    void badQueueSizeAtDriverOkNeedsReset() {
        mapBars();
        negotiate(VirtioFeatures.bit(VirtioFeatures.VERSION_1));
        setUpQueue(6, NO_VECTOR);
        driverOk();
        assertNotEquals(0, common(DEVICE_STATUS, 1) & VirtioStatus.DEVICE_NEEDS_RESET);
    }

    @Test
    void pciCfgWindowReachesBar4() {
        mapBars();
        int cfg = 0;
        for (int p = cfgRead(0x34, 1); p != 0; p = cfgRead(p + 1, 1)) {
            if (cfgRead(p, 1) == 0x09 && cfgRead(p + 3, 1) == CAP_PCI_CFG) cfg = p;
        }
        assertNotEquals(0, cfg);
        cfgWrite(cfg + 4, 1, VIRTIO_BAR);
        cfgWrite(cfg + 8, 4, NUM_QUEUES);
        cfgWrite(cfg + 12, 4, 2);
        assertEquals(1, cfgRead(cfg + 16, 2));
        cfgWrite(cfg + 8, 4, DEVICE_STATUS);
        cfgWrite(cfg + 12, 4, 1);
        cfgWrite(cfg + 16, 1, VirtioStatus.ACKNOWLEDGE);
        assertEquals(VirtioStatus.ACKNOWLEDGE, t.status());
    }
}
