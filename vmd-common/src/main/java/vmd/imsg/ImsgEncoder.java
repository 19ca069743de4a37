package vmd.imsg;

import static vmd.imsg.ImsgHeader.HEADER_SIZE;
import static vmd.imsg.ImsgHeader.MAX_IMSGSIZE;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Turns a message into one frame's bytes. Refuses what the receiving decoder would reject
 * (oversize frame, descriptor against the type's policy) so that a bug shows up in the
 * sender, not as a closed channel in the peer.
 */
public final class ImsgEncoder {
    private ImsgEncoder() {}

    /** The frame, little-endian, positioned at 0. HASFD is set when {@code msg.fd() >= 0}. */
    public static ByteBuffer encode(Imsg msg) {
        checkFdPolicy(msg);
        int length = HEADER_SIZE + msg.payloadLength();
        if (length > MAX_IMSGSIZE) {
            throw new IllegalArgumentException(msg.type() + " frame of " + length + " bytes exceeds " + MAX_IMSGSIZE);
        }
        ByteBuffer frame = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        new ImsgHeader(msg.type().code(), length, msg.flags(), msg.peerId(), msg.pid()).write(frame);
        frame.put(msg.payload());
        return frame.flip();
    }

    private static void checkFdPolicy(Imsg msg) {
        switch (msg.type().fd()) {
            case NONE -> {
                if (msg.hasFd()) throw new IllegalArgumentException(msg.type() + " cannot carry a descriptor");
            }
            case REQUIRED -> {
                if (!msg.hasFd()) throw new IllegalArgumentException(msg.type() + " requires a descriptor");
            }
            case OPTIONAL -> { }
        }
    }
}
