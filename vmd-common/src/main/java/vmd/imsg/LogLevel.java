package vmd.imsg;

/** LOG_LEVEL / CTL_VERBOSE: 0 is brief, 1 verbose, higher is debug (as vmd -v -v). */
public record LogLevel(int verbosity) implements ImsgPayload {
    public static final LogLevel BRIEF = new LogLevel(0);
    public static final LogLevel VERBOSE = new LogLevel(1);

    public LogLevel {
        if (verbosity < 0 || verbosity > 255) throw new IllegalArgumentException("verbosity out of range 0..255: " + verbosity);
    }

    public boolean verbose() {
        return verbosity > 0;
    }

    @Override
    public void encode(PayloadWriter out) {
        out.u8(verbosity);
    }

    public static LogLevel decode(PayloadReader in) {
        return new LogLevel(in.u8());
    }
}
