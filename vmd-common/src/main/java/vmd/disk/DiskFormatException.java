package vmd.disk;

import java.io.IOException;

/**
 * An image that cannot be used as it is: corrupt or truncated metadata, an unsupported
 * feature, a bad backing chain. The message always starts with the image's display name,
 * e.g. {@code /var/vm/a.qcow2: L1 table at offset 0x50000 beyond end of file}.
 */
public class DiskFormatException extends IOException {
    private final String image;
    private final String problem;

    public DiskFormatException(String image, String problem) {
        super(image + ": " + problem);
        this.image = image;
        this.problem = problem;
    }

    public DiskFormatException(String image, String problem, Throwable cause) {
        super(image + ": " + problem, cause);
        this.image = image;
        this.problem = problem;
    }

    /** The display name of the image the problem is in. */
    public String image() {
        return image;
    }

    /** The problem without the image name. */
    public String problem() {
        return problem;
    }
}
