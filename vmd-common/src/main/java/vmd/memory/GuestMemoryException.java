package vmd.memory;

/** A guest-physical access outside guest RAM, or guest memory that cannot be trusted. */
public class GuestMemoryException extends RuntimeException {
    public GuestMemoryException(String message) {
        super(message);
    }
}
