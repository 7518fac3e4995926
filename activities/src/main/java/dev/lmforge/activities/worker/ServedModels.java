package dev.lmforge.activities.worker;

import dev.lmforge.activities.model.ModelWithTokenizer;
import dev.lmforge.activities.model.StoredModel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The models a serving worker holds loaded, by artifact digest: at most {@code capacity}, the least recently used
 * closed when another is needed. Loading a model (download, unzip, a TensorFlow graph) takes seconds, generating
 * a reply far less for the small models lmforge trains, so a model asked for again should still be there.
 * One generation runs at a time on each model (its decoding state is the model's); requests for different
 * models run side by side, and a model is closed only once the generation on it has ended.
 */
public final class ServedModels implements AutoCloseable {

    /** Opens the model that a digest names. */
    @FunctionalInterface
    public interface Loader {
        StoredModel.Opened load(String digest) throws IOException;
    }

    /** What a request does with a loaded model. */
    @FunctionalInterface
    interface Use<T> {
        T apply(ModelWithTokenizer model) throws IOException;
    }

    /** One digest's place in the cache; its lock is held while the model is loaded, used or closed. */
    private static final class Slot {
        final ReentrantLock lock = new ReentrantLock();
        StoredModel.Opened opened;
        boolean closed;

        void close() {
            lock.lock();
            try {
                closed = true;
                if (opened != null) {
                    opened.close();
                    opened = null;
                }
            } finally {
                lock.unlock();
            }
        }
    }

    private final int capacity;
    private final Loader loader;
    /** In access order: the eldest entry is the least recently used. */
    private final LinkedHashMap<String, Slot> slots = new LinkedHashMap<>(16, 0.75f, true);

    public ServedModels(int capacity, Loader loader) {
        if (capacity < 1) {
            throw new IllegalArgumentException("lmforge.serving.models: at least 1 model, not " + capacity);
        }
        this.capacity = capacity;
        this.loader = loader;
    }

    /**
     * Runs {@code use} on the model {@code digest}, loading it first if it is not loaded, alone on that model.
     * A model that fails to load is not kept: the next request tries again.
     */
    <T> T with(String digest, Use<T> use) throws IOException {
        while (true) {
            Slot slot;
            List<Slot> evicted = new ArrayList<>();
            synchronized (this) {
                slot = slots.computeIfAbsent(digest, d -> new Slot());
                Iterator<Map.Entry<String, Slot>> eldest = slots.entrySet().iterator();
                while (slots.size() > capacity && eldest.hasNext()) {
                    Map.Entry<String, Slot> entry = eldest.next();
                    if (entry.getValue() != slot) {
                        evicted.add(entry.getValue());
                        eldest.remove();
                    }
                }
            }
            // Outside the map's lock: closing waits for a generation still running on the evicted model.
            evicted.forEach(Slot::close);
            slot.lock.lock();
            try {
                if (slot.closed) {
                    continue;   // evicted between the lookup and the lock: look it up again
                }
                if (slot.opened == null) {
                    try {
                        slot.opened = loader.load(digest);
                    } catch (IOException | RuntimeException e) {
                        slot.closed = true;
                        synchronized (this) {
                            slots.remove(digest, slot);
                        }
                        throw e;
                    }
                }
                return use.apply(slot.opened.model());
            } finally {
                slot.lock.unlock();
            }
        }
    }

    /** The digests of the models loaded (or loading) now, most recently used first. */
    synchronized List<String> loaded() {
        List<String> digests = new ArrayList<>(slots.keySet());
        Collections.reverse(digests);
        return digests;
    }

    @Override
    public void close() {
        List<Slot> all;
        synchronized (this) {
            all = new ArrayList<>(slots.values());
            slots.clear();
        }
        all.forEach(Slot::close);
    }
}
