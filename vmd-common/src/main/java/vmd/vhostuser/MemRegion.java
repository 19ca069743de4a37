package vmd.vhostuser;

import java.nio.ByteBuffer;

/**
 * One VhostUserMemoryRegion: guest-physical address, size, the front-end's user address
 * of the region, and the offset of the region in the descriptor sent with it.
 */
public record MemRegion(long guestAddress, long size, long userAddress, long mmapOffset) {
    public static final int SIZE = 32;

    void encode(ByteBuffer b) {
        b.putLong(guestAddress).putLong(size).putLong(userAddress).putLong(mmapOffset);
    }

    static MemRegion decode(ByteBuffer b, int at) {
        return new MemRegion(b.getLong(at), b.getLong(at + 8), b.getLong(at + 16), b.getLong(at + 24));
    }

    /** Whether [user, user+length) lies inside this region's user range. */
    public boolean containsUser(long user, long length) {
        return length >= 0 && Long.compareUnsigned(user, userAddress) >= 0
                && Long.compareUnsigned(user - userAddress, size) < 0
                && Long.compareUnsigned(length, size - (user - userAddress)) <= 0;
    }

    /** The guest-physical address of a user address inside this region. */
    public long userToGuest(long user) {
        return guestAddress + (user - userAddress);
    }

    @Override
    public String toString() {
        // no String.format on a child's normal path: it loads the locale data (ChildLog)
        return "MemRegion[gpa=0x" + Long.toHexString(guestAddress) + " size=0x" + Long.toHexString(size)
                + " user=0x" + Long.toHexString(userAddress) + " offset=0x" + Long.toHexString(mmapOffset) + "]";
    }
}
