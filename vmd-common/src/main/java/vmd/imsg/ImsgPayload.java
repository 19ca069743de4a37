package vmd.imsg;

/**
 * A typed message payload. Implementations are small immutable records with this method
 * and a static {@code decode(PayloadReader)} that reads exactly what it writes.
 */
public interface ImsgPayload {
    void encode(PayloadWriter out);

    /** The encoded payload bytes. */
    default byte[] toBytes() {
        PayloadWriter w = new PayloadWriter();
        encode(w);
        return w.toByteArray();
    }
}
