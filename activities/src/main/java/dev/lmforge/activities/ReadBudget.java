package dev.lmforge.activities;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * What one stage attempt has read so far against its worker's {@link AttemptCaps}. Reading past a cap throws
 * {@link InvalidInputException} naming the source, the cap and its setting, so the attempt stops there (its
 * temporary files are removed by whoever made them) instead of filling the disk. Not thread-safe: one per reader.
 */
public final class ReadBudget {

    private final AttemptCaps caps;
    private long expanded;
    private long documents;

    public ReadBudget(AttemptCaps caps) {
        this.caps = caps;
    }

    /** No caps: for the command line, which reads the user's own files as the user. */
    public static ReadBudget unlimited() {
        return new ReadBudget(new AttemptCaps(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE));
    }

    /**
     * {@code decompressed}, the content of {@code source} ({@code storedBytes} on disk), counting every byte read
     * against the expanded-bytes cap and, past {@link AttemptCaps#RATIO_GRACE_BYTES}, the expansion ratio.
     */
    public InputStream meter(String source, InputStream decompressed, long storedBytes) {
        long ratioCap = storedBytes > 0 && caps.maxExpansionRatio() < Long.MAX_VALUE / storedBytes
                ? Math.max(AttemptCaps.RATIO_GRACE_BYTES, storedBytes * caps.maxExpansionRatio()) : Long.MAX_VALUE;
        return new FilterInputStream(decompressed) {
            private long fileBytes;

            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                    count(1);
                }
                return b;
            }

            @Override
            public int read(byte[] buffer, int offset, int length) throws IOException {
                int n = super.read(buffer, offset, length);
                if (n > 0) {
                    count(n);
                }
                return n;
            }

            private void count(int n) {
                fileBytes += n;
                expanded += n;
                if (fileBytes > ratioCap) {
                    throw new InvalidInputException(source + ": expands more than " + caps.maxExpansionRatio()
                            + " times its stored size of " + storedBytes + " bytes; reading stopped at " + fileBytes
                            + " bytes (a compression bomb? lmforge.limits.expansion-ratio raises the cap)");
                }
                if (expanded > caps.maxExpandedBytes()) {
                    throw new InvalidInputException(source + ": this attempt read more than its cap of "
                            + caps.maxExpandedBytes() + " bytes after decompression; reading stopped "
                            + "(lmforge.limits.expanded-bytes raises the cap)");
                }
            }
        };
    }

    /** Counts one document read from {@code source}, refusing one past the documents cap. */
    public void document(String source) {
        if (++documents > caps.maxDocuments()) {
            throw new InvalidInputException(source + ": this attempt read more than its cap of " + caps.maxDocuments()
                    + " documents; reading stopped (lmforge.limits.documents raises the cap)");
        }
    }
}
