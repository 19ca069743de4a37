package vmd.vm.vhostuser;

import static vmd.sys.Native.U16;
import static vmd.sys.Native.U32;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.lang.foreign.MemorySegment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.memory.GuestMemory;
import vmd.memory.GuestMemoryException;
import vmd.memory.MappedRegion;
import vmd.sys.Fds;
import vmd.sys.Native;
import vmd.sys.NativeException;
import vmd.vhostuser.ConfigSpace;
import vmd.vhostuser.MemRegion;
import vmd.vhostuser.MemTable;
import vmd.vhostuser.ProtocolFeatures;
import vmd.vhostuser.VhostUserClosedException;
import vmd.vhostuser.VhostUserConnection;
import vmd.vhostuser.VhostUserException;
import vmd.vhostuser.VhostUserMessage;
import vmd.vhostuser.VhostUserProtocolException;
import vmd.vhostuser.VhostUserRequest;
import vmd.vhostuser.VringAddr;
import vmd.vhostuser.VringState;
import vmd.virtio.VirtQueue;
import vmd.vm.virtio.DeviceEvents;
import vmd.vm.virtio.QueueSetup;
import vmd.vm.virtio.VirtioDevice;

/**
 * A virtio device served by a vhost-user back-end (a vmd device process, or any other
 * back-end such as qemu-storage-daemon): the vm process's half of DESIGN.md section 3.
 * Every {@link VirtioDevice} call becomes vhost-user requests; the data path never comes
 * through here.
 *
 * <p><b>Probe</b> (constructor): SET_OWNER, GET_FEATURES, GET_/SET_PROTOCOL_FEATURES (we
 * take MQ, REPLY_ACK, CONFIG, RESET_DEVICE), GET_QUEUE_NUM, GET_CONFIG (the config space
 * comes from the back-end and is cached), SET_MEM_TABLE (our memfd once per region,
 * {@code userspace_addr} = our mapping). <b>Queues:</b> {@code startQueue} sends
 * SET_VRING_NUM, _BASE, _ADDR (our user addresses), _KICK (the transport's ioeventfd),
 * _CALL (its irqfd or INTx eventfd), _ERR (our own eventfd, watched) and _ENABLE;
 * {@code stopQueue} is GET_VRING_BASE; {@code setDriverFeatures} SET_FEATURES (plus
 * VHOST_USER_F_PROTOCOL_FEATURES); {@code reset} RESET_DEVICE if negotiated. With
 * REPLY_ACK every request without its own reply waits for an ack, and a refusal is a
 * {@link VhostUserException} (the transport turns it into DEVICE_NEEDS_RESET).
 *
 * <p><b>A lost back-end</b> (EOF, EPIPE, a protocol violation, no reply within the
 * timeout, or POLLHUP seen by the watcher thread) is reported once per connection to the
 * {@link LossHandler} - by default {@code DeviceEvents.needsReset("vhost-user backend
 * went away")} - and never as an exception out of a method the transport does not guard.
 * Afterwards calls do not touch the socket: {@code stopQueue} answers the used index from
 * guest memory.
 *
 * <p><b>Reconnect.</b> The device keeps what it needs to replay the whole setup:
 * the driver's features, the memory table (from GuestMemory), and each started ring's
 * QueueSetup. {@link #reconnect(int)} probes a fresh connection and replays it; each ring
 * resumes at the used index found in guest memory (the back-end's avail index died with
 * it; as QEMU does without inflight tracking, chains in flight are processed again) and
 * is kicked once. Concurrent calls are serialised on this object.
 */
public final class VhostUserFrontendDevice implements VirtioDevice {
    private static final Logger log = LoggerFactory.getLogger(VhostUserFrontendDevice.class);

    /** Protocol features this front-end uses when the back-end offers them. */
    public static final long PROTOCOL_FEATURES = ProtocolFeatures.bit(ProtocolFeatures.MQ)
            | ProtocolFeatures.bit(ProtocolFeatures.REPLY_ACK) | ProtocolFeatures.bit(ProtocolFeatures.CONFIG)
            | ProtocolFeatures.bit(ProtocolFeatures.RESET_DEVICE) | ProtocolFeatures.bit(ProtocolFeatures.LOG_SHMFD);
    /** VHOST_F_LOG_ALL, acked while the VM migrates. */
    private static final long F_LOG_ALL = 1L << 26;
    private static final long F_PROTOCOL = ProtocolFeatures.bit(ProtocolFeatures.F_PROTOCOL_FEATURES);
    /** Queue indexes travel in 8 bits in SET_VRING_KICK/CALL/ERR. */
    public static final int MAX_QUEUES = 256;
    private static final short POLLIN = 0x1, POLLERR = 0x8, POLLHUP = 0x10, POLLNVAL = 0x20, POLLRDHUP = 0x2000;

    /**
     * What the vhost-user protocol does not tell: the virtio device type, the ring size
     * limit and the config space size (front-ends know them per device type, as QEMU does).
     *
     * @param queueCount   queues to expose; 0 = as many as the back-end's GET_QUEUE_NUM (needs MQ)
     * @param replyTimeoutMillis how long to wait for a reply before declaring the back-end lost
     */
    public record Options(String name, int deviceType, int queueCount, int maxQueueSize, int configSize,
                          int replyTimeoutMillis) {
        public Options {
            if (queueCount < 0 || queueCount > MAX_QUEUES) throw new IllegalArgumentException("queue count " + queueCount);
            if (maxQueueSize < 1 || maxQueueSize > VirtQueue.MAX_SIZE || Integer.bitCount(maxQueueSize) != 1) {
                throw new IllegalArgumentException("max queue size " + maxQueueSize);
            }
            if (configSize < 0 || configSize > ConfigSpace.MAX_SIZE) throw new IllegalArgumentException("config size " + configSize);
            if (replyTimeoutMillis <= 0) throw new IllegalArgumentException("reply timeout " + replyTimeoutMillis);
        }

        public Options(String name, int deviceType, int queueCount, int maxQueueSize, int configSize) {
            this(name, deviceType, queueCount, maxQueueSize, configSize, 10_000);
        }
    }

    /** Told once per connection when the back-end is lost. Must not block. */
    @FunctionalInterface
    public interface LossHandler {
        void backendLost(VhostUserFrontendDevice device, String why);
    }

    private final GuestMemory memory;
    private final Options options;
    private final int queueCount;
    /** Device features offered to the transport (fixed: the transport caches them). */
    private final long offered;
    /** The current back-end's GET_FEATURES. */
    private volatile long backendFeatures;
    private final int[] errFds;
    private final QueueSetup[] started;
    private byte[] config;

    private volatile VhostUserConnection conn;
    private long protocol;
    private Long driverFeatures;
    private volatile boolean connected;
    private volatile int generation;
    private volatile DeviceEvents events;
    private volatile LossHandler lossHandler;
    private volatile boolean closed;
    private final int wakeFd = Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK);
    private final Object lossLock = new Object();
    private int lostGeneration = -1;
    private final Thread watcher;

    /**
     * Connects to the back-end on {@code socketFd} (a connected stream socket; this device
     * owns it from now on) and probes it. Throws {@link VhostUserException} - having
     * closed the socket - if the back-end refuses, breaks the protocol or lacks what
     * {@code options} ask for.
     */
    public VhostUserFrontendDevice(GuestMemory memory, int socketFd, Options options) {
        this(memory, socketFd, options, true);
    }

    /**
     * With {@code watch} false no watcher thread runs, so hang-ups and ring errors go
     * unnoticed: for fuzzing, where a thread racing the calls would make runs irreproducible.
     */
    VhostUserFrontendDevice(GuestMemory memory, int socketFd, Options options, boolean watch) {
        this.memory = memory;
        this.options = options;
        this.conn = new VhostUserConnection(socketFd);
        Probe p;
        try {
            p = probe(conn, null, null);
        } catch (RuntimeException e) {
            conn.close();
            Fds.closeQuietly(wakeFd);
            throw e instanceof VhostUserException v ? v : new VhostUserException(options.name + ": " + e.getMessage(), e);
        }
        this.queueCount = p.queueCount;
        this.backendFeatures = p.features;
        this.offered = p.features & ~(F_PROTOCOL | F_LOG_ALL); // LOG_ALL is for migration, not the guest
        this.protocol = p.protocol;
        this.config = p.config;
        this.errFds = new int[queueCount];
        for (int i = 0; i < queueCount; i++) errFds[i] = Fds.eventfd(Fds.EFD_CLOEXEC | Fds.EFD_NONBLOCK);
        this.started = new QueueSetup[queueCount];
        this.connected = true;
        this.watcher = watch ? new Thread(this::watch, "vhost-user-" + options.name + "-watch") : null;
        if (watcher != null) {
            watcher.setDaemon(true);
            watcher.start();
        }
        log.info("{}: back-end features 0x{}, protocol features 0x{}, {} queue(s)", options.name,
                Long.toHexString(backendFeatures), Long.toHexString(protocol), queueCount);
    }

    private record Probe(long features, long protocol, int queueCount, byte[] config) {}

    /** SET_OWNER ... SET_MEM_TABLE on {@code c}; {@code expectedFeatures}: what an earlier back-end offered. */
    private Probe probe(VhostUserConnection c, Long expectedFeatures, Integer expectedQueues) {
        send(c, VhostUserRequest.SET_OWNER, null, 0);
        long features = call(c, VhostUserRequest.GET_FEATURES, null).u64();
        if (expectedFeatures != null && (expectedFeatures & ~features) != 0) {
            throw new VhostUserException(options.name + ": the new back-end lacks features 0x"
                    + Long.toHexString(expectedFeatures & ~features));
        }
        long proto = 0;
        if ((features & F_PROTOCOL) != 0) {
            proto = call(c, VhostUserRequest.GET_PROTOCOL_FEATURES, null).u64() & PROTOCOL_FEATURES;
            send(c, VhostUserRequest.SET_PROTOCOL_FEATURES, VhostUserMessage.u64(proto), 0);
        }
        int queues = options.queueCount != 0 ? options.queueCount : expectedQueues != null ? expectedQueues : 0;
        if (ProtocolFeatures.has(proto, ProtocolFeatures.MQ)) {
            long max = QueueNum.rings(options.deviceType, features, call(c, VhostUserRequest.GET_QUEUE_NUM, null).u64());
            if (queues == 0) queues = (int) Math.min(max, MAX_QUEUES);
            if (max < queues) {
                throw new VhostUserException(options.name + ": back-end has " + max + " queue(s), " + queues + " needed");
            }
        }
        if (queues == 0) throw new VhostUserException(options.name + ": back-end has no MQ and no queue count was given");
        if (expectedQueues != null && queues != expectedQueues) {
            throw new VhostUserException(options.name + ": the new back-end has " + queues + " queue(s), not " + expectedQueues);
        }
        byte[] cfg = new byte[options.configSize];
        if (options.configSize > 0) {
            if (ProtocolFeatures.has(proto, ProtocolFeatures.CONFIG)) {
                cfg = getConfig(c, proto);
            } else {
                log.warn("{}: back-end has no CONFIG protocol feature; config space reads as zeros", options.name);
            }
        }
        setMemTable(c, proto);
        return new Probe(features, proto, queues, cfg);
    }

    private byte[] getConfig(VhostUserConnection c, long proto) {
        byte[] req = new ConfigSpace(0, ConfigSpace.FLAG_WRITABLE, new byte[options.configSize]).encode();
        VhostUserMessage reply = call(c, VhostUserRequest.GET_CONFIG, req);
        if (reply.size() == 0) throw new VhostUserException(options.name + ": back-end refused GET_CONFIG");
        ConfigSpace cs = ConfigSpace.decode(reply);
        if (cs.size() != options.configSize || cs.offset() != 0) {
            throw new VhostUserProtocolException(options.name + ": GET_CONFIG reply for " + cs.offset() + "+" + cs.size()
                    + ", asked 0+" + options.configSize);
        }
        return cs.data();
    }

    private void setMemTable(VhostUserConnection c, long proto) {
        List<MemRegion> regions = new ArrayList<>();
        for (MappedRegion r : memory.regions()) {
            regions.add(new MemRegion(r.region().guestAddress(), r.region().size(), r.hostAddress(), r.region().fileOffset()));
        }
        if (regions.size() > MemTable.MAX_REGIONS) {
            throw new VhostUserException(options.name + ": " + regions.size() + " memory regions, at most " + MemTable.MAX_REGIONS);
        }
        int[] fds = new int[regions.size()];
        Arrays.fill(fds, memory.fd());
        send(c, VhostUserRequest.SET_MEM_TABLE, new MemTable(regions).encode(), proto, fds);
    }

    // ---- messaging ----

    /** Sends a request without a reply of its own; with REPLY_ACK waits for the ack and throws on refusal. */
    private void send(VhostUserConnection c, VhostUserRequest r, byte[] payload, long proto, int... fds) {
        boolean ack = ProtocolFeatures.has(proto, ProtocolFeatures.REPLY_ACK);
        c.send(VhostUserMessage.request(r, payload, fds).needReply(ack));
        if (!ack) return;
        long v = reply(c, r).u64();
        if (v != 0) throw new VhostUserException(options.name + ": back-end refused " + r + " (ack " + v + ")");
    }

    private void send(VhostUserRequest r, byte[] payload, int... fds) {
        send(conn, r, payload, protocol, fds);
    }

    /** A request with its own reply. */
    private VhostUserMessage call(VhostUserConnection c, VhostUserRequest r, byte[] payload) {
        c.send(VhostUserMessage.request(r, payload));
        return reply(c, r);
    }

    private VhostUserMessage reply(VhostUserConnection c, VhostUserRequest r) {
        VhostUserMessage m = c.receive(options.replyTimeoutMillis);
        if (m == null) throw new VhostUserClosedException("back-end closed the connection before replying to " + r);
        m.closeFds();
        if (!m.isReply() || m.request() != r.id()) {
            throw new VhostUserProtocolException("expected the reply to " + r + ", got " + m);
        }
        return m;
    }

    /**
     * Runs {@code action} against the current connection. A lost connection is reported
     * and swallowed (returns false); a refusal is rethrown.
     */
    private boolean guarded(String what, Runnable action) {
        if (!connected) return false;
        int gen = generation;
        try {
            action.run();
            return true;
        } catch (VhostUserClosedException | VhostUserProtocolException e) {
            lost(gen, what + ": " + e.getMessage());
            return false;
        } catch (NativeException e) {
            lost(gen, what + ": " + e.getMessage());
            return false;
        } catch (VhostUserException e) {
            if (e.getCause() instanceof NativeException) {
                lost(gen, what + ": " + e.getMessage());
                return false;
            }
            throw e;
        }
    }

    private void lost(int gen, String why) {
        boolean notify;
        synchronized (lossLock) {
            notify = gen == generation && lostGeneration != gen;
            if (notify) lostGeneration = gen;
        }
        if (!notify) return;
        connected = false;
        VhostUserConnection c = conn;
        if (c != null) c.shutdown();
        log.warn("{}: vhost-user back-end lost: {}", options.name, why);
        LossHandler h = lossHandler;
        try {
            if (h != null) {
                h.backendLost(this, why);
            } else {
                DeviceEvents e = events;
                if (e != null) e.needsReset("vhost-user backend went away");
            }
        } catch (RuntimeException e) {
            log.error("{}: loss handler failed", options.name, e);
        }
    }

    // ---- VirtioDevice ----

    @Override
    public int deviceType() {
        return options.deviceType;
    }

    @Override
    public long deviceFeatures() {
        return offered;
    }

    @Override
    public int queueCount() {
        return queueCount;
    }

    @Override
    public int maxQueueSize(int queue) {
        return options.maxQueueSize;
    }

    @Override
    public int configSize() {
        return options.configSize;
    }

    @Override
    public synchronized void readConfig(int offset, byte[] data) {
        int n = Math.max(0, Math.min(data.length, config.length - offset));
        if (offset >= 0 && n > 0) System.arraycopy(config, offset, data, 0, n);
    }

    @Override
    public synchronized void writeConfig(int offset, byte[] data) {
        if (offset < 0 || offset + data.length > config.length) return;
        System.arraycopy(data, 0, config, offset, data.length);
        if (!ProtocolFeatures.has(protocol, ProtocolFeatures.CONFIG)) return;
        try {
            guarded("SET_CONFIG", () -> send(VhostUserRequest.SET_CONFIG,
                    new ConfigSpace(offset, ConfigSpace.FLAG_WRITABLE, data).encode()));
        } catch (VhostUserException e) {
            log.info("{}: config write at {} refused: {}", options.name, offset, e.getMessage());
            try {
                guarded("GET_CONFIG", () -> config = getConfig(conn, protocol));
            } catch (VhostUserException e2) {
                log.warn("{}: re-reading config failed: {}", options.name, e2.getMessage());
            }
        }
    }

    /**
     * Changes the config space as the driver sees it, without telling the back-end, and
     * raises a config-change interrupt: what a front-end shows while its back-end is away
     * (a network link down). The next back-end's config replaces it on reconnect.
     */
    public void overrideConfig(int offset, byte[] data) {
        synchronized (this) {
            if (offset < 0 || offset + data.length > config.length) throw new IllegalArgumentException("config " + offset + "+" + data.length);
            if (Arrays.equals(Arrays.copyOfRange(config, offset, offset + data.length), data)) return;
            System.arraycopy(data, 0, config, offset, data.length);
        }
        DeviceEvents e = events;
        if (e != null) e.configChanged();
    }

    @Override
    public void attach(DeviceEvents events) {
        this.events = events;
    }

    /**
     * Replaces the default reaction to a lost back-end (DEVICE_NEEDS_RESET). With a handler
     * installed, calls made while disconnected are recorded for {@link #reconnect} instead
     * of failing.
     */
    public void setLossHandler(LossHandler handler) {
        this.lossHandler = handler;
    }

    /** Gives up on the back-end: the transport sets DEVICE_NEEDS_RESET. */
    public void fail(String why) {
        DeviceEvents e = events;
        if (e != null) e.needsReset(why);
    }

    public boolean connected() {
        return connected;
    }

    /** The protocol features negotiated with the current back-end. */
    public synchronized long protocolFeatures() {
        return protocol;
    }

    @Override
    public synchronized void setDriverFeatures(long features) {
        driverFeatures = features;
        try {
            guarded("SET_FEATURES", () -> send(VhostUserRequest.SET_FEATURES, VhostUserMessage.u64(ackedFeatures(features))));
        } catch (VhostUserException e) {
            log.warn("{}: {}", options.name, e.getMessage());
            fail("vhost-user back-end refused features: " + e.getMessage());
        }
    }

    private long ackedFeatures(long driver) {
        return driver | (backendFeatures & F_PROTOCOL) | (logFd >= 0 ? F_LOG_ALL : 0);
    }

    // ---- the dirty log, while the VM migrates ----

    /** The shared log the back-end marks (the caller owns it), or -1. */
    private int logFd = -1;
    private long logSize;

    /** Whether this back-end can log its writes (VHOST_F_LOG_ALL with LOG_SHMFD). */
    public synchronized boolean canLog() {
        return (backendFeatures & F_LOG_ALL) != 0 && ProtocolFeatures.has(protocol, ProtocolFeatures.LOG_SHMFD);
    }

    /**
     * From now on the back-end marks every guest page it writes in the log {@code fd}
     * ({@code size} bytes, one bit per page): SET_LOG_BASE, then SET_FEATURES with
     * VHOST_F_LOG_ALL. A back-end restarted meanwhile gets the same log on reconnect.
     */
    public synchronized void startDirtyLog(int fd, long size) {
        if (!canLog()) throw new VhostUserException(options.name + ": the back-end cannot log its writes");
        logFd = fd;
        logSize = size;
        if (!guarded("SET_LOG_BASE", () -> sendLog(conn, protocol))) {
            log.warn("{}: back-end unreachable; its log starts when it reconnects", options.name);
        }
    }

    /** Back to no logging (the migration ended, or failed). */
    public synchronized void stopDirtyLog() {
        if (logFd < 0) return;
        logFd = -1;
        if (driverFeatures != null) {
            guarded("SET_FEATURES", () -> send(VhostUserRequest.SET_FEATURES, VhostUserMessage.u64(ackedFeatures(driverFeatures))));
        }
    }

    private void sendLog(VhostUserConnection c, long proto) {
        byte[] payload = java.nio.ByteBuffer.allocate(16).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(logSize).putLong(0).array();
        c.send(VhostUserMessage.request(VhostUserRequest.SET_LOG_BASE, payload, logFd));
        reply(c, VhostUserRequest.SET_LOG_BASE);
        if (driverFeatures != null) send(c, VhostUserRequest.SET_FEATURES, VhostUserMessage.u64(ackedFeatures(driverFeatures)), proto);
    }

    @Override
    public synchronized void startQueue(QueueSetup setup) {
        int i = setup.index();
        if (i < 0 || i >= queueCount) throw new IllegalArgumentException("queue " + i + " out of range");
        RingAddresses a = userAddresses(setup); // throws for rings outside guest RAM
        if (!connected) {
            if (lossHandler == null) throw new VhostUserException("vhost-user backend went away");
            started[i] = setup;
            return;
        }
        started[i] = setup;
        boolean sent;
        try {
            sent = guarded("starting queue " + i, () -> sendRing(setup, a, setup.nextAvail()));
        } catch (RuntimeException e) {
            started[i] = null; // refused: the transport marks the device DEVICE_NEEDS_RESET
            throw e;
        }
        if (!sent && lossHandler == null) {
            started[i] = null;
            throw new VhostUserException("vhost-user backend went away");
        }
    }

    private record RingAddresses(long desc, long avail, long used) {}

    private RingAddresses userAddresses(QueueSetup s) {
        try {
            return new RingAddresses(memory.hostAddress(s.descAddress(), (long) VirtQueue.DESC_SIZE * s.size()),
                    memory.hostAddress(s.driverAddress(), 6L + 2L * s.size()),
                    memory.hostAddress(s.deviceAddress(), 6L + 8L * s.size()));
        } catch (GuestMemoryException e) {
            throw new VhostUserException("queue " + s.index() + ": ring outside guest RAM: " + e.getMessage());
        }
    }

    private void sendRing(QueueSetup s, RingAddresses a, int base) {
        int i = s.index();
        send(VhostUserRequest.SET_VRING_NUM, new VringState(i, s.size()).encode());
        send(VhostUserRequest.SET_VRING_BASE, new VringState(i, base & 0xffff).encode());
        send(VhostUserRequest.SET_VRING_ADDR, new VringAddr(i, 0, a.desc, a.used, a.avail, 0).encode());
        send(VhostUserRequest.SET_VRING_KICK, VhostUserMessage.u64(i), s.kickFd());
        send(VhostUserRequest.SET_VRING_CALL, VhostUserMessage.u64(i), s.callFd());
        send(VhostUserRequest.SET_VRING_ERR, VhostUserMessage.u64(i), errFds[i]);
        if ((backendFeatures & F_PROTOCOL) != 0) send(VhostUserRequest.SET_VRING_ENABLE, new VringState(i, 1).encode());
    }

    @Override
    public synchronized int stopQueue(int queue) {
        if (queue < 0 || queue >= queueCount) return 0;
        QueueSetup s = started[queue];
        started[queue] = null;
        int[] base = {-1};
        try {
            guarded("stopping queue " + queue, () -> {
                conn.send(VhostUserMessage.request(VhostUserRequest.GET_VRING_BASE, new VringState(queue, 0).encode()));
                VringState st = VringState.decode(reply(conn, VhostUserRequest.GET_VRING_BASE));
                if (st.index() != queue) throw new VhostUserProtocolException("GET_VRING_BASE reply for ring " + st.index());
                base[0] = st.num() & 0xffff;
            });
        } catch (VhostUserException e) {
            log.warn("{}: {}", options.name, e.getMessage());
        }
        if (base[0] < 0) base[0] = s == null ? 0 : usedIndex(s);
        Fds.eventfdDrain(errFds[queue]);
        return base[0];
    }

    /** used.idx in guest memory: where a ring resumes when its back-end's state is gone. */
    private int usedIndex(QueueSetup s) {
        try {
            return memory.getShort(s.deviceAddress() + 2) & 0xffff;
        } catch (GuestMemoryException e) {
            return 0;
        }
    }

    @Override
    public synchronized void reset() {
        driverFeatures = null;
        Arrays.fill(started, null);
        if (!ProtocolFeatures.has(protocol, ProtocolFeatures.RESET_DEVICE)) return;
        try {
            guarded("RESET_DEVICE", () -> send(VhostUserRequest.RESET_DEVICE, null));
        } catch (VhostUserException e) {
            log.warn("{}: {}", options.name, e.getMessage());
        }
    }

    /**
     * Replaces the back-end connection with {@code newSocketFd} (owned from now on) and
     * replays the setup: probe, SET_FEATURES, SET_MEM_TABLE, and every started ring from
     * the used index in guest memory. The new back-end must offer at least the features
     * the driver acked and the same queue count. Throws {@link VhostUserException} (the
     * new socket closed, the device still disconnected) if the new back-end fails; call
     * again with another, or {@link #fail} to give up.
     */
    public synchronized void reconnect(int newSocketFd) {
        if (closed) {
            Fds.closeQuietly(newSocketFd);
            throw new VhostUserException(options.name + ": device closed");
        }
        VhostUserConnection old = conn;
        synchronized (lossLock) {
            lostGeneration = generation; // the old connection is gone for good: no more reports
            generation++;
        }
        connected = false;
        if (old != null) {
            old.shutdown();
            old.close();
        }
        VhostUserConnection c = new VhostUserConnection(newSocketFd);
        conn = c;
        try {
            Probe p = probe(c, offered, queueCount);
            backendFeatures = p.features;
            long oldProto = protocol;
            protocol = p.protocol;
            if (p.protocol != oldProto) {
                log.info("{}: new back-end protocol features 0x{} (were 0x{})", options.name, Long.toHexString(p.protocol),
                        Long.toHexString(oldProto));
            }
            boolean configChanged = !Arrays.equals(config, p.config) && ProtocolFeatures.has(p.protocol, ProtocolFeatures.CONFIG);
            if (configChanged) config = p.config;
            if (logFd >= 0 && canLog()) sendLog(c, protocol);
            if (driverFeatures != null) send(VhostUserRequest.SET_FEATURES, VhostUserMessage.u64(ackedFeatures(driverFeatures)));
            for (QueueSetup s : started) {
                if (s == null) continue;
                int base = usedIndex(s);
                sendRing(s, userAddresses(s), base);
                log.info("{}: queue {} resumed at {}", options.name, s.index(), base);
            }
            connected = true;
            Fds.eventfdSignal(wakeFd);
            for (QueueSetup s : started) if (s != null) Fds.eventfdSignal(s.kickFd());
            if (configChanged && events != null) events.configChanged();
            log.info("{}: reconnected to the vhost-user back-end (driver features {}, {} ring(s) replayed)", options.name,
                    driverFeatures == null ? "not set" : "0x" + Long.toHexString(driverFeatures),
                    Arrays.stream(started).filter(java.util.Objects::nonNull).count());
        } catch (RuntimeException e) {
            c.shutdown();
            c.close();
            synchronized (lossLock) {
                lostGeneration = generation;
            }
            throw e instanceof VhostUserException v ? v : new VhostUserException(options.name + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
            synchronized (lossLock) {
                lostGeneration = generation;
            }
            connected = false;
            if (conn != null) {
                conn.shutdown();
                conn.close();
            }
        }
        Fds.eventfdSignal(wakeFd);
        try {
            if (watcher != null) watcher.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (int fd : errFds) Fds.closeQuietly(fd);
        Fds.closeQuietly(wakeFd);
    }

    // ---- watcher: back-end hang-ups and ring errors ----

    private void watch() {
        int n = 2 + queueCount;
        MemorySegment pfd = Native.allocate(8 * n);
        while (!closed) {
            int gen = generation;
            boolean up = connected;
            int sock = up ? conn.fd() : -1;
            pfd.set(U32, 0, wakeFd);
            pfd.set(U16, 4, POLLIN);
            pfd.set(U32, 8, sock);
            pfd.set(U16, 12, POLLRDHUP);
            for (int i = 0; i < queueCount; i++) {
                pfd.set(U32, 8L * (2 + i), errFds[i]);
                pfd.set(U16, 8L * (2 + i) + 4, POLLIN);
            }
            for (int i = 0; i < n; i++) pfd.set(U16, 8L * i + 6, (short) 0);
            int rc = Native.libc().poll(pfd, n, -1);
            if (closed) return;
            if (rc <= 0) continue;
            if ((pfd.get(U16, 6) & POLLIN) != 0) Fds.eventfdDrain(wakeFd);
            int sockEvents = pfd.get(U16, 14) & 0xffff;
            if (sock >= 0 && (sockEvents & (POLLHUP | POLLERR | POLLRDHUP | POLLNVAL)) != 0) {
                lost(gen, "the back-end hung up");
                // Wait for reconnect() or close() to wake us; the socket stays hung up meanwhile.
                // Unless a reconnect already happened since the poll (its wake-up may be the one
                // drained above): then go straight back to watching the new connection.
                if (generation == gen) waitForWake();
            }
            for (int i = 0; i < queueCount; i++) {
                if ((pfd.get(U16, 8L * (2 + i) + 6) & POLLIN) != 0 && Fds.eventfdDrain(errFds[i]) > 0) {
                    log.warn("{}: back-end reports an error on queue {}", options.name, i);
                    DeviceEvents e = events;
                    if (e != null) e.needsReset("vhost-user backend reports an error on queue " + i);
                }
            }
        }
    }

    private void waitForWake() {
        MemorySegment p = Native.allocate(8);
        while (!closed) {
            p.set(U32, 0, wakeFd);
            p.set(U16, 4, POLLIN);
            p.set(U16, 6, (short) 0);
            if (Native.libc().poll(p, 1, -1) > 0) {
                Fds.eventfdDrain(wakeFd);
                return;
            }
        }
    }

    @Override
    public String toString() {
        return "VhostUserFrontendDevice[" + options.name + (connected ? "" : ", disconnected") + "]";
    }
}
