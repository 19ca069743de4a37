package vmd.parent.config;

/**
 * {@code device restarts N per S} (Linux): a crashed device process of a VM is restarted
 * at most {@code count} times within any {@code seconds}; past that it is left dead, so a
 * guest that can crash its device at will cannot make the host respawn it forever. The
 * default is 3 per 60 s; a soak test raises it.
 */
public record DeviceRestarts(int count, int seconds) {
    public static final DeviceRestarts DEFAULT = new DeviceRestarts(3, 60);
    /** Each device keeps a timestamp per restart in the window: this bounds that memory. */
    public static final int MAX_COUNT = 10_000;
    /** A day. */
    public static final int MAX_SECONDS = 86_400;

    public DeviceRestarts {
        if (count < 0 || count > MAX_COUNT || seconds < 1 || seconds > MAX_SECONDS) {
            throw new IllegalArgumentException("device restarts " + count + " per " + seconds);
        }
    }

    @Override
    public String toString() {
        return count + " per " + seconds;
    }
}
