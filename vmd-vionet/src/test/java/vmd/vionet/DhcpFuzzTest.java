package vmd.vionet;

import static org.junit.jupiter.api.Assertions.*;
import static vmd.vionet.DhcpResponderTest.GUEST;
import static vmd.vionet.DhcpResponderTest.HOST;
import static vmd.vionet.DhcpResponderTest.HOST_MAC;
import static vmd.vionet.DhcpResponderTest.MAC;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Coverage-guided (Jazzer) DHCP server: any frame from the guest yields no reply or a
 * well-formed one (lengths and checksums consistent, options terminated, within the frame
 * limit) of the kind the request asks, and nothing but a reply or null; a well-formed
 * request built from fuzzer data gets the configured lease. Seeds and past findings:
 * src/test/resources/vmd/vionet/DhcpFuzzTestInputs; bench/fuzz.sh runs each for 10^6 inputs.
 */
class DhcpFuzzTest {
    /** The VM's name is the host name handed out: valid ones, the longest, and ones the server must leave out. */
    private static final String[] NAMES = {"web", "vm-01.example", "a".repeat(63), "bad_name", "-x", "a".repeat(64), null};
    private static final DhcpResponder[] SERVERS = new DhcpResponder[NAMES.length];

    static {
        for (int i = 0; i < NAMES.length; i++) SERVERS[i] = new DhcpResponder(MAC, HOST_MAC, GUEST, HOST, NAMES[i]);
    }

    /** Any bytes as a frame from the guest (seeds: what dhclient and udhcpc send, and near misses). */
    @FuzzTest
    void anyFrame(byte[] f) {
        DhcpResponder dhcp = SERVERS[0];
        DhcpResponder.Request q = dhcp.parse(f, f.length);
        byte[] r = dhcp.respond(f, f.length);
        if (q == null) {
            assertNull(r, "a reply to a frame that is not a request");
            return;
        }
        int expected = switch (q.messageType()) {
            case 0 -> 0;
            case DhcpResponder.DISCOVER -> DhcpResponder.OFFER;
            case DhcpResponder.REQUEST -> {
                int asked = q.requested() != 0 ? q.requested() : q.ciaddr();
                yield asked == 0 || asked == GUEST ? DhcpResponder.ACK : DhcpResponder.NAK;
            }
            case DhcpResponder.INFORM -> DhcpResponder.ACK;
            default -> -1;
        };
        if (expected < 0) {
            assertNull(r, "a reply to DHCP message type " + q.messageType());
            return;
        }
        assertNotNull(r, "no reply to a request of type " + q.messageType());
        ReplyChecks.DhcpReply a = ReplyChecks.dhcp(r, MAC, HOST_MAC, HOST);
        assertEquals(expected, a.type());
        assertEquals(q.xid(), a.xid());
        assertEquals(q.broadcast(), (a.flags() & 0x8000) != 0, "the broadcast flag echoed");
    }

    /** A well-formed request with fuzzed fields: the answer is the configured lease, or a NAK for another address. */
    @FuzzTest
    void request(FuzzedDataProvider in) {
        int server = in.consumeInt(0, SERVERS.length - 1);
        FuzzedDhcpRequest q = FuzzedDhcpRequest.from(in, MAC, HOST_MAC, GUEST, HOST);
        byte[] r = SERVERS[server].respond(q.frame(), q.frame().length);
        if (q.kind() == FuzzedDhcpRequest.Kind.RELEASE) {
            assertNull(r, "RELEASE needs no answer");
            return;
        }
        assertNotNull(r, "no answer to " + q.kind());
        ReplyChecks.DhcpReply a = ReplyChecks.dhcp(r, MAC, HOST_MAC, HOST);
        assertEquals(q.xid(), a.xid());
        assertEquals(q.broadcast(), (a.flags() & 0x8000) != 0, "the broadcast flag echoed");
        boolean nak = q.kind() == FuzzedDhcpRequest.Kind.OTHER_ADDRESS && !(q.requested() == 0 ? q.ciaddr() == 0 || q.ciaddr() == GUEST
                : q.requested() == GUEST);
        assertEquals(q.broadcast() || nak, a.dstIp() == -1, "broadcast if asked, and every NAK");
        if (!nak && !q.broadcast()) assertEquals(GUEST, a.dstIp());
        switch (q.kind()) {
            case DISCOVER -> assertEquals(DhcpResponder.OFFER, a.type());
            case BOOTP -> assertEquals(0, a.type());
            default -> assertEquals(nak ? DhcpResponder.NAK : DhcpResponder.ACK, a.type());
        }
        if (a.type() != 0) assertEquals(HOST, a.u32(DhcpResponder.OPT_SERVER_ID));
        if (nak) {
            assertEquals(0, a.yiaddr(), "a NAK gives no address");
            assertNull(a.options().get(DhcpResponder.OPT_ROUTERS), "a NAK carries no configuration");
            assertNull(a.options().get(DhcpResponder.OPT_LEASE_TIME));
            return;
        }
        if (q.kind() == FuzzedDhcpRequest.Kind.INFORM) {
            assertEquals(0, a.yiaddr(), "INFORM: the client has its address");
            assertEquals(q.ciaddr(), a.ciaddr());
            assertNull(a.options().get(DhcpResponder.OPT_LEASE_TIME), "INFORM: no lease");
        } else {
            assertEquals(GUEST, a.yiaddr(), "the guest's one address");
            if (a.type() != 0) assertEquals(-1, a.u32(DhcpResponder.OPT_LEASE_TIME), "an infinite lease");
        }
        assertEquals(HOST, a.siaddr());
        assertEquals(0xfffffffe, a.u32(DhcpResponder.OPT_SUBNET_MASK), "a /31");
        assertEquals(HOST, a.u32(DhcpResponder.OPT_ROUTERS));
        assertEquals(HOST, a.u32(DhcpResponder.OPT_DNS));
        String name = NAMES[server];
        byte[] sent = a.options().get(DhcpResponder.OPT_HOST_NAME);
        if (name != null && DhcpResponder.validHostname(name)) assertArrayEquals(name.getBytes(StandardCharsets.US_ASCII), sent);
        else assertNull(sent, "no host name for \"" + name + "\"");
    }
}
