package dev.lmforge.activities.text;

/**
 * Limits on bad input while reading a corpus; the data stage's settings give them.
 *
 * @param maxDocumentBytes a record (line) or text file longer than this is skipped and counted as an error
 * @param maxErrorRatio    the share of unreadable records (and files) above which the stage fails
 */
public record ReadingLimits(long maxDocumentBytes, double maxErrorRatio) {
}
