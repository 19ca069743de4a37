package vmd.imsg;

/** A send on a channel that is closed, or whose peer has gone (EPIPE, ECONNRESET). */
public class ImsgChannelClosedException extends RuntimeException {
    public ImsgChannelClosedException(String message) {
        super(message);
    }

    public ImsgChannelClosedException(String message, Throwable cause) {
        super(message, cause);
    }
}
