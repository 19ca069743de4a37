package vmd.vhostuser;

/**
 * Front-end message types of the vhost-user protocol (QEMU docs/interop/vhost-user.rst,
 * "Front-end message types"), with their numeric ids and whether the back-end always
 * replies (independently of REPLY_ACK). Ids not listed here are unknown to us; the
 * codec carries them as raw numbers ({@link VhostUserMessage#request()}).
 */
public enum VhostUserRequest {
    GET_FEATURES(1, true),
    SET_FEATURES(2, false),
    SET_OWNER(3, false),
    RESET_OWNER(4, false),
    SET_MEM_TABLE(5, false),
    SET_LOG_BASE(6, true),
    SET_LOG_FD(7, false),
    SET_VRING_NUM(8, false),
    SET_VRING_ADDR(9, false),
    SET_VRING_BASE(10, false),
    GET_VRING_BASE(11, true),
    SET_VRING_KICK(12, false),
    SET_VRING_CALL(13, false),
    SET_VRING_ERR(14, false),
    GET_PROTOCOL_FEATURES(15, true),
    SET_PROTOCOL_FEATURES(16, false),
    GET_QUEUE_NUM(17, true),
    SET_VRING_ENABLE(18, false),
    SEND_RARP(19, false),
    NET_SET_MTU(20, false),
    SET_BACKEND_REQ_FD(21, false),
    IOTLB_MSG(22, true),
    SET_VRING_ENDIAN(23, false),
    GET_CONFIG(24, true),
    SET_CONFIG(25, false),
    CREATE_CRYPTO_SESSION(26, true),
    CLOSE_CRYPTO_SESSION(27, false),
    POSTCOPY_ADVISE(28, true),
    POSTCOPY_LISTEN(29, false),
    POSTCOPY_END(30, true),
    GET_INFLIGHT_FD(31, true),
    SET_INFLIGHT_FD(32, false),
    GPU_SET_SOCKET(33, false),
    RESET_DEVICE(34, false),
    VRING_KICK(35, false),
    GET_MAX_MEM_SLOTS(36, true),
    ADD_MEM_REG(37, false),
    REM_MEM_REG(38, false),
    SET_STATUS(39, false),
    GET_STATUS(40, true),
    GET_SHARED_OBJECT(41, true),
    SET_DEVICE_STATE_FD(42, true),
    CHECK_DEVICE_STATE(43, true);

    private static final VhostUserRequest[] BY_ID = new VhostUserRequest[64];

    static {
        for (VhostUserRequest r : values()) BY_ID[r.id] = r;
    }

    private final int id;
    private final boolean alwaysReplies;

    VhostUserRequest(int id, boolean alwaysReplies) {
        this.id = id;
        this.alwaysReplies = alwaysReplies;
    }

    public int id() {
        return id;
    }

    /** The back-end replies to this request whether or not the front-end set NEED_REPLY. */
    public boolean alwaysReplies() {
        return alwaysReplies;
    }

    /** The request with this id, or null if the id is not one we know. */
    public static VhostUserRequest of(int id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[id] : null;
    }

    /** {@code GET_FEATURES} for a known id, {@code request 99} for an unknown one. */
    public static String describe(int id) {
        VhostUserRequest r = of(id);
        return r != null ? r.name() : "request " + Integer.toUnsignedString(id);
    }
}
