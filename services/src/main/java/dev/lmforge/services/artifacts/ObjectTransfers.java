package dev.lmforge.services.artifacts;

import com.google.common.collect.ImmutableMultimap;
import io.minio.MinioAsyncClient;
import io.minio.Signer;
import io.minio.Time;
import io.minio.messages.Part;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;
import okio.BufferedSource;

/**
 * Moves one object's bytes between a file and the store at disk speed: parts of a multipart upload go up over
 * several connections at once, and a download comes down in ranges over several connections at once, each
 * streamed between the file and its connection through a small buffer, so the heap does not grow with the object.
 *
 * <p>On a loopback or HTTPS endpoint a part is sent as {@code UNSIGNED-PAYLOAD}: signing it would cost a SHA-256
 * pass over it on this side, and S3Proxy holds a signed part in memory to hash it again before it writes a byte.
 * Over loopback nothing can alter the bytes on the way, and TLS protects them itself; elsewhere each part is hashed
 * and signed. Either way the artifact's own digest is checked on every read ({@link ArtifactStore}).
 */
final class ObjectTransfers {

    /**
     * Connections one transfer uses at once: more than the 2 cores of the machine it was written on, so a
     * connection waiting on the store leaves work for the others; on that shared machine, runs of 2, 4 and 8
     * could not be told apart from the noise.
     */
    static final int CONNECTIONS = 4;
    /** The smallest part: below S3's 5 MB minimum, parts would be refused; an object up to this size is one request. */
    static final long MIN_PART = 8L << 20;
    /** The largest part: big enough that a request's round trip is noise, small enough to spread over connections. */
    static final long MAX_PART = 64L << 20;
    /** S3's most parts per upload. */
    static final int MAX_PARTS = 10_000;
    /** What one connection moves at a time between its file region and its socket. */
    private static final int BUFFER = 256 << 10;
    /** What a hashing pass reads at a time. */
    private static final int HASH_BUFFER = 1 << 20;
    private static final String UNSIGNED = "UNSIGNED-PAYLOAD";
    private static final String EMPTY_SHA256 = Digests.sha256(new byte[0]);
    private static final Pattern CODE = Pattern.compile("<Code>([^<]{1,100})</Code>");
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes \\d+-\\d+/(\\d+)");

    private final OkHttpClient http;
    private final MinioAsyncClient client;
    private final HttpUrl endpoint;
    private final String accessKey;
    private final String secretKey;
    private final String region;
    private final String bucket;
    private final boolean unsignedPayload;
    private final ExecutorService connections;

    ObjectTransfers(OkHttpClient http, MinioAsyncClient client, String endpoint, String accessKey, String secretKey,
                    String region, String bucket) {
        this.http = http;
        this.client = client;
        this.endpoint = HttpUrl.get(endpoint);
        this.accessKey = accessKey;
        this.secretKey = secretKey;
        this.region = region;
        this.bucket = bucket;
        this.unsignedPayload = this.endpoint.isHttps() || isLoopback(this.endpoint.host());
        this.connections = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "lmforge-artifact-transfer");
            t.setDaemon(true);
            return t;
        });
    }

    private static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /**
     * The part size for an object of {@code size} bytes: a few parts per connection, within [{@link #MIN_PART},
     * {@link #MAX_PART}] unless S3's 10,000 parts need more, in whole MB.
     */
    static long partSize(long size) {
        long part = Math.max(MIN_PART, Math.min(MAX_PART, size / (4L * CONNECTIONS)));
        part = Math.max(part, (size + MAX_PARTS - 1) / MAX_PARTS);
        long mb = 1L << 20;
        return (part + mb - 1) / mb * mb;
    }

    /**
     * Uploads {@code size} bytes of {@code file} to {@code key}: one request up to {@link #MIN_PART}, else in parts.
     * The object's content type and user metadata come from {@code description} and {@code digest}; they go on the
     * single PUT or on the multipart upload's start, as headers that are signed with the request.
     */
    void upload(Path file, long size, String key, ObjectDescription description, String digest) throws IOException {
        Map<String, String> headers = objectHeaders(description, digest);
        if (size <= MIN_PART) {
            put(file, 0, size, objectUrl(key).build(), headers);
            return;
        }
        long partSize = partSize(size);
        int parts = (int) ((size + partSize - 1) / partSize);
        ImmutableMultimap<String, String> started = ImmutableMultimap.copyOf(headers.entrySet());
        String uploadId = minio(() -> client.createMultipartUploadAsync(bucket, region, key, started, null))
                .result().uploadId();
        try {
            Part[] done = new Part[parts];
            inParallel(parts, i -> {
                long offset = i * partSize;
                HttpUrl url = objectUrl(key).addQueryParameter("partNumber", String.valueOf(i + 1))
                        .addQueryParameter("uploadId", uploadId).build();
                done[i] = new Part(i + 1, put(file, offset, Math.min(partSize, size - offset), url, Map.of()));
            });
            minio(() -> client.completeMultipartUploadAsync(bucket, region, key, uploadId, done, null, null));
        } catch (IOException | RuntimeException e) {
            try {
                minio(() -> client.abortMultipartUploadAsync(bucket, region, key, uploadId, null, null));
            } catch (IOException | RuntimeException abortFailed) {
                e.addSuppressed(abortFailed);
            }
            throw e;
        }
    }

    /** The Content-Type and {@code x-amz-meta-*} headers of an object that {@code description} describes. */
    static Map<String, String> objectHeaders(ObjectDescription description, String digest) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", description.safeContentType());
        description.userMetadata(digest).forEach((name, value) -> headers.put(ObjectDescription.USER_METADATA + name, value));
        return headers;
    }

    /**
     * PUTs {@code length} bytes of {@code file} from {@code offset} with {@code headers} (signed with it); the ETag
     * the store answered.
     */
    private String put(Path file, long offset, long length, HttpUrl url, Map<String, String> headers) throws IOException {
        String payload = unsignedPayload ? UNSIGNED : sha256(file, offset, length);
        Request.Builder builder = new Request.Builder().url(url).put(new FileRegion(file, offset, length));
        headers.forEach(builder::header);
        Request request = signed(builder, url, payload);
        try (Response response = http.newCall(request).execute()) {
            requireSuccess(response, "PUT " + url.encodedPath());
            String etag = response.header("ETag");
            return etag == null ? "" : etag.replace("\"", "");
        }
    }

    /**
     * Downloads the object at {@code key} into {@code target} (created or truncated), in parallel ranges, and
     * feeds its bytes in order to {@code sha} as they land; returns the object's size. The first range, fetched
     * in this thread, also says the size; the others come over up to {@link #CONNECTIONS} connections while this
     * thread hashes, from the page cache, what has landed.
     */
    long download(String key, Path target, MessageDigest sha) throws IOException {
        try (FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE, StandardOpenOption.READ)) {
            ByteBuffer hashBuffer = ByteBuffer.allocate(HASH_BUFFER);
            long size = getRange(key, 0, MIN_PART, out);
            if (size <= MIN_PART) {
                hash(out, 0, size, sha, hashBuffer);
                return size;
            }
            long partSize = partSize(size);
            int parts = (int) ((size - MIN_PART + partSize - 1) / partSize);
            List<CompletableFuture<Void>> landed = new ArrayList<>();
            for (int i = 0; i < parts; i++) {
                landed.add(new CompletableFuture<>());
            }
            Future<?> downloads = connections.submit(() -> {
                try {
                    inParallel(parts, i -> {
                        long offset = MIN_PART + i * partSize;
                        getRange(key, offset, Math.min(partSize, size - offset), out);
                        landed.get(i).complete(null);
                    });
                } catch (IOException | RuntimeException e) {
                    // Parts that never started must not leave the hashing thread waiting for them.
                    landed.forEach(part -> part.completeExceptionally(e));
                    throw e;
                }
                return null;
            });
            try {
                hash(out, 0, MIN_PART, sha, hashBuffer);
                for (int i = 0; i < parts; i++) {
                    await(landed.get(i));
                    long offset = MIN_PART + i * partSize;
                    hash(out, offset, Math.min(partSize, size - offset), sha, hashBuffer);
                }
                await(downloads);
            } finally {
                downloads.cancel(true);
            }
            return size;
        }
    }

    /**
     * GETs {@code length} bytes from {@code offset} of the object (fewer where it ends) into {@code out} at the same
     * offset; the object's whole size, from the answer's Content-Range.
     */
    private long getRange(String key, long offset, long length, FileChannel out) throws IOException {
        HttpUrl url = objectUrl(key).build();
        Request request = signed(new Request.Builder().url(url).get()
                .header("Range", "bytes=" + offset + "-" + (offset + length - 1))
                .header("Accept-Encoding", "identity"), url, EMPTY_SHA256);   // a range of the bytes as stored
        try (Response response = http.newCall(request).execute()) {
            if (response.code() == 416 && offset == 0) {
                return 0;   // a range of an empty object cannot be satisfied: there is nothing to fetch
            }
            requireSuccess(response, "GET " + url.encodedPath());
            long size;
            if (response.code() == 206) {
                Matcher m = CONTENT_RANGE.matcher(String.valueOf(response.header("Content-Range")));
                if (!m.matches()) {
                    throw new IOException("GET " + url.encodedPath() + ": no usable Content-Range in a partial answer");
                }
                size = Long.parseLong(m.group(1));
            } else if (offset == 0 && response.body().contentLength() >= 0) {
                size = response.body().contentLength();   // a store that ignores Range sends it all
            } else {
                throw new IOException("GET " + url.encodedPath() + ": the store ignored the Range it was asked for");
            }
            long expected = Math.min(length, size - offset);
            BufferedSource source = response.body().source();
            ByteBuffer buffer = ByteBuffer.allocate(BUFFER);
            long position = offset;
            while (position < offset + expected) {
                buffer.clear().limit((int) Math.min(BUFFER, offset + expected - position));
                if (source.read(buffer) < 0) {
                    throw new IOException("GET " + url.encodedPath() + ": the answer ended after "
                            + (position - offset) + " of " + expected + " bytes");
                }
                buffer.flip();
                while (buffer.hasRemaining()) {
                    position += out.write(buffer, position);
                }
            }
            return size;
        }
    }

    private interface PartTask {
        void run(int part) throws IOException;
    }

    /** Runs {@code task} for parts 0..parts-1 over up to {@link #CONNECTIONS} threads; the first failure stops the rest. */
    private void inParallel(int parts, PartTask task) throws IOException {
        AtomicInteger next = new AtomicInteger();
        List<Future<?>> workers = new ArrayList<>();
        for (int w = 0; w < Math.min(CONNECTIONS, parts); w++) {
            workers.add(connections.submit(() -> {
                for (int i = next.getAndIncrement(); i < parts; i = next.getAndIncrement()) {
                    task.run(i);
                }
                return null;
            }));
        }
        try {
            for (Future<?> worker : workers) {
                await(worker);
            }
        } finally {
            next.set(parts);
            workers.forEach(w -> w.cancel(true));
        }
    }

    /** Feeds {@code length} bytes of {@code channel} from {@code offset} to {@code sha} through {@code buffer}. */
    private static void hash(FileChannel channel, long offset, long length, MessageDigest sha, ByteBuffer buffer)
            throws IOException {
        long position = offset;
        while (position < offset + length) {
            buffer.clear().limit((int) Math.min(buffer.capacity(), offset + length - position));
            int n = channel.read(buffer, position);
            if (n < 0) {
                throw new IOException("the file ended at " + position + " of " + (offset + length) + " bytes");
            }
            position += n;
            sha.update(buffer.array(), 0, n);
        }
    }

    private static String sha256(Path file, long offset, long length) throws IOException {
        MessageDigest sha = Digests.newSha256();
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            hash(in, offset, length, sha, ByteBuffer.allocate(HASH_BUFFER));
        }
        return Digests.hex(sha.digest());
    }

    private HttpUrl.Builder objectUrl(String key) {
        return endpoint.newBuilder().addPathSegment(bucket).addPathSegments(key);
    }

    /** Signs a request with AWS Signature V4 over {@code payload}: the body's SHA-256, or {@code UNSIGNED-PAYLOAD}. */
    private Request signed(Request.Builder request, HttpUrl url, String payload) throws IOException {
        int defaultPort = HttpUrl.defaultPort(url.scheme());
        request.header("Host", url.port() == defaultPort ? url.host() : url.host() + ":" + url.port())
                .header("x-amz-content-sha256", payload)
                .header("x-amz-date", ZonedDateTime.now().format(Time.AMZ_DATE_FORMAT));
        try {
            return Signer.signV4S3(request.build(), region, accessKey, secretKey, payload);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("every Java runtime has HMAC-SHA256", e);
        }
    }

    private static void requireSuccess(Response response, String what) throws IOException {
        if (response.isSuccessful()) {
            return;
        }
        // The store's error answer is XML naming its code; only the code is kept, never more of the body.
        Matcher m = CODE.matcher(response.peekBody(4096).string());
        throw new StoreAnswer(response.code(), m.find() ? m.group(1) : "", what);
    }

    /** An error answer from the store: its HTTP status and its S3 error code. */
    static final class StoreAnswer extends IOException {
        final int status;
        final String code;

        StoreAnswer(int status, String code, String what) {
            super(what + ": HTTP " + status + (code.isEmpty() ? "" : " " + code));
            this.status = status;
            this.code = code;
        }
    }

    private interface MinioCall<T> {
        CompletableFuture<T> start() throws Exception;
    }

    /** A call of the MinIO client's own, awaited; its checked exceptions become I/O errors. */
    private static <T> T minio(MinioCall<T> call) throws IOException {
        CompletableFuture<T> started;
        try {
            started = call.start();
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e.getMessage(), e);
        }
        return await(started);
    }

    private static <T> T await(Future<T> future) throws IOException {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while transferring an object");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof java.util.concurrent.CompletionException c && c.getCause() != null
                    ? c.getCause() : e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw new IOException(cause.getMessage(), cause);
        }
    }

    /** A region of a file as a request body, read through a small buffer as the connection takes it. */
    private static final class FileRegion extends RequestBody {
        private final Path file;
        private final long offset;
        private final long length;

        FileRegion(Path file, long offset, long length) {
            this.file = file;
            this.offset = offset;
            this.length = length;
        }

        /** None: the request's own Content-Type header, signed with it, must not be replaced on the way out. */
        @Override
        public MediaType contentType() {
            return null;
        }

        @Override
        public long contentLength() {
            return length;
        }

        @Override
        public void writeTo(BufferedSink sink) throws IOException {
            try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
                ByteBuffer buffer = ByteBuffer.allocate(BUFFER);
                long position = offset;
                while (position < offset + length) {
                    buffer.clear().limit((int) Math.min(BUFFER, offset + length - position));
                    int n = in.read(buffer, position);
                    if (n < 0) {
                        throw new IOException(file + " ended at " + position + " of " + (offset + length)
                                + " bytes while it was uploaded");
                    }
                    position += n;
                    buffer.flip();
                    sink.write(buffer);
                }
            }
        }
    }
}
