package vmd.vhostuser;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VhostUserCodecTest {
    static ByteBuffer header(int request, int flags, int size) {
        return ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(request).putInt(flags).putInt(size).flip();
    }

    static VhostUserMessage roundTrip(VhostUserMessage m) {
        ByteBuffer b = VhostUserCodec.encode(m);
        assertEquals(12 + m.size(), b.remaining());
        return VhostUserCodec.decode(b);
    }

    @Test
    void requestNumbersMatchTheSpec() {
        Map<VhostUserRequest, Integer> expected = Map.ofEntries(Map.entry(VhostUserRequest.GET_FEATURES, 1),
                Map.entry(VhostUserRequest.SET_FEATURES, 2), Map.entry(VhostUserRequest.SET_OWNER, 3),
                Map.entry(VhostUserRequest.RESET_OWNER, 4), Map.entry(VhostUserRequest.SET_MEM_TABLE, 5),
                Map.entry(VhostUserRequest.SET_LOG_BASE, 6), Map.entry(VhostUserRequest.SET_LOG_FD, 7),
                Map.entry(VhostUserRequest.SET_VRING_NUM, 8), Map.entry(VhostUserRequest.SET_VRING_ADDR, 9),
                Map.entry(VhostUserRequest.SET_VRING_BASE, 10), Map.entry(VhostUserRequest.GET_VRING_BASE, 11),
                Map.entry(VhostUserRequest.SET_VRING_KICK, 12), Map.entry(VhostUserRequest.SET_VRING_CALL, 13),
                Map.entry(VhostUserRequest.SET_VRING_ERR, 14), Map.entry(VhostUserRequest.GET_PROTOCOL_FEATURES, 15),
                Map.entry(VhostUserRequest.SET_PROTOCOL_FEATURES, 16), Map.entry(VhostUserRequest.GET_QUEUE_NUM, 17),
                Map.entry(VhostUserRequest.SET_VRING_ENABLE, 18), Map.entry(VhostUserRequest.SEND_RARP, 19),
                Map.entry(VhostUserRequest.NET_SET_MTU, 20), Map.entry(VhostUserRequest.SET_BACKEND_REQ_FD, 21),
                Map.entry(VhostUserRequest.IOTLB_MSG, 22), Map.entry(VhostUserRequest.SET_VRING_ENDIAN, 23),
                Map.entry(VhostUserRequest.GET_CONFIG, 24), Map.entry(VhostUserRequest.SET_CONFIG, 25),
                Map.entry(VhostUserRequest.GET_INFLIGHT_FD, 31), Map.entry(VhostUserRequest.SET_INFLIGHT_FD, 32),
                Map.entry(VhostUserRequest.GPU_SET_SOCKET, 33), Map.entry(VhostUserRequest.RESET_DEVICE, 34),
                Map.entry(VhostUserRequest.VRING_KICK, 35), Map.entry(VhostUserRequest.GET_MAX_MEM_SLOTS, 36),
                Map.entry(VhostUserRequest.ADD_MEM_REG, 37), Map.entry(VhostUserRequest.REM_MEM_REG, 38),
                Map.entry(VhostUserRequest.SET_STATUS, 39), Map.entry(VhostUserRequest.GET_STATUS, 40),
                Map.entry(VhostUserRequest.GET_SHARED_OBJECT, 41), Map.entry(VhostUserRequest.SET_DEVICE_STATE_FD, 42),
                Map.entry(VhostUserRequest.CHECK_DEVICE_STATE, 43));
        expected.forEach((r, id) -> {
            assertEquals(id, r.id(), r.name());
            assertSame(r, VhostUserRequest.of(id));
        });
        for (int id = 1; id <= 43; id++) assertNotNull(VhostUserRequest.of(id), "id " + id);
        assertNull(VhostUserRequest.of(0));
        assertNull(VhostUserRequest.of(99));
        assertNull(VhostUserRequest.of(-1));
        assertEquals("request 99", VhostUserRequest.describe(99));
        assertEquals(30, ProtocolFeatures.F_PROTOCOL_FEATURES);
        assertEquals(3, ProtocolFeatures.REPLY_ACK);
        assertEquals(9, ProtocolFeatures.CONFIG);
        assertEquals(12, ProtocolFeatures.INFLIGHT_SHMFD);
        assertEquals(13, ProtocolFeatures.RESET_DEVICE);
        assertEquals(15, ProtocolFeatures.CONFIGURE_MEM_SLOTS);
        assertEquals(16, ProtocolFeatures.STATUS);
    }

    @Test
    void headerIsNativeOrderRequestFlagsSize() {
        ByteBuffer b = VhostUserCodec.encode(VhostUserMessage.request(VhostUserRequest.SET_FEATURES, VhostUserMessage.u64(0x1234))
                .needReply(true));
        ByteBuffer le = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(2, le.getInt(0));
        assertEquals(0x1 | 0x8, le.getInt(4));
        assertEquals(8, le.getInt(8));
        assertEquals(0x1234, le.getLong(12));
    }

    @Test
    void messagesRoundTrip() {
        VhostUserMessage m = roundTrip(VhostUserMessage.request(VhostUserRequest.SET_VRING_NUM, new VringState(3, 256).encode()));
        assertEquals(VhostUserRequest.SET_VRING_NUM, m.type());
        assertEquals(new VringState(3, 256), VringState.decode(m));
        assertFalse(m.isReply());
        assertFalse(m.needsReply());

        VhostUserMessage r = roundTrip(VhostUserMessage.replyU64(VhostUserRequest.GET_FEATURES.id(), 0x1_4000_0000L));
        assertTrue(r.isReply());
        assertEquals(0x1_4000_0000L, r.u64());

        VhostUserMessage empty = roundTrip(VhostUserMessage.request(VhostUserRequest.SET_OWNER));
        assertEquals(0, empty.size());

        VhostUserMessage unknown = roundTrip(new VhostUserMessage(99, VhostUserMessage.VERSION | VhostUserMessage.FLAG_NEED_REPLY,
                new byte[] {1, 2, 3}));
        assertNull(unknown.type());
        assertEquals("request 99", unknown.name());
        assertTrue(unknown.needsReply());
        assertArrayEquals(new byte[] {1, 2, 3}, unknown.payload());
    }

    @Test
    void payloadsRoundTrip() {
        VringAddr a = new VringAddr(1, VringAddr.F_LOG, 0x7f00_0000_1000L, 0x7f00_0000_3000L, 0x7f00_0000_2000L, 0x3000);
        assertEquals(a, VringAddr.decode(roundTrip(VhostUserMessage.request(VhostUserRequest.SET_VRING_ADDR, a.encode()))));

        List<MemRegion> regions = new ArrayList<>();
        for (int i = 0; i < MemTable.MAX_REGIONS; i++) regions.add(new MemRegion(i * 0x10_0000L, 0x10_0000, 0x7f00_0000_0000L + i * 0x10_0000L, i * 0x10_0000L));
        MemTable t = new MemTable(regions);
        byte[] enc = t.encode();
        assertEquals(8 + 32 * 8, enc.length);
        assertEquals(t, MemTable.decode(roundTrip(VhostUserMessage.request(VhostUserRequest.SET_MEM_TABLE, enc))));

        MemRegion one = regions.get(3);
        assertEquals(one, MemTable.decodeSingle(roundTrip(VhostUserMessage.request(VhostUserRequest.ADD_MEM_REG, MemTable.encodeSingle(one)))));

        ConfigSpace c = new ConfigSpace(4, ConfigSpace.FLAG_MIGRATION, new byte[] {9, 8, 7});
        ConfigSpace c2 = ConfigSpace.decode(roundTrip(VhostUserMessage.request(VhostUserRequest.SET_CONFIG, c.encode())));
        assertEquals(4, c2.offset());
        assertEquals(ConfigSpace.FLAG_MIGRATION, c2.flags());
        assertArrayEquals(new byte[] {9, 8, 7}, c2.data());

        InflightDescription in = new InflightDescription(4096, 0, 2, 128);
        assertEquals(in, InflightDescription.decode(roundTrip(VhostUserMessage.request(VhostUserRequest.SET_INFLIGHT_FD, in.encode()))));
    }

    @Test
    void userAddressTranslation() {
        MemRegion r = new MemRegion(0x1_0000_0000L, 0x20_0000, 0x7f12_3400_0000L, 0);
        assertTrue(r.containsUser(0x7f12_3400_0000L, 0x20_0000));
        assertTrue(r.containsUser(0x7f12_3410_0000L, 16));
        assertFalse(r.containsUser(0x7f12_3400_0000L, 0x20_0001));
        assertFalse(r.containsUser(0x7f12_341f_fff8L, 16));
        assertFalse(r.containsUser(0x7f12_33ff_fff0L, 16));
        assertFalse(r.containsUser(-16L, 16));
        assertEquals(0x1_0001_0000L, r.userToGuest(0x7f12_3401_0000L));
    }

    @Test
    void truncatedHeader() {
        ByteBuffer b = ByteBuffer.allocate(5);
        assertEquals("truncated header: 5 of 12 bytes",
                assertThrows(VhostUserProtocolException.class, () -> VhostUserCodec.decodeHeader(b)).getMessage());
    }

    @Test
    void badVersion() {
        assertEquals("GET_FEATURES: unsupported protocol version 2",
                assertThrows(VhostUserProtocolException.class, () -> VhostUserCodec.decodeHeader(header(1, 2, 0))).getMessage());
        assertEquals("SET_OWNER: unsupported protocol version 0",
                assertThrows(VhostUserProtocolException.class, () -> VhostUserCodec.decodeHeader(header(3, 0x4, 0))).getMessage());
    }

    @Test
    void payloadTooLarge() {
        assertEquals("SET_MEM_TABLE: payload size 4097 exceeds the maximum of 4096",
                assertThrows(VhostUserProtocolException.class, () -> VhostUserCodec.decodeHeader(header(5, 1, 4097))).getMessage());
        assertEquals("request 99: payload size 4294967295 exceeds the maximum of 4096",
                assertThrows(VhostUserProtocolException.class, () -> VhostUserCodec.decodeHeader(header(99, 1, -1))).getMessage());
        assertEquals(4096, VhostUserCodec.decodeHeader(header(5, 1, 4096)).size());
        assertThrows(IllegalArgumentException.class,
                () -> VhostUserCodec.encode(VhostUserMessage.request(VhostUserRequest.SET_CONFIG, new byte[4097])));
    }

    @Test
    void truncatedPayload() {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(2).putInt(1).putInt(8).putInt(0).flip();
        assertEquals("SET_FEATURES: truncated payload: 4 of 8 bytes",
                assertThrows(VhostUserProtocolException.class, () -> VhostUserCodec.decode(b)).getMessage());
    }

    @Test
    void wrongPayloadSizes() {
        VhostUserMessage shortState = VhostUserMessage.request(VhostUserRequest.SET_VRING_NUM, new byte[4]);
        assertEquals("SET_VRING_NUM: payload size 4, expected 8",
                assertThrows(VhostUserProtocolException.class, () -> VringState.decode(shortState)).getMessage());
        VhostUserMessage shortU64 = VhostUserMessage.request(VhostUserRequest.SET_FEATURES, new byte[7]);
        assertEquals("SET_FEATURES: payload size 7, expected 8",
                assertThrows(VhostUserProtocolException.class, shortU64::u64).getMessage());
        VhostUserMessage addr = VhostUserMessage.request(VhostUserRequest.SET_VRING_ADDR, new byte[32]);
        assertEquals("SET_VRING_ADDR: payload size 32, expected 40",
                assertThrows(VhostUserProtocolException.class, () -> VringAddr.decode(addr)).getMessage());
    }

    @Test
    void memTableLimits() {
        ByteBuffer nine = ByteBuffer.allocate(8 + 32 * 9).order(ByteOrder.nativeOrder()).putInt(9);
        VhostUserMessage m = VhostUserMessage.request(VhostUserRequest.SET_MEM_TABLE, nine.array());
        assertEquals("SET_MEM_TABLE: 9 regions, at most 8",
                assertThrows(VhostUserProtocolException.class, () -> MemTable.decode(m)).getMessage());
        ByteBuffer two = ByteBuffer.allocate(8 + 32).order(ByteOrder.nativeOrder()).putInt(2);
        VhostUserMessage m2 = VhostUserMessage.request(VhostUserRequest.SET_MEM_TABLE, two.array());
        assertEquals("SET_MEM_TABLE: payload size 40, expected 72",
                assertThrows(VhostUserProtocolException.class, () -> MemTable.decode(m2)).getMessage());
        VhostUserMessage tiny = VhostUserMessage.request(VhostUserRequest.SET_MEM_TABLE, new byte[4]);
        assertEquals("SET_MEM_TABLE: payload size 4, expected at least 8",
                assertThrows(VhostUserProtocolException.class, () -> MemTable.decode(tiny)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new MemTable(java.util.Collections.nCopies(9, new MemRegion(0, 4096, 0, 0))).encode());
    }

    @Test
    void configLimits() {
        ByteBuffer big = ByteBuffer.allocate(12).order(ByteOrder.nativeOrder()).putInt(0).putInt(257).putInt(0);
        assertEquals("GET_CONFIG: config range 0+257 exceeds 256 bytes", assertThrows(VhostUserProtocolException.class,
                () -> ConfigSpace.decode(VhostUserMessage.request(VhostUserRequest.GET_CONFIG, big.array()))).getMessage());
        ByteBuffer past = ByteBuffer.allocate(12 + 16).order(ByteOrder.nativeOrder()).putInt(250).putInt(16).putInt(0);
        assertEquals("GET_CONFIG: config range 250+16 exceeds 256 bytes", assertThrows(VhostUserProtocolException.class,
                () -> ConfigSpace.decode(VhostUserMessage.request(VhostUserRequest.GET_CONFIG, past.array()))).getMessage());
        ByteBuffer lying = ByteBuffer.allocate(12 + 4).order(ByteOrder.nativeOrder()).putInt(0).putInt(8).putInt(0);
        assertEquals("GET_CONFIG: payload size 16, expected 20", assertThrows(VhostUserProtocolException.class,
                () -> ConfigSpace.decode(VhostUserMessage.request(VhostUserRequest.GET_CONFIG, lying.array()))).getMessage());
    }
}
