package vmd.imsg;

/**
 * A peer sent something malformed: a bad frame header, a descriptor nobody claimed, or a
 * payload that does not decode. The message says what was wrong; the channel that saw it is
 * closed, nothing else.
 */
public class ImsgProtocolException extends RuntimeException {
    public ImsgProtocolException(String message) {
        super(message);
    }

    public ImsgProtocolException(String message, Throwable cause) {
        super(message, cause);
    }
}
