package vmd.imsg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;
import vmd.imsg.VmTerminated.ExitKind;

class PayloadCodecTest {
    /** Encodes into a message, frames it, decodes the frame, decodes the payload. */
    private static <T extends ImsgPayload> T roundTrip(ImsgType type, T payload, PayloadDecoder<T> decoder) {
        // A descriptor number is enough here: the decoder hands it out and nobody closes it.
        int fd = type.fd() == FdPolicy.REQUIRED ? 1000 : -1;
        ByteBuffer frame = ImsgEncoder.encode(Imsg.of(type, payload).withFd(fd));
        ImsgDecoder d = new ImsgDecoder();
        d.feed(frame, fd < 0 ? new int[0] : new int[] {fd});
        Imsg msg = d.next();
        assertEquals(fd, msg.fd());
        assertEquals(type, msg.type());
        T back = msg.decode(decoder);
        assertEquals(payload, back);
        return back;
    }

    @Test
    void everyLifecyclePayloadRoundTrips() {
        roundTrip(ImsgType.CHILD_READY, new ChildReady("vioblk", 4242), ChildReady::decode);
        roundTrip(ImsgType.CHILD_READY, new ChildReady("vm", 7, vmd.proc.AotCache.State.REJECTED), ChildReady::decode);
        roundTrip(ImsgType.CHILD_FD, new ChildFd("vhost-user"), ChildFd::decode);
        roundTrip(ImsgType.SHUTDOWN, new Shutdown(30_000), Shutdown::decode);
        roundTrip(ImsgType.CHILD_EXITING, new Reason("guest powered off: ünïcode ✓"), Reason::decode);
        roundTrip(ImsgType.VM_STARTED, new Reason(""), Reason::decode);
        roundTrip(ImsgType.CTL_OK, CtlResult.ok(), CtlResult::decode);
        roundTrip(ImsgType.CTL_FAIL, CtlResult.fail(13, "permission denied"), CtlResult::decode);
        roundTrip(ImsgType.LOG_LEVEL, LogLevel.VERBOSE, LogLevel::decode);
        roundTrip(ImsgType.CTL_VERBOSE, new LogLevel(2), LogLevel::decode);
        roundTrip(ImsgType.DEVICE_RECONNECT, new ChildFd("nic0"), ChildFd::decode);
        roundTrip(ImsgType.DEVICE_FAILED, new DeviceFailed("disk1", "vioblk a/disk1 killed by signal 9"), DeviceFailed::decode);
        for (ExitKind k : ExitKind.values()) {
            roundTrip(ImsgType.VM_TERMINATED, new VmTerminated(k, "because " + k), VmTerminated::decode);
        }
    }

    @Test
    void writerAndReaderAgreeOnEveryPrimitive() {
        PayloadWriter w = new PayloadWriter()
                .u8(255).u16(65535).u32(0xffff_ffffL).i32(-7).u64(-1L).bool(true).bool(false)
                .string("").string("héllo").bytes(new byte[] {1, 2, 3})
                .list(List.of("a", "bc"), PayloadWriter::string);
        PayloadReader r = new PayloadReader(w.toByteArray());
        assertEquals(255, r.u8());
        assertEquals(65535, r.u16());
        assertEquals(0xffff_ffffL, r.u32());
        assertEquals(-7, r.i32());
        assertEquals(-1L, r.u64());
        assertTrue(r.bool());
        assertEquals(false, r.bool());
        assertEquals("", r.string());
        assertEquals("héllo", r.string());
        assertArrayEquals(new byte[] {1, 2, 3}, r.bytes());
        assertEquals(List.of("a", "bc"), r.list(PayloadReader::string));
        r.finish();
    }

    @Test
    void wireLayoutIsLittleEndian() {
        assertArrayEquals(new byte[] {0x04, 0x03, 0x02, 0x01, 2, 0, 0, 0, 'h', 'i'},
                new PayloadWriter().u32(0x01020304).string("hi").toByteArray());
    }

    private static String malformed(byte[] payload, PayloadDecoder<?> decoder) {
        return assertThrows(ImsgProtocolException.class, () -> {
            PayloadReader r = new PayloadReader(payload);
            decoder.decode(r);
            r.finish();
        }).getMessage();
    }

    @Test
    void malformedPayloadsSayWhatWasWrong() {
        byte[] hugeString = new PayloadWriter().u32(70000).u64(0).u32(0).toByteArray();
        assertEquals("string length 70000 exceeds payload (12 bytes left)", malformed(hugeString, PayloadReader::string));
        assertEquals("byte array length 4294967295 exceeds payload (0 bytes left)",
                malformed(new PayloadWriter().u32(0xffff_ffffL).toByteArray(), PayloadReader::bytes));
        assertEquals("u32 needs 4 bytes, payload has 2 left", malformed(new byte[] {1, 2}, PayloadReader::u32));
        assertEquals("bool value 7 is neither 0 nor 1", malformed(new byte[] {7}, PayloadReader::bool));
        assertEquals("string of 2 bytes is not valid UTF-8",
                malformed(new PayloadWriter().u32(2).u8(0xc3).u8(0x28).toByteArray(), PayloadReader::string));
        assertEquals("list count 1000000 exceeds payload (0 bytes left)",
                malformed(new PayloadWriter().u32(1_000_000).toByteArray(), r -> r.list(PayloadReader::u8)));
        assertEquals("3 trailing bytes after payload", malformed(new byte[] {1, 2, 3, 4}, PayloadReader::u8));
        assertEquals("unknown exit kind 9",
                malformed(new PayloadWriter().u8(9).string("x").toByteArray(), VmTerminated::decode));
    }

    @Test
    void imsgDecodeNamesTheTypeAndWrapsRecordValidation() {
        Imsg trailing = Imsg.of(ImsgType.SHUTDOWN, new PayloadWriter().i32(5).u8(0).toByteArray());
        assertEquals("malformed SHUTDOWN payload: 1 trailing bytes after payload",
                assertThrows(ImsgProtocolException.class, () -> trailing.decode(Shutdown::decode)).getMessage());
        Imsg negativePid = Imsg.of(ImsgType.CHILD_READY, new PayloadWriter().string("vm").i32(-1).u8(0).toByteArray());
        assertEquals("malformed CHILD_READY payload: pid must be positive: -1",
                assertThrows(ImsgProtocolException.class, () -> negativePid.decode(ChildReady::decode)).getMessage());
        Imsg badAot = Imsg.of(ImsgType.CHILD_READY, new PayloadWriter().string("vm").i32(7).u8(9).toByteArray());
        assertEquals("malformed CHILD_READY payload: unknown AOT cache state 9",
                assertThrows(ImsgProtocolException.class, () -> badAot.decode(ChildReady::decode)).getMessage());
        Imsg empty = Imsg.of(ImsgType.CHILD_FD);
        assertEquals("malformed CHILD_FD payload: u32 needs 4 bytes, payload has 0 left",
                assertThrows(ImsgProtocolException.class, () -> empty.decode(ChildFd::decode)).getMessage());
    }

    @Test
    void writerRejectsOutOfRangeValues() {
        assertThrows(IllegalArgumentException.class, () -> new PayloadWriter().u8(256));
        assertThrows(IllegalArgumentException.class, () -> new PayloadWriter().u16(-1));
        assertThrows(IllegalArgumentException.class, () -> new PayloadWriter().u32(1L << 32));
        assertThrows(IllegalArgumentException.class, () -> new PayloadWriter().string("\ud800"));
        assertThrows(IllegalArgumentException.class, () -> new PayloadWriter().list(List.of(1), (w, x) -> { }));
    }

    @Test
    void reasonOfCutsLongText() {
        Reason r = Reason.of("x".repeat(100_000));
        assertEquals(Reason.MAX_CHARS, r.text().length());
        assertTrue(r.text().endsWith("..."));
        Imsg.of(ImsgType.CHILD_EXITING, r); // fits in a frame
    }

    @Test
    void cutTextNeverEndsInHalfASurrogatePair() {
        String text = "a".repeat(Reason.MAX_CHARS - 4) + "\ud83d\ude00" + "b".repeat(10); // the emoji straddles the cut
        Imsg.of(ImsgType.CHILD_EXITING, Reason.of(text)); // encodes
        DeviceFailed f = new DeviceFailed("disk0", text);
        assertTrue(f.reason().endsWith("a..."));
        assertEquals(f, Imsg.of(ImsgType.DEVICE_FAILED, f).decode(DeviceFailed::decode));
    }
}
