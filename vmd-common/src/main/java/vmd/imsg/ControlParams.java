package vmd.imsg;

/**
 * CHILD_CONFIG for the control process. The listening socket arrives before it as a
 * CHILD_FD labelled {@link #FD_LISTENER}.
 *
 * @param maxClients      connections served at once; more are closed on accept
 * @param maxBufferedBytes unsent replies a client may leave queued before it is dropped
 * @param verbosity       log verbosity (as LogLevel)
 */
public record ControlParams(int maxClients, int maxBufferedBytes, int verbosity) implements ImsgPayload {
    public static final String FD_LISTENER = "control-socket";

    public ControlParams {
        if (maxClients < 1 || maxBufferedBytes < 1 || verbosity < 0) throw new IllegalArgumentException("bad control parameters");
    }

    @Override
    public void encode(PayloadWriter out) {
        out.i32(maxClients).i32(maxBufferedBytes).i32(verbosity);
    }

    public static ControlParams decode(PayloadReader in) {
        return new ControlParams(in.i32(), in.i32(), in.i32());
    }
}
