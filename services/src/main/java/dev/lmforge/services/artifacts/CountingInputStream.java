package dev.lmforge.services.artifacts;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.LongAdder;

/** Counts the bytes read through it, and adds them to a running total shared with other streams. */
final class CountingInputStream extends FilterInputStream {

    private final LongAdder total;
    private long count;

    CountingInputStream(InputStream in) {
        this(in, new LongAdder());
    }

    CountingInputStream(InputStream in, LongAdder total) {
        super(in);
        this.total = total;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            count++;
            total.increment();
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) {
            count += n;
            total.add(n);
        }
        return n;
    }

    long count() {
        return count;
    }
}
