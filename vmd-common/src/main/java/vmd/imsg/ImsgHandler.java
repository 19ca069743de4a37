package vmd.imsg;

/** What a channel's reader calls: once per received message, then once when the channel is closed. */
public interface ImsgHandler {
    /**
     * Handles one message on the channel's reader thread. The handler owns {@code msg.fd()}
     * (close it or hand it on, also when throwing after taking it). Throwing, for example an
     * {@link ImsgProtocolException} from {@link Imsg#decode}, closes this channel, and only it.
     */
    void handle(ImsgChannel channel, Imsg msg) throws Exception;

    /**
     * The channel is closed: the peer closed it, it sent something malformed, a handler failed,
     * or it was closed locally. Called once, on the reader thread; no message follows.
     */
    default void closed(ImsgChannel channel, String reason) {}
}
