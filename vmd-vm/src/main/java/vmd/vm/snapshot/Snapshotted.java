package vmd.vm.snapshot;

/**
 * A device model whose state travels in a snapshot. {@code saveState} runs with the
 * vCPUs paused and the device quiesced; {@code restoreState} runs on a freshly built
 * device of the same configuration, after guest memory is back and before any vCPU runs.
 */
public interface Snapshotted {
    void saveState(StateWriter out);

    /** Throws {@link SnapshotException} for a state this device cannot take. */
    void restoreState(StateReader in);
}
