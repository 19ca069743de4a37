package vmd.imsg;

import java.util.List;
import java.util.Objects;

/**
 * CHILD_CONFIG for a vioblk process. The image and its backing files arrive as CHILD_FD
 * messages labelled {@code layer0} (the top, the one written), {@code layer1}, ...; the
 * vhost-user socket to the vm process as {@link #FD_VHOST_USER}.
 *
 * @param formats one format label per layer, top first ("raw" or "qcow2")
 */
public record VioblkParams(String name, boolean readOnly, List<String> formats, String serial, int queues)
        implements ImsgPayload {
    public static final String FD_VHOST_USER = "vhost-user";
    public static final int MAX_LAYERS = 17;

    public static String layerLabel(int i) {
        return "layer" + i;
    }

    public VioblkParams {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(serial, "serial");
        formats = List.copyOf(formats);
        if (formats.isEmpty() || formats.size() > MAX_LAYERS) throw new IllegalArgumentException("1-" + MAX_LAYERS + " image layers");
        if (queues < 1 || queues > 16) throw new IllegalArgumentException("queues must be 1-16: " + queues);
    }

    @Override
    public void encode(PayloadWriter out) {
        out.string(name).bool(readOnly).list(formats, PayloadWriter::string).string(serial).u32(queues);
    }

    public static VioblkParams decode(PayloadReader in) {
        return new VioblkParams(in.string(), in.bool(), in.list(PayloadReader::string), in.string(), (int) in.u32());
    }
}
