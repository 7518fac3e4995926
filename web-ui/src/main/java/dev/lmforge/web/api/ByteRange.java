package dev.lmforge.web.api;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one byte range a {@code Range} header asks of a representation of {@code size} bytes (RFC 9110 §14.1.2),
 * clamped to its end: {@code first} to {@code last} inclusive. A range that starts at or past the end, or a
 * suffix of zero bytes, is not {@link #satisfiable()}.
 */
record ByteRange(long first, long last) {

    /** Whether any byte of the representation lies in the range. */
    boolean satisfiable() {
        return first <= last;
    }

    long length() {
        return last - first + 1;
    }

    /**
     * The range {@code header} asks for; empty when it is to be ignored and the whole representation sent: absent,
     * not in bytes, malformed, or several ranges (answering those needs a multipart body, which RFC 9110 lets a
     * server decline this way).
     */
    static Optional<ByteRange> parse(String header, long size) {
        Matcher m = header == null ? null : ONE_RANGE.matcher(header.strip());
        if (m == null || !m.matches() || (m.group(1).isEmpty() && m.group(2).isEmpty())) {
            return Optional.empty();
        }
        try {
            if (m.group(1).isEmpty()) {
                long suffix = Long.parseLong(m.group(2));
                return Optional.of(new ByteRange(Math.max(0, size - suffix), size - 1));
            }
            long first = Long.parseLong(m.group(1));
            if (m.group(2).isEmpty()) {
                return Optional.of(new ByteRange(first, size - 1));
            }
            long last = Long.parseLong(m.group(2));
            return last < first ? Optional.empty() : Optional.of(new ByteRange(first, Math.min(last, size - 1)));
        } catch (NumberFormatException e) {
            return Optional.empty(); // more digits than a long holds: malformed, so ignored
        }
    }

    /** {@code bytes=first-last}, {@code bytes=first-} or {@code bytes=-suffixLength}. */
    private static final Pattern ONE_RANGE = Pattern.compile("bytes=\\s*(\\d*)\\s*-\\s*(\\d*)\\s*");
}
