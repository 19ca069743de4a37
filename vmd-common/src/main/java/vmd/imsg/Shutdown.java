package vmd.imsg;

/** SHUTDOWN: stop gracefully; the sender forces the child down after {@code timeoutMillis}. */
public record Shutdown(int timeoutMillis) implements ImsgPayload {
    public Shutdown {
        if (timeoutMillis < 0) throw new IllegalArgumentException("timeout must not be negative: " + timeoutMillis);
    }

    @Override
    public void encode(PayloadWriter out) {
        out.i32(timeoutMillis);
    }

    public static Shutdown decode(PayloadReader in) {
        return new Shutdown(in.i32());
    }
}
