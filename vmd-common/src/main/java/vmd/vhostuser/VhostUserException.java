package vmd.vhostuser;

/** A vhost-user failure: a request the peer refused, a malformed message, a dead peer. */
public class VhostUserException extends RuntimeException {
    public VhostUserException(String message) {
        super(message);
    }

    public VhostUserException(String message, Throwable cause) {
        super(message, cause);
    }
}
