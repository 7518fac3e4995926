package dev.lmforge.activities.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lmforge.activities.InvalidInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a {@code .safetensors} file of float32 or bfloat16 tensors, as {@link SafetensorsWriter} and PyTorch
 * write them. The file may come from anyone, so the header is checked before any tensor is read: its length is
 * capped, every tensor's byte range must match its dtype and shape and lie inside the file, and the ranges must
 * tile the data without gaps or overlaps. Errors name the tensor and the field, never the header's text.
 */
public final class SafetensorsReader implements AutoCloseable {

    /** The longest header read; the largest models' headers are a few hundred KiB. */
    static final long MAX_HEADER_BYTES = 64L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One tensor's place in the file. */
    public record Tensor(String name, SafetensorsDtype dtype, long[] shape, long begin, long end) {
        /** Elements, the product of the shape. */
        public long elements() {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }
    }

    private final Path file;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();

    /** Opens {@code file} and checks its header. */
    public SafetensorsReader(Path file) throws IOException {
        this.file = file;
        this.channel = FileChannel.open(file, StandardOpenOption.READ);
        try {
            ByteBuffer length = read(0, 8);
            long headerBytes = length.order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (headerBytes <= 0 || headerBytes > MAX_HEADER_BYTES || 8 + headerBytes > channel.size()) {
                throw invalid("header length " + headerBytes + " is not between 1 and min(" + MAX_HEADER_BYTES
                        + ", file size - 8)");
            }
            dataStart = 8 + headerBytes;
            ByteBuffer header = read(8, (int) headerBytes);
            JsonNode root;
            try {
                root = JSON.readTree(header.array());
            } catch (JsonProcessingException e) {
                throw invalid("the header is not valid JSON");
            }
            if (root == null || !root.isObject()) {
                throw invalid("the header is not a JSON object");
            }
            parse(root, channel.size() - dataStart);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private void parse(JsonNode root, long dataBytes) {
        long covered = 0;
        TreeMap<Long, Tensor> byStart = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (field.getKey().equals("__metadata__")) {
                continue;
            }
            String name = field.getKey();
            JsonNode node = field.getValue();
            SafetensorsDtype dtype;
            try {
                dtype = SafetensorsDtype.valueOf(node.path("dtype").asText());
            } catch (IllegalArgumentException e) {
                throw invalid("tensor " + name + ": dtype must be F32 or BF16");
            }
            JsonNode shapeNode = node.path("shape");
            JsonNode offsets = node.path("data_offsets");
            if (!shapeNode.isArray() || shapeNode.size() > 8 || !offsets.isArray() || offsets.size() != 2) {
                throw invalid("tensor " + name + ": needs a shape (at most 8 dimensions) and two data_offsets");
            }
            long[] shape = new long[shapeNode.size()];
            for (int d = 0; d < shape.length; d++) {
                if (!shapeNode.get(d).canConvertToLong() || shapeNode.get(d).asLong() < 0) {
                    throw invalid("tensor " + name + ": shape[" + d + "] must be a non-negative integer");
                }
                shape[d] = shapeNode.get(d).asLong();
            }
            long begin = offsets.get(0).asLong(-1);
            long end = offsets.get(1).asLong(-1);
            Tensor tensor = new Tensor(name, dtype, shape, begin, end);
            long bytes;
            try {
                bytes = Math.multiplyExact(tensor.elements(), dtype.bytes());
            } catch (ArithmeticException e) {
                throw invalid("tensor " + name + ": shape is too large");
            }
            if (begin < 0 || end > dataBytes || end - begin != bytes) {
                throw invalid("tensor " + name + ": data_offsets [" + begin + ", " + end + ") must hold its "
                        + bytes + " bytes inside the " + dataBytes + " bytes of data");
            }
            if (tensor.elements() > Integer.MAX_VALUE - 8) {
                throw invalid("tensor " + name + ": more elements than one Java array holds");
            }
            tensors.put(name, tensor);
            if (bytes > 0 && byStart.put(begin, tensor) != null) {
                throw invalid("tensor " + name + ": data_offsets overlap another tensor's");
            }
        }
        for (Tensor tensor : byStart.values()) {
            if (tensor.begin() != covered) {
                throw invalid("tensor " + tensor.name() + ": data_offsets leave a gap or overlap at byte " + covered);
            }
            covered = tensor.end();
        }
        if (covered != dataBytes) {
            throw invalid("the tensors cover " + covered + " of the " + dataBytes + " bytes after the header");
        }
    }

    /** Every tensor, in header order. */
    public Map<String, Tensor> tensors() {
        return Collections.unmodifiableMap(tensors);
    }

    /** {@code name}'s values as float32 (bfloat16 widens exactly). */
    public float[] read(String name) throws IOException {
        Tensor tensor = tensors.get(name);
        if (tensor == null) {
            throw invalid("has no tensor " + name);
        }
        float[] values = new float[(int) tensor.elements()];
        long position = dataStart + tensor.begin();
        int chunkElements = 1 << 16;
        for (int from = 0; from < values.length; from += chunkElements) {
            int count = Math.min(chunkElements, values.length - from);
            ByteBuffer chunk = read(position, count * tensor.dtype().bytes()).order(ByteOrder.LITTLE_ENDIAN);
            position += (long) count * tensor.dtype().bytes();
            for (int i = 0; i < count; i++) {
                values[from + i] = tensor.dtype() == SafetensorsDtype.F32
                        ? chunk.getFloat() : SafetensorsDtype.fromBfloat16(chunk.getShort());
            }
        }
        return values;
    }

    private ByteBuffer read(long position, int bytes) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(bytes);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw invalid("ends early, at byte " + (position + buffer.position()));
            }
        }
        return buffer.flip();
    }

    private InvalidInputException invalid(String problem) {
        return new InvalidInputException(file.getFileName() + ": " + problem);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
