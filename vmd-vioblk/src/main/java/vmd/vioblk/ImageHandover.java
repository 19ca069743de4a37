package vmd.vioblk;

import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import vmd.disk.Disk;

/**
 * The disk image across a change of owner. A live migration runs two vioblk processes on
 * one image: the destination's opens it while the source's still writes, and qcow2 keeps
 * metadata (L1/L2 tables, refcounts) cached and written back, so neither may trust what
 * the other had cached. As QEMU inactivates and invalidates its block layer, this flushes
 * the image when the front-end has stopped every ring (the source's stop) and reads its
 * metadata anew when a ring starts after that, or for the first time (the destination's
 * restore, or a boot: then it re-reads what it just read, a few KiB).
 */
final class ImageHandover {
    private static final Logger log = LoggerFactory.getLogger(ImageHandover.class);

    /** Opens the same image files again, leaving them open if it fails. */
    interface Reopener {
        Disk reopen() throws IOException;
    }

    private final String name;
    private final Reopener reopener;
    private volatile Disk disk;
    /** Whether another process may have written the image since {@link #disk} read it. */
    private boolean mayBeStale = true;

    ImageHandover(String name, Disk disk, Reopener reopener) {
        this.name = name;
        this.disk = disk;
        this.reopener = reopener;
    }

    Disk disk() {
        return disk;
    }

    /** Every ring has stopped and no request is in flight: the image goes to the file whole. */
    void released() {
        if (disk.readOnly()) {
            mayBeStale = true;
            return;
        }
        try {
            disk.flush();
            mayBeStale = true;
        } catch (IOException e) {
            // the cached metadata is the only copy of what failed: keep it, never re-read over it
            log.warn("{}: flushing the image as its rings stopped: {}", name, e.getMessage());
        }
    }

    /** A ring starts while none ran: take the image as the file has it now. */
    void acquired() {
        if (!mayBeStale || reopener == null) return;
        try {
            Disk fresh = reopener.reopen();
            if (fresh.size() != disk.size()) {
                log.warn("{}: the image is now {} bytes, not {}; the guest keeps the size it was shown", name, fresh.size(),
                        disk.size());
            }
            disk = fresh; // the old one is dropped unclosed: it shares the image's descriptors
            mayBeStale = false;
        } catch (IOException | RuntimeException e) {
            log.warn("{}: reading the image's metadata anew: {}; going on with what was read before", name, e.getMessage());
        }
    }
}
