package vmd.vhostuser;

/** The peer went away: end of stream, EPIPE, ECONNRESET, or no reply in time. */
public class VhostUserClosedException extends VhostUserException {
    public VhostUserClosedException(String message) {
        super(message);
    }

    public VhostUserClosedException(String message, Throwable cause) {
        super(message, cause);
    }
}
