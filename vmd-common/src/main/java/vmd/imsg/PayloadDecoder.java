package vmd.imsg;

/**
 * Reads one value from a payload; usually a record's static {@code decode}, as in
 * {@code msg.decode(ChildFd::decode)}. Throws {@link ImsgProtocolException} on malformed input.
 */
@FunctionalInterface
public interface PayloadDecoder<T> {
    T decode(PayloadReader in);
}
