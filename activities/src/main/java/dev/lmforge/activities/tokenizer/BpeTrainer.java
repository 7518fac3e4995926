package dev.lmforge.activities.tokenizer;

import dev.lmforge.activities.text.BpeTokenizer;
import dev.lmforge.activities.text.ByteSliceIndex;
import dev.lmforge.activities.text.IntList;
import dev.lmforge.activities.text.PairIndex;
import dev.lmforge.activities.text.PreTokenizer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Trains a byte-level BPE {@link BpeTokenizer}. Text streams in through {@link #addText}: only the count of each
 * distinct {@link PreTokenizer} piece is kept, never the text. {@link #train} then learns merges with incremental
 * pair counts: each merge updates only the words that hold the merged pair, and a max-heap with lazy updates picks
 * the next pair. The most frequent pair wins; ties go to the smallest (left id, right id), so the result depends
 * on the text alone (no randomness, no seed).
 *
 * <p>Ids: the special tokens first (0..k-1, so their ids do not move with the vocabulary size), then the 256
 * bytes, then the merges in the order learned.
 */
public final class BpeTrainer {

    /** Beginning and end of sentence, padding, and the chat roles SFT formats conversations with. */
    public static final List<String> DEFAULT_SPECIAL_TOKENS =
        List.of("<|bos|>", "<|eos|>", "<|pad|>", "<|system|>", "<|user|>", "<|assistant|>");

    /** How often {@link #train(IntConsumer)} reports progress, in merges. */
    private static final int PROGRESS_EVERY = 1000;

    private final int vocabularySize;
    private final List<String> specialTokens;
    private final ByteSliceIndex pieces = new ByteSliceIndex(1 << 16);
    private final IntList ends = new IntList(1024);
    private long[] pieceCounts = new long[1 << 16];
    private long texts;
    private long bytes;

    /** A trainer for {@code vocabularySize} ids with the {@link #DEFAULT_SPECIAL_TOKENS}. */
    public BpeTrainer(int vocabularySize) {
        this(vocabularySize, DEFAULT_SPECIAL_TOKENS);
    }

    /**
     * @param vocabularySize every id: special tokens, the 256 bytes and the learned merges
     * @param specialTokens  printable ASCII without spaces, each mixing letters with punctuation (like
     *                       {@code <|user|>}) so that no learned token can equal it
     * @throws IllegalArgumentException if the size cannot hold the bytes and special tokens, or a special is invalid
     */
    public BpeTrainer(int vocabularySize, List<String> specialTokens) {
        if (vocabularySize < 256 + specialTokens.size()) {
            throw new IllegalArgumentException("vocabulary size " + vocabularySize + " is smaller than the 256 byte tokens plus "
                + specialTokens.size() + " special tokens (" + (256 + specialTokens.size()) + ")");
        }
        if (new HashSet<>(specialTokens).size() != specialTokens.size()) {
            throw new IllegalArgumentException("special tokens repeat: " + specialTokens);
        }
        for (String special : specialTokens) {
            if (special.isEmpty() || !special.chars().allMatch(c -> c > ' ' && c < 0x7F)) {
                throw new IllegalArgumentException("special token '" + special + "' must be printable ASCII without spaces");
            }
            byte[] utf8 = special.getBytes(StandardCharsets.US_ASCII);
            IntList pieceEnds = new IntList(4);
            PreTokenizer.split(utf8, 0, utf8.length, pieceEnds);
            if (pieceEnds.size() < 2) {
                throw new IllegalArgumentException("special token '" + special
                    + "' could also be learned as an ordinary token; mix letters with punctuation, like <|user|>");
            }
        }
        this.vocabularySize = vocabularySize;
        this.specialTokens = List.copyOf(specialTokens);
    }

    /** Counts the pieces of one text (a document, or a chunk of one cut after a line break). */
    public void addText(String text) {
        addText(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Counts the pieces of UTF-8 {@code utf8}. */
    public void addText(byte[] utf8) {
        ends.clear();
        PreTokenizer.split(utf8, 0, utf8.length, ends);
        int start = 0;
        for (int k = 0; k < ends.size(); k++) {
            int id = pieces.add(utf8, start, ends.get(k));
            if (id == pieceCounts.length) {
                pieceCounts = Arrays.copyOf(pieceCounts, id * 2);
            }
            pieceCounts[id]++;
            start = ends.get(k);
        }
        texts++;
        bytes += utf8.length;
    }

    /** Texts added so far. */
    public long texts() {
        return texts;
    }

    /** Bytes of text added so far. */
    public long bytes() {
        return bytes;
    }

    /** Distinct pieces counted so far. */
    public int distinctPieces() {
        return pieces.size();
    }

    /** {@link #train(IntConsumer)} without progress reports. */
    public BpeTokenizer train() {
        return train(done -> { });
    }

    /**
     * Learns up to {@code vocabularySize - 256 - specials} merges; fewer if the text runs out of pairs.
     *
     * @param progress told the number of merges learned, every thousand merges (to heartbeat a long run)
     * @throws IllegalStateException if no text was added
     */
    public BpeTokenizer train(IntConsumer progress) {
        if (bytes == 0) {
            throw new IllegalStateException("no training text: the input is empty");
        }
        int wanted = vocabularySize - 256 - specialTokens.size();
        List<int[]> learned = new MergeLearner().learn(wanted, progress);
        int offset = specialTokens.size();
        byte[][] tokens = new byte[offset + 256 + learned.size()][];
        Map<String, Integer> specials = new LinkedHashMap<>();
        for (int i = 0; i < offset; i++) {
            tokens[i] = specialTokens.get(i).getBytes(StandardCharsets.US_ASCII);
            specials.put(specialTokens.get(i), i);
        }
        for (int b = 0; b < 256; b++) {
            tokens[offset + b] = new byte[] {(byte) b};
        }
        List<int[]> merges = new ArrayList<>(learned.size());
        for (int m = 0; m < learned.size(); m++) {
            int left = offset + learned.get(m)[0];
            int right = offset + learned.get(m)[1];
            int result = offset + 256 + m;
            byte[] joined = Arrays.copyOf(tokens[left], tokens[left].length + tokens[right].length);
            System.arraycopy(tokens[right], 0, joined, tokens[left].length, tokens[right].length);
            tokens[result] = joined;
            merges.add(new int[] {left, right, result});
        }
        return new BpeTokenizer(tokens, specials, merges);
    }

    /**
     * The merge loop over the counted pieces ("words"), in ids without the special-token offset: bytes 0..255,
     * merge m is 256 + m. Words are symbol runs in one arena and shrink in place as merges apply.
     */
    private final class MergeLearner {
        private final int[] symbols;
        private final int[] wordStart;
        private final int[] wordLength;
        private final long[] wordCount;
        private final int[] wordStamp;
        private final PairIndex pairs = new PairIndex(1 << 16);
        private long[] pairCount = new long[1 << 16];
        private IntList[] pairWords = new IntList[1 << 16];
        private int[] pairStamp = new int[1 << 16];
        private final IntList touched = new IntList(256);
        private final PairHeap heap = new PairHeap();
        private int stamp;

        MergeLearner() {
            int words = 0;
            long total = 0;
            for (int id = 0; id < pieces.size(); id++) {
                if (pieces.keyLength(id) > 1) {
                    words++;
                    total += pieces.keyLength(id);
                }
            }
            symbols = new int[Math.toIntExact(total)];
            wordStart = new int[words];
            wordLength = new int[words];
            wordCount = new long[words];
            wordStamp = new int[words];
            int w = 0;
            int at = 0;
            for (int id = 0; id < pieces.size(); id++) {
                if (pieces.keyLength(id) > 1) {
                    byte[] key = pieces.key(id);
                    wordStart[w] = at;
                    wordLength[w] = key.length;
                    wordCount[w] = pieceCounts[id];
                    for (byte b : key) {
                        symbols[at++] = b & 0xFF;
                    }
                    for (int i = 1; i < key.length; i++) {
                        addPair(symbols[at - key.length + i - 1], symbols[at - key.length + i], wordCount[w], w);
                    }
                    w++;
                }
            }
            for (int p = 0; p < pairs.size(); p++) {
                heap.push(pairCount[p], p);
            }
        }

        List<int[]> learn(int wanted, IntConsumer progress) {
            List<int[]> merges = new ArrayList<>(wanted);
            while (merges.size() < wanted) {
                int best = popBest();
                if (best < 0) {
                    break;
                }
                long key = pairs.keyOf(best);
                merges.add(new int[] {PairIndex.left(key), PairIndex.right(key)});
                apply(best, PairIndex.left(key), PairIndex.right(key), 256 + merges.size() - 1);
                if (merges.size() % PROGRESS_EVERY == 0) {
                    progress.accept(merges.size());
                }
            }
            return merges;
        }

        /** The pair with the highest current count, skipping heap entries made stale by earlier merges; -1 if none. */
        private int popBest() {
            while (!heap.isEmpty()) {
                long count = heap.topCount();
                int pair = heap.pop();
                if (pairCount[pair] == count && count > 0) {
                    return pair;
                }
                if (pairCount[pair] > 0) {
                    heap.push(pairCount[pair], pair);
                }
            }
            return -1;
        }

        private void apply(int pair, int a, int b, int merged) {
            stamp++;
            touched.clear();
            IntList words = pairWords[pair];
            pairWords[pair] = null;
            for (int k = 0; k < words.size(); k++) {
                int w = words.get(k);
                if (wordStamp[w] != stamp) {
                    wordStamp[w] = stamp;
                    mergeInWord(w, a, b, merged);
                }
            }
            // Every pair whose count rose holds the new token, so it is new to the heap.
            for (int k = 0; k < touched.size(); k++) {
                int p = touched.get(k);
                if (pairCount[p] > 0) {
                    heap.push(pairCount[p], p);
                }
            }
        }

        /** Replaces each (a, b) in word {@code w} by {@code merged}, left to right, updating neighbour pair counts. */
        private void mergeInWord(int w, int a, int b, int merged) {
            int start = wordStart[w];
            int end = start + wordLength[w];
            long count = wordCount[w];
            int write = start;
            int read = start;
            while (read < end) {
                if (read + 1 < end && symbols[read] == a && symbols[read + 1] == b) {
                    if (write > start) {
                        int left = symbols[write - 1];
                        addPair(left, a, -count, w);
                        addPair(left, merged, count, w);
                    }
                    if (read + 2 < end) {
                        int right = symbols[read + 2];
                        addPair(b, right, -count, w);
                        addPair(merged, right, count, w);
                    }
                    addPair(a, b, -count, w);
                    symbols[write++] = merged;
                    read += 2;
                } else {
                    symbols[write++] = symbols[read++];
                }
            }
            wordLength[w] = write - start;
        }

        private void addPair(int left, int right, long delta, int word) {
            int p = pairs.add(left, right);
            if (p == pairCount.length) {
                pairCount = Arrays.copyOf(pairCount, p * 2);
                pairWords = Arrays.copyOf(pairWords, p * 2);
                pairStamp = Arrays.copyOf(pairStamp, p * 2);
            }
            pairCount[p] += delta;
            if (delta > 0) {
                IntList words = pairWords[p];
                if (words == null) {
                    words = pairWords[p] = new IntList(4);
                }
                if (words.size() == 0 || words.last() != word) {
                    words.add(word);
                }
                if (pairStamp[p] != stamp) {
                    pairStamp[p] = stamp;
                    touched.add(p);
                }
            }
        }

        /** A max-heap of (count, pair): higher count first, then the smaller (left, right) ids. */
        private final class PairHeap {
            private long[] counts = new long[1 << 16];
            private int[] ids = new int[1 << 16];
            private int size;

            boolean isEmpty() {
                return size == 0;
            }

            long topCount() {
                return counts[0];
            }

            void push(long count, int pair) {
                if (size == counts.length) {
                    counts = Arrays.copyOf(counts, size * 2);
                    ids = Arrays.copyOf(ids, size * 2);
                }
                int i = size++;
                while (i > 0 && before(count, pair, counts[(i - 1) >>> 1], ids[(i - 1) >>> 1])) {
                    counts[i] = counts[(i - 1) >>> 1];
                    ids[i] = ids[(i - 1) >>> 1];
                    i = (i - 1) >>> 1;
                }
                counts[i] = count;
                ids[i] = pair;
            }

            int pop() {
                int top = ids[0];
                long lastCount = counts[--size];
                int lastId = ids[size];
                int i = 0;
                while (true) {
                    int child = 2 * i + 1;
                    if (child >= size) {
                        break;
                    }
                    if (child + 1 < size && before(counts[child + 1], ids[child + 1], counts[child], ids[child])) {
                        child++;
                    }
                    if (!before(counts[child], ids[child], lastCount, lastId)) {
                        break;
                    }
                    counts[i] = counts[child];
                    ids[i] = ids[child];
                    i = child;
                }
                counts[i] = lastCount;
                ids[i] = lastId;
                return top;
            }

            private boolean before(long countA, int pairA, long countB, int pairB) {
                return countA != countB ? countA > countB : pairs.keyOf(pairA) < pairs.keyOf(pairB);
            }
        }
    }
}
