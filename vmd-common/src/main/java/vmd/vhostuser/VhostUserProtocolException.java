package vmd.vhostuser;

/**
 * The peer sent something the protocol does not allow: a bad header, a payload of the
 * wrong size, a reply to a different request. What follows on the stream cannot be
 * trusted; the connection should be closed.
 */
public class VhostUserProtocolException extends VhostUserException {
    public VhostUserProtocolException(String message) {
        super(message);
    }
}
