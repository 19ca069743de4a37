package vmd.vhostuser;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.memory.GuestMemory;
import vmd.memory.MemoryRegion;
import vmd.sys.Fds;
import vmd.sys.Native;
import vmd.virtio.VirtQueue;
import vmd.virtio.VirtQueueException;

/**
 * The device-process side of vhost-user: serves one front-end connection at a time (our
 * vm process, QEMU, any other front-end) for a {@link VhostUserDevice}.
 *
 * <p><b>Protocol features offered:</b> MQ, REPLY_ACK, CONFIG, RESET_DEVICE. Not offered:
 * LOG_SHMFD (no migration), BACKEND_REQ, INFLIGHT_SHMFD, CONFIGURE_MEM_SLOTS, STATUS.
 *
 * <p><b>Memory.</b> SET_MEM_TABLE maps the received memfd with {@link GuestMemory#map}
 * (the sealed-mapping contract of DESIGN.md section 2). All regions must live in one file
 * (QEMU's memory-backend-memfd and our vm process both send one memfd, once per region);
 * each region's {@code mmap_offset + size} must lie inside the file, or touching it would
 * raise SIGBUS. Ring addresses arrive as front-end user addresses and are translated to
 * guest-physical through the regions' {@code userspace_addr}. A new table while rings run
 * stops them, remaps, and restarts them where they were. Sealed mappings cannot be
 * unmapped: a replaced table's mapping stays until the process exits (an identical table
 * is recognised and not mapped again).
 *
 * <p><b>Rings</b> start when they have a size, addresses, a kick descriptor, memory, and
 * are enabled: by SET_VRING_ENABLE 1 once VHOST_USER_F_PROTOCOL_FEATURES is acked, else
 * from SET_FEATURES on. GET_VRING_BASE stops a ring, answers its next avail index and
 * closes its descriptors. Call and error descriptors may be replaced while a ring runs.
 *
 * <p><b>A hostile front-end</b> cannot crash the process: a request that cannot be
 * honoured (bad index, ring outside memory, descriptors where none belong, bad sizes,
 * unknown ids) is logged and refused - with a non-zero ack when NEED_REPLY is set, with a
 * zero-length GET_CONFIG reply - and the connection carries on. A framing error (bad
 * version, payload over {@link VhostUserCodec#MAX_PAYLOAD}, truncation) or a request that
 * must be answered but cannot be (GET_VRING_BASE of a ring that does not exist, an
 * unsupported GET_*) closes the connection. Either way {@link #serve} returns normally,
 * ready to serve the next connection. Received descriptors nobody keeps are closed.
 */
public final class VhostUserBackend {
    private static final Logger log = LoggerFactory.getLogger(VhostUserBackend.class);

    /** Protocol features this back-end implements. */
    public static final long PROTOCOL_FEATURES = ProtocolFeatures.bit(ProtocolFeatures.MQ)
            | ProtocolFeatures.bit(ProtocolFeatures.REPLY_ACK) | ProtocolFeatures.bit(ProtocolFeatures.CONFIG)
            | ProtocolFeatures.bit(ProtocolFeatures.RESET_DEVICE) | ProtocolFeatures.bit(ProtocolFeatures.LOG_SHMFD);
    /** VHOST_F_LOG_ALL: while acked, every guest page a ring's device writes is marked in the log (migration). */
    public static final long F_LOG_ALL = 1L << 26;

    private static final long F_PROTOCOL = ProtocolFeatures.bit(ProtocolFeatures.F_PROTOCOL_FEATURES);
    private static final int FD_INDEX_MASK = 0xff, FD_NOFD = 0x100;

    /** Requests that may carry descriptors; any other request with descriptors is refused. */
    private static final Set<VhostUserRequest> TAKES_FDS = EnumSet.of(VhostUserRequest.SET_MEM_TABLE,
            VhostUserRequest.SET_LOG_BASE, VhostUserRequest.SET_LOG_FD, VhostUserRequest.SET_VRING_KICK,
            VhostUserRequest.SET_VRING_CALL, VhostUserRequest.SET_VRING_ERR, VhostUserRequest.SET_BACKEND_REQ_FD,
            VhostUserRequest.SET_INFLIGHT_FD, VhostUserRequest.GPU_SET_SOCKET, VhostUserRequest.ADD_MEM_REG,
            VhostUserRequest.REM_MEM_REG, VhostUserRequest.SET_DEVICE_STATE_FD);

    private final VhostUserDevice device;
    private final String name;
    private final long offeredFeatures;
    private final int queueCount;
    private final int maxQueueSize;

    private volatile VhostUserConnection connection;
    private volatile boolean stopped;

    // Per-connection state, touched only by the serving thread.
    private boolean owned;
    private long ackedFeatures;
    private boolean featuresAcked;
    private long ackedProtocol;
    private GuestMemory memory;
    private int memoryFd = -1;
    private List<MemRegion> regions = List.of();
    private long[] memoryFile;
    private final Ring[] rings;

    /** A request refused: logged, and reported in the ack if one was asked for. */
    private static final class Refused extends Exception {
        Refused(String message) {
            super(message, null, false, false);
        }
    }

    /** The connection must end. */
    private static final class Fatal extends Exception {
        Fatal(String message) {
            super(message, null, false, false);
        }
    }

    private final class Ring {
        final int index;
        int num;
        VringAddr addr;
        int base;
        int kickFd = -1;
        boolean enabled;
        final EventNotifier call = new EventNotifier();
        final EventNotifier err = new EventNotifier();
        Vring running;

        Ring(int index) {
            this.index = index;
        }

        void clear() {
            num = 0;
            addr = null;
            base = 0;
            Fds.closeQuietly(kickFd);
            kickFd = -1;
            enabled = false;
            call.clear();
            err.clear();
        }
    }

    public VhostUserBackend(VhostUserDevice device, String name) {
        this.device = device;
        this.name = name;
        this.offeredFeatures = device.features() | F_PROTOCOL | F_LOG_ALL;
        this.queueCount = device.queueCount();
        this.maxQueueSize = device.maxQueueSize();
        if (queueCount < 1 || queueCount > FD_INDEX_MASK + 1) throw new IllegalArgumentException("queue count " + queueCount);
        if (maxQueueSize < 1 || maxQueueSize > VirtQueue.MAX_SIZE || Integer.bitCount(maxQueueSize) != 1) {
            throw new IllegalArgumentException("max queue size " + maxQueueSize);
        }
        this.rings = new Ring[queueCount];
        for (int i = 0; i < queueCount; i++) rings[i] = new Ring(i);
    }

    /** Virtio features offered in GET_FEATURES (the device's plus VHOST_USER_F_PROTOCOL_FEATURES). */
    public long offeredFeatures() {
        return offeredFeatures;
    }

    /**
     * Serves one front-end on a connected stream socket (taking ownership of it) until it
     * disconnects, breaks the protocol or {@link #stop()} is called; then stops every ring,
     * resets the device, closes the socket and returns. Never throws for anything the
     * front-end does.
     */
    public void serve(int socketFd) {
        VhostUserConnection c = new VhostUserConnection(socketFd);
        connection = c;
        log.info("{}: front-end connected", name);
        try {
            while (!stopped) {
                VhostUserMessage m;
                try {
                    m = c.receive();
                } catch (VhostUserProtocolException e) {
                    log.warn("{}: closing the connection: {}", name, e.getMessage());
                    break;
                } catch (VhostUserException e) {
                    log.info("{}: front-end gone: {}", name, e.getMessage());
                    break;
                }
                if (m == null) {
                    log.info("{}: front-end disconnected", name);
                    break;
                }
                try {
                    if (!dispatch(c, m)) break;
                } finally {
                    m.closeFds();
                }
            }
        } catch (RuntimeException e) {
            log.error("{}: unexpected failure, closing the connection", name, e);
        } finally {
            endConnection();
            c.close();
            connection = null;
        }
    }

    /** Ends the current connection (from any thread); {@link #serve} returns soon after. */
    public void stop() {
        stopped = true;
        VhostUserConnection c = connection;
        if (c != null) c.shutdown();
    }

    /** Whether {@link #stop()} was called. */
    public boolean stopped() {
        return stopped;
    }

    /** Ends the current connection but lets {@link #serve} be called again. */
    public void disconnect() {
        VhostUserConnection c = connection;
        if (c != null) c.shutdown();
    }

    private void endConnection() {
        stopAndResetRings();
        Fds.closeQuietly(memoryFd);
        memoryFd = -1;
        memory = null;
        memoryFile = null;
        regions = List.of();
        owned = false;
        ackedFeatures = 0;
        featuresAcked = false;
        ackedProtocol = 0;
    }

    /** Handles one request; false to close the connection. */
    private boolean dispatch(VhostUserConnection c, VhostUserMessage m) {
        VhostUserRequest type = m.type();
        byte[] reply = null;
        String refusal = null;
        try {
            if (m.isReply()) throw new Refused("a request with the reply flag set");
            if (type == null) throw new Refused("unknown request");
            if (m.fdCount() > 0 && !TAKES_FDS.contains(type)) {
                throw new Refused(m.fdCount() + " unexpected descriptor(s)");
            }
            reply = handle(type, m);
        } catch (Refused e) {
            refusal = e.getMessage();
        } catch (VhostUserProtocolException e) {
            refusal = e.getMessage();
        } catch (Fatal e) {
            log.warn("{}: {}: {}; closing the connection", name, m.name(), e.getMessage());
            return false;
        } catch (RuntimeException e) {
            log.error("{}: {} failed", name, m.name(), e);
            refusal = e.toString();
        }
        if (refusal != null) log.warn("{}: refused {}: {}", name, m.name(), refusal);
        try {
            if (type != null && type.alwaysReplies()) {
                if (reply == null) {
                    if (type != VhostUserRequest.GET_CONFIG) {
                        log.warn("{}: cannot answer {}; closing the connection", name, m.name());
                        return false;
                    }
                    reply = new byte[0]; // GET_CONFIG: an empty payload means failure
                }
                c.send(VhostUserMessage.reply(m.request(), reply));
            } else if (m.needsReply()) {
                c.send(VhostUserMessage.replyU64(m.request(), refusal == null ? 0 : 1));
            }
        } catch (VhostUserException e) {
            log.info("{}: front-end gone while replying to {}: {}", name, m.name(), e.getMessage());
            return false;
        }
        return true;
    }

    private byte[] handle(VhostUserRequest type, VhostUserMessage m) throws Refused, Fatal {
        switch (type) {
            case SET_OWNER -> {
                m.expectSize(0);
                if (owned) log.debug("{}: SET_OWNER again", name);
                owned = true;
                return null;
            }
            case RESET_OWNER -> {
                // Deprecated; the spec recommends treating it as "disable all rings".
                for (Ring r : rings) stopRing(r);
                return null;
            }
            case RESET_DEVICE -> {
                resetDevice();
                return null;
            }
            case GET_FEATURES -> {
                m.expectSize(0);
                return VhostUserMessage.u64(offeredFeatures);
            }
            case SET_FEATURES -> {
                setFeatures(m.u64());
                return null;
            }
            case SET_LOG_BASE -> {
                setLogBase(m);
                return VhostUserMessage.u64(0);
            }
            case GET_PROTOCOL_FEATURES -> {
                m.expectSize(0);
                return VhostUserMessage.u64(PROTOCOL_FEATURES);
            }
            case SET_PROTOCOL_FEATURES -> {
                long v = m.u64();
                if ((v & ~PROTOCOL_FEATURES) != 0) {
                    throw new Refused("protocol features 0x" + Long.toHexString(v & ~PROTOCOL_FEATURES) + " not offered");
                }
                ackedProtocol = v;
                return null;
            }
            case GET_QUEUE_NUM -> {
                m.expectSize(0);
                return VhostUserMessage.u64(device.queueNum());
            }
            case SET_MEM_TABLE -> {
                setMemTable(m);
                return null;
            }
            case SET_VRING_NUM -> {
                VringState s = VringState.decode(m);
                Ring r = ring(s.index());
                if (r.running != null) throw new Refused("ring " + r.index + " is running");
                if (s.num() < 1 || s.num() > maxQueueSize || Integer.bitCount(s.num()) != 1) {
                    throw new Refused("ring " + r.index + " size " + Integer.toUnsignedString(s.num())
                            + " is not a power of 2 up to " + maxQueueSize);
                }
                r.num = s.num();
                return null;
            }
            case SET_VRING_ADDR -> {
                setVringAddr(VringAddr.decode(m));
                return null;
            }
            case SET_VRING_BASE -> {
                VringState s = VringState.decode(m);
                Ring r = ring(s.index());
                if (r.running != null) throw new Refused("ring " + r.index + " is running");
                if ((s.num() & ~0xffff) != 0) throw new Refused("ring " + r.index + " base " + Integer.toUnsignedString(s.num()) + " > 65535");
                r.base = s.num();
                return null;
            }
            case GET_VRING_BASE -> {
                VringState s;
                Ring r;
                try {
                    s = VringState.decode(m);
                    r = ring(s.index());
                } catch (Refused | VhostUserProtocolException e) {
                    throw new Fatal(e.getMessage());
                }
                stopRing(r);
                Fds.closeQuietly(r.kickFd);
                r.kickFd = -1;
                r.call.clear();
                r.err.clear();
                r.enabled = !protocolFeaturesAcked();
                return new VringState(r.index, r.base).encode();
            }
            case SET_VRING_KICK, SET_VRING_CALL, SET_VRING_ERR -> {
                setVringFd(type, m);
                return null;
            }
            case SET_VRING_ENABLE -> {
                VringState s = VringState.decode(m);
                Ring r = ring(s.index());
                if (s.num() != 0 && s.num() != 1) throw new Refused("ring " + r.index + " enable value " + s.num());
                r.enabled = s.num() == 1;
                if (r.enabled) tryStart(r);
                else stopRing(r);
                return null;
            }
            case GET_CONFIG -> {
                ConfigSpace req = ConfigSpace.decode(m);
                byte[] config = device.config();
                byte[] out = new byte[req.size()];
                if (req.offset() < config.length) {
                    System.arraycopy(config, req.offset(), out, 0, Math.min(out.length, config.length - req.offset()));
                }
                return new ConfigSpace(req.offset(), req.flags(), out).encode();
            }
            case SET_CONFIG -> {
                ConfigSpace req = ConfigSpace.decode(m);
                if (req.flags() != ConfigSpace.FLAG_WRITABLE && req.flags() != ConfigSpace.FLAG_MIGRATION) {
                    throw new Refused("config flags " + req.flags());
                }
                if (!device.writeConfig(req.offset(), req.data(), req.flags() == ConfigSpace.FLAG_MIGRATION)) {
                    throw new Refused("device refused config write at " + req.offset() + "+" + req.size());
                }
                return null;
            }
            default -> {
                if (type.alwaysReplies()) throw new Fatal("unsupported request " + type);
                throw new Refused("unsupported request");
            }
        }
    }

    private boolean protocolFeaturesAcked() {
        return featuresAcked && (ackedFeatures & F_PROTOCOL) != 0;
    }

    private Ring ring(int index) throws Refused {
        if (index < 0 || index >= rings.length) {
            throw new Refused("ring index " + Integer.toUnsignedString(index) + " out of range (" + rings.length + " rings)");
        }
        return rings[index];
    }

    private void setFeatures(long v) throws Refused {
        if ((v & ~offeredFeatures) != 0) {
            throw new Refused("features 0x" + Long.toHexString(v & ~offeredFeatures) + " not offered");
        }
        ackedFeatures = v;
        featuresAcked = true;
        applyDirtyLog();
        try {
            device.setFeatures(v & ~(F_PROTOCOL | F_LOG_ALL));
        } catch (RuntimeException e) {
            throw new Refused("device refused features 0x" + Long.toHexString(v) + ": " + e.getMessage());
        }
        if ((v & F_PROTOCOL) == 0) {
            // Without protocol features rings are enabled from the start.
            String failure = null;
            for (Ring r : rings) {
                r.enabled = true;
                String f = tryStart(r);
                if (f != null) failure = f;
            }
            if (failure != null) throw new Refused(failure);
        }
    }

    /** Every ring stopped, the device reset, the rings' state forgotten: the end of a connection or RESET_DEVICE. */
    private void stopAndResetRings() {
        for (Ring r : rings) stopRing(r);
        try {
            device.reset();
        } catch (RuntimeException e) {
            log.warn("{}: device reset failed", name, e);
        }
        for (Ring r : rings) r.clear();
    }

    private void resetDevice() {
        stopAndResetRings();
        ackedFeatures = 0;
        featuresAcked = false;
    }

    // ---- the dirty log (migration) ----

    private long logAddress, logLength;
    private vmd.virtio.DirtyBitmap dirtyLog;

    /**
     * SET_LOG_BASE: the front-end's log, one bit per guest page, in shared memory (payload:
     * u64 size, u64 offset; one descriptor). Replaces any earlier log; used while
     * VHOST_F_LOG_ALL is acked.
     */
    private void setLogBase(VhostUserMessage m) throws Refused {
        if ((ackedProtocol & ProtocolFeatures.bit(ProtocolFeatures.LOG_SHMFD)) == 0) throw new Refused("SET_LOG_BASE without LOG_SHMFD");
        m.expectSize(16);
        java.nio.ByteBuffer p = m.payloadBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long size = p.getLong(0), offset = p.getLong(8);
        if (m.fdCount() != 1) throw new Refused("SET_LOG_BASE needs one descriptor");
        if (size <= 0 || size > (1L << 40) || offset < 0 || offset > (1L << 40)) throw new Refused("log size " + size + " offset " + offset);
        int fd = m.takeFd(0);
        long address;
        try {
            address = vmd.sys.Mman.mmapShared(fd, size + offset, 0);
        } catch (RuntimeException e) {
            throw new Refused("mapping the log: " + e.getMessage());
        } finally {
            Fds.closeQuietly(fd);
        }
        unmapLog();
        logAddress = address;
        logLength = size + offset;
        dirtyLog = new vmd.virtio.DirtyBitmap(java.lang.foreign.MemorySegment.ofAddress(address + offset).reinterpret(size & ~7L));
        applyDirtyLog();
        log.info("{}: dirty log of {} bytes set", name, size);
    }

    private vmd.virtio.DirtyLog activeLog() {
        return (ackedFeatures & F_LOG_ALL) != 0 && dirtyLog != null ? dirtyLog : vmd.virtio.DirtyLog.NONE;
    }

    private void applyDirtyLog() {
        vmd.virtio.DirtyLog l = activeLog();
        for (Ring r : rings) if (r.running != null) r.running.queue().setDirtyLog(l);
    }

    /**
     * Drops the current log. Its mapping stays: a ring thread may be marking it this very
     * moment, and a log is small (a bit per guest page: 32 KiB for 1 GiB).
     */
    private void unmapLog() {
        if (logAddress == 0) return;
        for (Ring r : rings) if (r.running != null) r.running.queue().setDirtyLog(vmd.virtio.DirtyLog.NONE);
        dirtyLog = null;
        logAddress = 0;
    }

    // ---- memory ----

    private void setMemTable(VhostUserMessage m) throws Refused {
        MemTable t = MemTable.decode(m);
        List<MemRegion> table = t.regions();
        int n = table.size();
        if (n == 0) throw new Refused("no memory regions");
        if (m.fdCount() != n) throw new Refused(n + " regions but " + m.fdCount() + " descriptor(s)");
        int[] fds = m.fds();
        List<MemoryRegion> layout = new ArrayList<>();
        long[] file = null;
        long fileSize = 0;
        for (int i = 0; i < n; i++) {
            MemRegion r = table.get(i);
            if (r.size() <= 0) throw new Refused(r + ": bad size");
            if (r.guestAddress() < 0 || r.guestAddress() > Long.MAX_VALUE - r.size()) throw new Refused(r + ": guest range overflows");
            if (Long.compareUnsigned(r.userAddress(), -1L - r.size()) > 0) throw new Refused(r + ": user range overflows");
            if (r.mmapOffset() < 0 || r.mmapOffset() > Long.MAX_VALUE - r.size()) throw new Refused(r + ": offset overflows");
            long[] st = stat(fds[i]);
            if (file == null) {
                file = st;
                fileSize = st[2];
            } else if (st[0] != file[0] || st[1] != file[1]) {
                throw new Refused("regions live in different files; only one memory file is supported");
            }
            if (r.mmapOffset() + r.size() > fileSize) {
                throw new Refused(r + " extends past the end of its file (" + fileSize + " bytes)");
            }
            try {
                layout.add(new MemoryRegion(r.guestAddress(), r.size(), r.mmapOffset()));
            } catch (IllegalArgumentException e) {
                throw new Refused(e.getMessage());
            }
        }
        List<MemRegion> byUser = new ArrayList<>(table);
        byUser.sort(Comparator.comparingLong(MemRegion::userAddress));
        for (int i = 1; i < n; i++) {
            MemRegion a = byUser.get(i - 1), b = byUser.get(i);
            if (Long.compareUnsigned(b.userAddress(), a.userAddress() + a.size()) < 0) {
                throw new Refused("user address ranges overlap: " + a + ", " + b);
            }
        }
        if (memory != null && memoryFile != null && file[0] == memoryFile[0] && file[1] == memoryFile[1]
                && table.equals(regions)) {
            log.debug("{}: memory table unchanged", name);
            return;
        }
        // Stop the running rings; they restart below on the new table (or the old one if it fails).
        List<Ring> wereRunning = new ArrayList<>();
        for (Ring r : rings) {
            if (r.running != null) {
                stopRing(r);
                wereRunning.add(r);
            }
        }
        GuestMemory mapped;
        try {
            mapped = GuestMemory.map(fds[0], layout);
        } catch (RuntimeException e) {
            for (Ring r : wereRunning) tryStart(r);
            throw new Refused("mapping guest memory: " + e.getMessage());
        }
        if (!mapped.msealed()) log.info("{}: this kernel has no mseal; guest memory mapped without it", name);
        if (memory != null) log.info("{}: memory table replaced; the old sealed mapping stays until exit", name);
        Fds.closeQuietly(memoryFd);
        memoryFd = m.takeFd(0);
        memory = mapped;
        memoryFile = file;
        regions = table;
        log.info("{}: guest memory mapped: {}", name, table);
        String failure = null;
        for (Ring r : wereRunning) {
            String f = tryStart(r);
            if (f != null) failure = f;
        }
        if (failure != null) throw new Refused(failure);
    }

    /** {dev, ino, size} of an open file. */
    private static long[] stat(int fd) throws Refused {
        Fds.Stat st;
        try {
            st = Fds.fstat(fd);
        } catch (vmd.sys.NativeException e) {
            throw new Refused("fstat of a memory descriptor failed: " + e.getMessage());
        }
        if (!st.isFile()) throw new Refused("a memory descriptor is not a regular file");
        return new long[] {st.dev(), st.ino(), st.size()};
    }

    /** Translates a front-end user address range to guest-physical. */
    private long userToGuest(long user, long length, String what) throws Refused {
        for (MemRegion r : regions) {
            if (r.containsUser(user, length)) return r.userToGuest(user);
        }
        throw new Refused(String.format("%s at user address 0x%x+0x%x is not inside one memory region", what, user, length));
    }

    // ---- rings ----

    private void setVringAddr(VringAddr a) throws Refused {
        Ring r = ring(a.index());
        if (memory != null) translate(a, r.num == 0 ? 1 : r.num); // refuse an address that points nowhere now
        VringAddr old = r.addr;
        r.addr = a;
        if (r.running != null && (old == null || old.descUser() != a.descUser() || old.usedUser() != a.usedUser()
                || old.availUser() != a.availUser())) {
            stopRing(r);
            String f = tryStart(r);
            if (f != null) throw new Refused(f);
        }
    }

    private long[] translate(VringAddr a, int num) throws Refused {
        return new long[] {
            userToGuest(a.descUser(), (long) VirtQueue.DESC_SIZE * num, "ring " + a.index() + " descriptor table"),
            userToGuest(a.availUser(), 6L + 2L * num, "ring " + a.index() + " available ring"),
            userToGuest(a.usedUser(), 6L + 8L * num, "ring " + a.index() + " used ring"),
        };
    }

    private void setVringFd(VhostUserRequest type, VhostUserMessage m) throws Refused {
        long v = m.u64();
        if ((v & ~(long) (FD_INDEX_MASK | FD_NOFD)) != 0) throw new Refused("reserved bits set in 0x" + Long.toHexString(v));
        Ring r = ring((int) (v & FD_INDEX_MASK));
        boolean nofd = (v & FD_NOFD) != 0;
        if (nofd && m.fdCount() != 0) throw new Refused("invalid-fd flag set but " + m.fdCount() + " descriptor(s) sent");
        if (!nofd && m.fdCount() != 1) throw new Refused("expected one descriptor, got " + m.fdCount());
        switch (type) {
            case SET_VRING_KICK -> {
                if (nofd) throw new Refused("ring " + r.index + ": polling instead of a kick descriptor is not supported");
                stopRing(r);
                Fds.closeQuietly(r.kickFd);
                r.kickFd = m.takeFd(0);
                String f = tryStart(r);
                if (f != null) throw new Refused(f);
            }
            case SET_VRING_CALL -> r.call.set(nofd ? -1 : m.takeFd(0));
            default -> r.err.set(nofd ? -1 : m.takeFd(0));
        }
    }

    /** Starts a ring if it has everything it needs; returns a failure message, or null. */
    private String tryStart(Ring r) {
        if (r.running != null || r.kickFd < 0 || !r.enabled || r.num == 0 || r.addr == null || memory == null) return null;
        try {
            long[] gpa = translate(r.addr, r.num);
            VirtQueue q = new VirtQueue(memory, r.num, gpa[0], gpa[1], gpa[2], ackedFeatures, r.base);
            Vring v = new Vring(r.index, q, r.kickFd, memory, ackedFeatures, r.call, r.err);
            q.setDirtyLog(activeLog());
            device.startQueue(v);
            r.running = v;
            log.debug("{}: started {}", name, v);
            return null;
        } catch (Refused | VirtQueueException e) {
            log.warn("{}: ring {} cannot start: {}", name, r.index, e.getMessage());
            r.err.signal();
            return "ring " + r.index + ": " + e.getMessage();
        } catch (RuntimeException e) {
            log.warn("{}: device refused ring {}", name, r.index, e);
            r.err.signal();
            return "ring " + r.index + ": " + e;
        }
    }

    /** Stops a running ring, keeping its next avail index as its base. */
    private void stopRing(Ring r) {
        Vring v = r.running;
        if (v == null) return;
        r.running = null;
        try {
            device.stopQueue(r.index);
        } catch (RuntimeException e) {
            log.warn("{}: stopping ring {} failed", name, r.index, e);
        }
        r.base = v.queue().nextAvail();
        log.debug("{}: stopped ring {} at avail {}", name, r.index, r.base);
    }

    @Override
    public String toString() {
        return "VhostUserBackend[" + name + ", rings=" + Arrays.toString(Arrays.stream(rings).map(r -> r.running).toArray()) + "]";
    }
}
