package vmd.vionet;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** Control-queue commands as a hostile driver may send them: only a well-formed VQ_PAIRS_SET in range is OK. */
class NetControlTest {
    static byte[] pairsSet(int n) {
        return new byte[] {NetControl.CLASS_MQ, NetControl.MQ_VQ_PAIRS_SET, (byte) n, (byte) (n >> 8)};
    }

    static NetControl.Command parse(byte[] b) {
        return NetControl.parse(b, b.length, true, 4);
    }

    @Test
    void acceptsPairsInRange() {
        for (int n = 1; n <= 4; n++) {
            NetControl.Command c = parse(pairsSet(n));
            assertTrue(c.ok(), c.error());
            assertEquals(n, c.pairs());
        }
    }

    @Test
    void refusesZeroAndMoreThanOffered() {
        assertFalse(parse(pairsSet(0)).ok());
        assertFalse(parse(pairsSet(5)).ok());
        assertFalse(parse(pairsSet(0x8000)).ok());
        assertFalse(parse(pairsSet(0xffff)).ok());
    }

    @Test
    void refusesOtherClassesAndCommands() {
        assertFalse(parse(new byte[] {0, 0, 1}).ok(), "CTRL_RX PROMISC: not offered");
        assertFalse(parse(new byte[] {1, 1, 0, 0, 0, 0, 0, 0}).ok(), "CTRL_MAC ADDR_SET: not offered");
        assertFalse(parse(new byte[] {5, 0, 0, 0, 0, 0, 0, 0, 0, 0}).ok(), "GUEST_OFFLOADS: not offered");
        assertFalse(parse(new byte[] {NetControl.CLASS_MQ, 1, 1, 0}).ok(), "RSS_CONFIG: not offered");
        assertFalse(parse(new byte[] {NetControl.CLASS_MQ, 2, 1, 0}).ok(), "HASH_CONFIG: not offered");
        assertFalse(parse(new byte[] {(byte) 0xff, (byte) 0xff, 1, 0}).ok());
    }

    @Test
    void refusesMalformedCommands() {
        assertFalse(parse(new byte[0]).ok(), "empty");
        assertFalse(parse(new byte[] {NetControl.CLASS_MQ}).ok(), "class only");
        assertFalse(parse(new byte[] {NetControl.CLASS_MQ, 0}).ok(), "no data");
        assertFalse(parse(new byte[] {NetControl.CLASS_MQ, 0, 2}).ok(), "half the data");
        assertFalse(parse(new byte[] {NetControl.CLASS_MQ, 0, 2, 0, 0}).ok(), "a byte too many");
        // the chain is longer than what was read: still malformed
        assertFalse(NetControl.parse(pairsSet(2), 4096, true, 4).ok());
        // a chain claiming 4 bytes whose bytes could not all be read
        assertFalse(NetControl.parse(new byte[] {NetControl.CLASS_MQ, 0}, 4, true, 4).ok());
    }

    @Test
    void refusesMqWithoutTheFeature() {
        assertFalse(NetControl.parse(pairsSet(1), 4, false, 4).ok());
    }
}
