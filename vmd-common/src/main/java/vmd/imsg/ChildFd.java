package vmd.imsg;

import java.util.Objects;

/** CHILD_FD: names the descriptor that travels with the message ("memfd", "tap0", "disk0", "vhost-user"). */
public record ChildFd(String label) implements ImsgPayload {
    public ChildFd {
        Objects.requireNonNull(label, "label");
        if (label.isEmpty() || label.length() > 64) throw new IllegalArgumentException("descriptor label must be 1-64 characters: \"" + label + "\"");
    }

    @Override
    public void encode(PayloadWriter out) {
        out.string(label);
    }

    public static ChildFd decode(PayloadReader in) {
        return new ChildFd(in.string());
    }
}
