package dev.lmforge.activities.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Writes a {@code .safetensors} file (the format Hugging Face, vLLM and llama.cpp's converter read): an 8-byte
 * little-endian header length, a JSON header naming each tensor's dtype, shape and byte range, padded with
 * spaces to a multiple of 8, then every tensor's elements row-major and little-endian, back to back. The header
 * comes first, so tensors are declared up front ({@link #declare}) and then written one at a time in that order
 * ({@link #write}): only one tensor is in memory at once. There is no maintained Java library for the format.
 */
public final class SafetensorsWriter implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One tensor of the file. */
    public record Entry(String name, long[] shape) {
        public Entry {
            shape = shape.clone();
        }

        long elements() {
            return Arrays.stream(shape).reduce(1, Math::multiplyExact);
        }
    }

    private final Path file;
    private final SafetensorsDtype dtype;
    private final List<Entry> entries = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    private OutputStream out;
    private int written;

    /** A writer of {@code file} with every tensor in {@code dtype}. */
    public SafetensorsWriter(Path file, SafetensorsDtype dtype) {
        this.file = file;
        this.dtype = dtype;
    }

    /** Declares the next tensor; every declaration comes before the first {@link #write}. */
    public void declare(String name, long... shape) {
        if (out != null) {
            throw new IllegalStateException("tensor " + name + " declared after writing began");
        }
        if (name.isEmpty() || name.equals("__metadata__") || !names.add(name)) {
            throw new IllegalArgumentException("tensor name '" + name + "' is empty, reserved or repeated");
        }
        entries.add(new Entry(name, shape));
    }

    /** Writes the next declared tensor's float32 values (converted to the file's dtype). */
    public void write(String name, float[] values) throws IOException {
        if (out == null) {
            out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20);
            out.write(header());
        }
        if (written >= entries.size() || !entries.get(written).name().equals(name)) {
            throw new IllegalStateException("wrote " + name + " but the next declared tensor is "
                    + (written < entries.size() ? entries.get(written).name() : "none"));
        }
        Entry entry = entries.get(written);
        if (values.length != entry.elements()) {
            throw new IllegalArgumentException(name + " declares " + entry.elements() + " elements, got "
                    + values.length);
        }
        ByteBuffer chunk = ByteBuffer.allocate(Math.min(values.length, 1 << 16) * dtype.bytes())
                .order(ByteOrder.LITTLE_ENDIAN);
        for (float value : values) {
            if (dtype == SafetensorsDtype.F32) {
                chunk.putFloat(value);
            } else {
                chunk.putShort(SafetensorsDtype.toBfloat16(value));
            }
            if (!chunk.hasRemaining()) {
                out.write(chunk.array(), 0, chunk.position());
                chunk.clear();
            }
        }
        out.write(chunk.array(), 0, chunk.position());
        written++;
    }

    /** The header: each tensor's dtype, shape and byte range, then {@code __metadata__}, padded to 8 bytes. */
    private byte[] header() throws IOException {
        ObjectNode header = JSON.createObjectNode();
        long offset = 0;
        for (Entry entry : entries) {
            ObjectNode tensor = header.putObject(entry.name());
            tensor.put("dtype", dtype.name());
            Arrays.stream(entry.shape()).forEach(tensor.putArray("shape")::add);
            long end = offset + entry.elements() * dtype.bytes();
            tensor.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        // transformers refuses a file whose metadata names no framework it knows; "pt" is what PyTorch writes.
        header.putObject("__metadata__").put("format", "pt");
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        byte[] bytes = new byte[8 + padded];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
        System.arraycopy(json, 0, bytes, 8, json.length);
        Arrays.fill(bytes, 8 + json.length, bytes.length, (byte) ' ');
        return bytes;
    }

    /** Finishes the file; fails if a declared tensor was not written. */
    @Override
    public void close() throws IOException {
        if (out == null) {
            out = Files.newOutputStream(file);
            out.write(header());
        }
        out.close();
        if (written != entries.size()) {
            throw new IllegalStateException(file + ": " + (entries.size() - written) + " declared tensors were not "
                    + "written, the first " + entries.get(written).name());
        }
    }
}
