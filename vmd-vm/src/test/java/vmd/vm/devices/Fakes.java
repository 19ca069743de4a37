package vmd.vm.devices;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/** Small hand-written fakes of the device-facing interfaces. */
final class Fakes {
    private Fakes() {}

    /** Records every level change and the current level. */
    static final class Line implements InterruptLine {
        final List<Boolean> changes = new ArrayList<>();
        volatile boolean level;

        @Override
        public synchronized void set(boolean asserted) {
            changes.add(asserted);
            level = asserted;
        }

        synchronized int raises() {
            int n = 0;
            for (boolean b : changes) if (b) n++;
            return n;
        }
    }

    static final class Power implements PowerControl {
        final List<String> events = new ArrayList<>();

        @Override
        public synchronized void powerOff(String why) {
            events.add("off:" + why);
        }

        @Override
        public synchronized void reset(String why) {
            events.add("reset:" + why);
        }
    }

    static final class Output implements ConsoleOutput {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        @Override
        public synchronized void write(byte b) {
            bytes.write(b);
        }

        synchronized String text() {
            return bytes.toString(java.nio.charset.StandardCharsets.ISO_8859_1);
        }
    }
}
