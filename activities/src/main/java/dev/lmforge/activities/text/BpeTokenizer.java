package dev.lmforge.activities.text;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A byte-level BPE tokenizer: {@link PreTokenizer} splits the UTF-8 bytes into pieces, and inside each piece
 * merges apply lowest rank first, leftmost first among equals, exactly as Hugging Face's BPE model does. Encoding
 * is lossless for any bytes. Special tokens are recognised in text only by {@link #encodeWithSpecialTokens}.
 *
 * <p>Immutable and safe to share between threads; each thread keeps its own cache of recently encoded pieces.
 * Read and write it as Hugging Face {@code tokenizer.json} with {@link #load} and {@link #save}.
 */
public final class BpeTokenizer {

    /** The file name used inside a tokenizer directory. */
    public static final String FILE_NAME = "tokenizer.json";

    /** Pieces longer than this are merged with a heap (n log n) instead of repeated linear scans (n squared). */
    private static final int LONG_PIECE = 96;
    /** Pieces up to this many bytes are cached (Hugging Face caches words up to 256 characters). */
    private static final int MAX_CACHED_PIECE = 256;
    /** Cached pieces per thread before the cache starts over. */
    private static final int CACHE_ENTRIES = 1 << 16;

    private final byte[][] tokens;
    private final Map<String, Integer> specialIds;
    private final boolean[] special;
    private final int[] byteIds = new int[256];
    private final PairIndex mergeRanks;
    private final int[] mergeResults;
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

    /**
     * @param tokens        the bytes of every token, by id; a special token's are its content in UTF-8
     * @param specialTokens special token content to id
     * @param merges        the merges in rank order, each {@code {left, right, result}} token ids
     * @throws IllegalArgumentException if a byte has no token or a merge's result is not its two parts joined
     */
    public BpeTokenizer(byte[][] tokens, Map<String, Integer> specialTokens, List<int[]> merges) {
        this.tokens = tokens;
        this.specialIds = Collections.unmodifiableMap(new LinkedHashMap<>(specialTokens));
        this.special = new boolean[tokens.length];
        specialTokens.values().forEach(id -> special[id] = true);
        Arrays.fill(byteIds, -1);
        for (int id = 0; id < tokens.length; id++) {
            if (tokens[id].length == 1 && !special[id]) {
                byteIds[tokens[id][0] & 0xFF] = id;
            }
        }
        for (int b = 0; b < 256; b++) {
            if (byteIds[b] < 0) {
                throw new IllegalArgumentException(String.format("no token for byte 0x%02X", b));
            }
        }
        mergeRanks = new PairIndex(merges.size());
        mergeResults = new int[merges.size()];
        for (int[] m : merges) {
            int rank = mergeRanks.size();
            if (mergeRanks.add(m[0], m[1]) != rank) {
                throw new IllegalArgumentException("merge " + rank + " repeats the pair of ids " + m[0] + ", " + m[1]);
            }
            byte[] joined = concat(tokens[m[0]], tokens[m[1]]);
            if (!Arrays.equals(joined, tokens[m[2]])) {
                throw new IllegalArgumentException("merge " + rank + " of ids " + m[0] + " and " + m[1]
                    + " should give the token of their joined bytes, not id " + m[2]);
            }
            mergeResults[rank] = m[2];
        }
    }

    /** Reads {@code path}: a {@code tokenizer.json} file, or a directory holding one. */
    public static BpeTokenizer load(Path path) throws IOException {
        Path file = Files.isDirectory(path) ? path.resolve(FILE_NAME) : path;
        try (var in = Files.newInputStream(file)) {
            return TokenizerJson.read(in, file.toString());
        }
    }

    /** Writes {@code directory/tokenizer.json}, creating the directory if needed; returns the file. */
    public Path save(Path directory) throws IOException {
        Files.createDirectories(directory);
        Path file = directory.resolve(FILE_NAME);
        try (var out = Files.newOutputStream(file)) {
            TokenizerJson.write(this, out);
        }
        return file;
    }

    /**
     * Encodes {@code text} as UTF-8; special token strings in it are ordinary text. Unpaired surrogates are not
     * Unicode text and become {@code '?'}, as in {@link String#getBytes}; everything else round-trips exactly.
     */
    public int[] encode(String text) {
        return encode(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Encodes any bytes (not necessarily valid UTF-8); {@link #decodeBytes} gives them back exactly. */
    public int[] encode(byte[] bytes) {
        IntList out = new IntList(bytes.length / 3 + 8);
        encode(bytes, 0, bytes.length, out);
        return out.toArray();
    }

    /** Encodes {@code text}, turning each occurrence of a special token's content into that token. */
    public int[] encodeWithSpecialTokens(String text) {
        IntList out = new IntList(text.length() / 3 + 8);
        List<String> contents = new ArrayList<>(specialIds.keySet());
        int[] next = new int[contents.size()];
        for (int k = 0; k < next.length; k++) {
            next[k] = text.indexOf(contents.get(k));
        }
        int position = 0;
        while (true) {
            int best = -1;
            for (int k = 0; k < next.length; k++) {
                if (next[k] >= 0 && (best < 0 || next[k] < next[best]
                    || next[k] == next[best] && contents.get(k).length() > contents.get(best).length())) {
                    best = k;
                }
            }
            int end = best < 0 ? text.length() : next[best];
            byte[] plain = text.substring(position, end).getBytes(StandardCharsets.UTF_8);
            encode(plain, 0, plain.length, out);
            if (best < 0) {
                return out.toArray();
            }
            out.add(specialIds.get(contents.get(best)));
            position = end + contents.get(best).length();
            for (int k = 0; k < next.length; k++) {
                if (next[k] >= 0 && next[k] < position) {
                    next[k] = text.indexOf(contents.get(k), position);
                }
            }
        }
    }

    /** The bytes of the tokens, joined: the exact input of {@link #encode(byte[])}. */
    public byte[] decodeBytes(int[] ids) {
        return decodeBytes(ids, false);
    }

    /** The text of the tokens; byte sequences that are not valid UTF-8 become U+FFFD, as in Hugging Face. */
    public String decode(int[] ids) {
        return decode(ids, false);
    }

    /** As {@link #decode(int[])}, leaving out special tokens when {@code skipSpecialTokens}. */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        return LossyUtf8.decode(decodeBytes(ids, skipSpecialTokens));
    }

    private byte[] decodeBytes(int[] ids, boolean skipSpecialTokens) {
        int length = 0;
        for (int id : ids) {
            checkId(id);
            length += skipSpecialTokens && special[id] ? 0 : tokens[id].length;
        }
        byte[] out = new byte[length];
        int at = 0;
        for (int id : ids) {
            if (!(skipSpecialTokens && special[id])) {
                System.arraycopy(tokens[id], 0, out, at, tokens[id].length);
                at += tokens[id].length;
            }
        }
        return out;
    }

    /** The number of token ids, special tokens included. */
    public int vocabularySize() {
        return tokens.length;
    }

    /** The number of learned merges. */
    public int mergeCount() {
        return mergeResults.length;
    }

    /** The bytes of token {@code id} (for a special token, its content in UTF-8). */
    public byte[] tokenBytes(int id) {
        checkId(id);
        return tokens[id].clone();
    }

    /** Whether {@code id} is a special token. */
    public boolean isSpecial(int id) {
        checkId(id);
        return special[id];
    }

    /** Special token content to id, in the order they were defined. */
    public Map<String, Integer> specialTokens() {
        return specialIds;
    }

    /** The id of special token {@code content}; an {@link IllegalArgumentException} naming the known ones if absent. */
    public int specialTokenId(String content) {
        Integer id = specialIds.get(content);
        if (id == null) {
            throw new IllegalArgumentException("no special token '" + content + "'; this tokenizer has " + specialIds.keySet());
        }
        return id;
    }

    /** The merges in rank order, each {@code {left, right, result}}. */
    List<int[]> merges() {
        List<int[]> merges = new ArrayList<>(mergeResults.length);
        for (int rank = 0; rank < mergeResults.length; rank++) {
            long key = mergeRanks.keyOf(rank);
            merges.add(new int[] {PairIndex.left(key), PairIndex.right(key), mergeResults[rank]});
        }
        return merges;
    }

    /** Encodes {@code bytes[from, to)}, appending the ids to {@code out}. */
    void encode(byte[] bytes, int from, int to, IntList out) {
        Scratch s = scratch.get();
        IntList ends = s.ends;
        ends.clear();
        PreTokenizer.split(bytes, from, to, ends);
        int start = from;
        for (int k = 0; k < ends.size(); k++) {
            int end = ends.get(k);
            encodePiece(bytes, start, end, out, s);
            start = end;
        }
    }

    private void encodePiece(byte[] bytes, int start, int end, IntList out, Scratch s) {
        int length = end - start;
        if (length == 1) {
            out.add(byteIds[bytes[start] & 0xFF]);
            return;
        }
        boolean cacheable = length <= MAX_CACHED_PIECE;
        if (cacheable) {
            int entry = s.cache.find(bytes, start, end);
            if (entry >= 0) {
                int at = s.cachedAt[entry];
                out.addAll(s.cachedIds, at + 1, s.cachedIds[at]);
                return;
            }
        }
        int n = length > LONG_PIECE ? mergeLongPiece(bytes, start, length, s) : mergeShortPiece(bytes, start, length, s);
        out.addAll(s.symbols, 0, n);
        if (cacheable) {
            s.remember(bytes, start, end, n);
        }
    }

    /** Merges by scanning the pair ranks each step: fastest for the short pieces that make up most text. */
    private int mergeShortPiece(byte[] bytes, int start, int n, Scratch s) {
        int[] sym = s.symbols(n);
        int[] ranks = s.ranks;
        for (int i = 0; i < n; i++) {
            sym[i] = byteIds[bytes[start + i] & 0xFF];
        }
        for (int i = 0; i < n - 1; i++) {
            ranks[i] = rank(sym[i], sym[i + 1]);
        }
        while (n > 1) {
            int best = Integer.MAX_VALUE;
            int at = -1;
            for (int i = 0; i < n - 1; i++) {
                if (ranks[i] < best) {
                    best = ranks[i];
                    at = i;
                }
            }
            if (at < 0) {
                break;
            }
            sym[at] = mergeResults[best];
            System.arraycopy(sym, at + 2, sym, at + 1, n - at - 2);
            if (n - at - 3 > 0) {
                System.arraycopy(ranks, at + 2, ranks, at + 1, n - at - 3);
            }
            n--;
            if (at > 0) {
                ranks[at - 1] = rank(sym[at - 1], sym[at]);
            }
            if (at < n - 1) {
                ranks[at] = rank(sym[at], sym[at + 1]);
            }
        }
        return n;
    }

    /** Merges with a heap of (rank, position) over a linked list: the same order, for long pieces. */
    private int mergeLongPiece(byte[] bytes, int start, int n, Scratch s) {
        int[] sym = s.symbols(n);
        int[] next = s.next;
        int[] prev = s.prev;
        MinHeap heap = s.heap;
        heap.clear();
        for (int i = 0; i < n; i++) {
            sym[i] = byteIds[bytes[start + i] & 0xFF];
            next[i] = i + 1;
            prev[i] = i - 1;
        }
        for (int i = 0; i < n - 1; i++) {
            pushPair(heap, sym, i, i + 1);
        }
        while (!heap.isEmpty()) {
            long top = heap.pop();
            int r = (int) (top >>> 32);
            int p = (int) top;
            int q = next[p];
            // Entries go stale when a neighbour merges first; a rank names one pair, so equal rank means still valid.
            if (sym[p] < 0 || q >= n || rank(sym[p], sym[q]) != r) {
                continue;
            }
            sym[p] = mergeResults[r];
            sym[q] = -1;
            next[p] = next[q];
            if (next[q] < n) {
                prev[next[q]] = p;
            }
            if (prev[p] >= 0) {
                pushPair(heap, sym, prev[p], p);
            }
            if (next[p] < n) {
                pushPair(heap, sym, p, next[p]);
            }
        }
        int count = 0;
        for (int i = 0; i < n; i = next[i]) {
            sym[count++] = sym[i];
        }
        return count;
    }

    private void pushPair(MinHeap heap, int[] sym, int p, int q) {
        int r = rank(sym[p], sym[q]);
        if (r != Integer.MAX_VALUE) {
            heap.push((long) r << 32 | p);
        }
    }

    private int rank(int left, int right) {
        int rank = mergeRanks.find(left, right);
        return rank < 0 ? Integer.MAX_VALUE : rank;
    }

    private void checkId(int id) {
        if (id < 0 || id >= tokens.length) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + tokens.length);
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] joined = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, joined, a.length, b.length);
        return joined;
    }

    /** One thread's working memory: piece boundaries, merge buffers and the piece cache. */
    private static final class Scratch {
        final IntList ends = new IntList(1024);
        final ByteSliceIndex cache = new ByteSliceIndex(CACHE_ENTRIES);
        /** Where each cached piece's ids start in {@link #cachedIds}: their count, then the ids. */
        int[] cachedAt = new int[CACHE_ENTRIES];
        int[] cachedIds = new int[CACHE_ENTRIES * 4];
        int cachedIdsUsed;
        int[] symbols = new int[LONG_PIECE + 1];
        int[] ranks = new int[LONG_PIECE + 1];
        int[] next = new int[0];
        int[] prev = new int[0];
        final MinHeap heap = new MinHeap();

        /** The symbol buffer, and the linked-list links for a long piece, with room for {@code n}. */
        int[] symbols(int n) {
            if (symbols.length < n) {
                symbols = new int[n];
            }
            if (next.length < n) {
                next = new int[n];
                prev = new int[n];
            }
            return symbols;
        }

        void remember(byte[] bytes, int start, int end, int n) {
            if (cache.size() == CACHE_ENTRIES || cachedIdsUsed + n + 1 > cachedIds.length) {
                cache.clear();
                cachedIdsUsed = 0;
            }
            int entry = cache.add(bytes, start, end);
            cachedAt[entry] = cachedIdsUsed;
            cachedIds[cachedIdsUsed] = n;
            System.arraycopy(symbols, 0, cachedIds, cachedIdsUsed + 1, n);
            cachedIdsUsed += n + 1;
        }
    }

    /** A binary min-heap of primitive longs. */
    private static final class MinHeap {
        private long[] items = new long[256];
        private int size;

        void clear() {
            size = 0;
        }

        boolean isEmpty() {
            return size == 0;
        }

        void push(long item) {
            if (size == items.length) {
                items = Arrays.copyOf(items, size * 2);
            }
            int i = size++;
            while (i > 0 && items[(i - 1) >>> 1] > item) {
                items[i] = items[(i - 1) >>> 1];
                i = (i - 1) >>> 1;
            }
            items[i] = item;
        }

        long pop() {
            long top = items[0];
            long last = items[--size];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= size) {
                    break;
                }
                if (child + 1 < size && items[child + 1] < items[child]) {
                    child++;
                }
                if (items[child] >= last) {
                    break;
                }
                items[i] = items[child];
                i = child;
            }
            items[i] = last;
            return top;
        }
    }
}
