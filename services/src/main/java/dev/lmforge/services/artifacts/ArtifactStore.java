package dev.lmforge.services.artifacts;

import dev.lmforge.services.config.LmforgeSettings;
import io.minio.BucketExistsArgs;
import io.minio.ComposeObjectArgs;
import io.minio.ComposeSource;
import io.minio.CopyObjectArgs;
import io.minio.CopySource;
import io.minio.Directive;
import io.minio.GetObjectArgs;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioAsyncClient;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.errors.ErrorResponseException;
import io.minio.http.HttpUtils;
import io.minio.messages.Item;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;

/**
 * Content-addressed artifacts on any S3-compatible store, through the MinIO client. An artifact's id is the
 * SHA-256 of its bytes; it lives at {@code artifacts/sha256/ab/abcdef...}. Uploads and downloads stream, so
 * memory does not grow with size, and every read checks the digest: a corrupted object is an error that
 * names the artifact, never data handed on. Files go up and come down over several connections at once
 * ({@link ObjectTransfers}).
 */
public final class ArtifactStore {

    /** Parts of a stream's multipart upload; S3 allows at most 10,000 parts, so this covers streams up to 160 GB. */
    private static final long PART_SIZE = 16L * 1024 * 1024;
    /** The largest object a single S3 CopyObject may copy; larger ones are copied part by part. */
    private static final long MAX_SINGLE_COPY = 5L * 1024 * 1024 * 1024;

    /** The MinIO client's own default for each of connect, write and read (five minutes). */
    private static final long TIMEOUT_MS = TimeUnit.MINUTES.toMillis(5);

    private final MinioClient client;
    private final ObjectTransfers transfers;
    private final String bucket;
    /**
     * Bytes every store of this process uploaded and read, for the operators' metrics: the console's stores and
     * its in-process compute worker's count together.
     */
    private static final LongAdder bytesUploaded = new LongAdder();
    private static final LongAdder bytesRead = new LongAdder();

    public ArtifactStore(String endpoint, String accessKey, String secretKey, String region, String bucket) {
        // One connection pool for the MinIO client's calls and the parallel transfers. OkHttp's own dispatcher
        // threads are not daemons and linger a minute after the last call, which kept every command-line JVM
        // that touched the store alive that long after its work was done.
        OkHttpClient http = HttpUtils.newDefaultHttpClient(TIMEOUT_MS, TIMEOUT_MS, TIMEOUT_MS).newBuilder()
                .dispatcher(new Dispatcher(Executors.newCachedThreadPool(r -> {
                    Thread t = new Thread(r, "lmforge-artifact-call");
                    t.setDaemon(true);
                    return t;
                })))
                .build();
        this.client = MinioClient.builder().endpoint(endpoint).credentials(accessKey, secretKey).region(region)
                .httpClient(http).build();
        this.transfers = new ObjectTransfers(http, MinioAsyncClient.builder().endpoint(endpoint)
                .credentials(accessKey, secretKey).region(region).httpClient(http).build(),
                endpoint, accessKey, secretKey, region, bucket);
        this.bucket = bucket;
    }

    /** The parallel transfers under {@link #put(Path)} and {@link #download}, for the tests of their failures. */
    ObjectTransfers transfers() {
        return transfers;
    }

    /** Object bytes this process has sent to stores since it started (a file or bytes already stored send none). */
    public long bytesUploaded() {
        return bytesUploaded.sum();
    }

    /** Bytes this process has read from stores since it started: streams, ranges and downloads. */
    public long bytesRead() {
        return bytesRead.sum();
    }

    /** The store that {@code settings} name. */
    public static ArtifactStore of(LmforgeSettings settings) {
        return new ArtifactStore(settings.s3Endpoint(), settings.s3AccessKey(), settings.s3SecretKey(),
                settings.s3Region(), settings.s3Bucket());
    }

    /** The object key of an artifact. */
    public static String keyOf(String digest) {
        return "artifacts/sha256/" + digest.substring(0, 2) + "/" + digest;
    }

    /** Whether the store answers and holds the artifact bucket (a readiness check). */
    public boolean bucketExists() {
        return call(() -> client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build()), "asking for bucket " + bucket);
    }

    /** The artifact bucket's name. */
    public String bucket() {
        return bucket;
    }

    /** Creates the bucket if it does not exist yet. */
    public void ensureBucket() {
        call(() -> {
            if (!client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) {
                client.makeBucket(MakeBucketArgs.builder().bucket(bucket).build());
            }
            return null;
        }, "creating bucket " + bucket);
    }

    /**
     * Stores a regular file: hashes it (the one pass over its bytes on this side), then, unless an artifact with
     * that digest already exists, uploads it in parallel parts straight to its content address, where it appears
     * only once every part is in ({@link ObjectTransfers}). A file whose size differs from the bytes hashed (a
     * {@code /proc} file, one still being written) is refused, and one whose size or modification time changed
     * between the hash and the end of the upload is removed again, so no object is stored under a wrong digest.
     */
    public StoredObject put(Path file) {
        return put(file, ObjectDescription.opaque());
    }

    /**
     * {@link #put(Path)}, the object typed and labelled by {@code description} and its digest for S3 tools. An
     * artifact already stored keeps the description it was first stored with: equal bytes are one object.
     */
    public StoredObject put(Path file, ObjectDescription description) {
        if (!Files.isRegularFile(file)) {
            throw new ArtifactStoreException(file + " is not a regular file");
        }
        long size = call(() -> Files.size(file), "reading " + file);
        FileTime modified = call(() -> Files.getLastModifiedTime(file), "reading " + file);
        Digests.Hashed hashed = Digests.hash(file);
        if (hashed.bytes() != size) {
            throw new ArtifactStoreException(file + " is " + size + " bytes by its size but " + hashed.bytes()
                    + " bytes were read: a file that changes while it is stored cannot be an artifact");
        }
        String digest = hashed.digest();
        if (size(digest).isEmpty()) {
            call(() -> {
                transfers.upload(file, size, keyOf(digest), description, digest);
                return null;
            }, "uploading " + file);
            bytesUploaded.add(size);
            long stored = size(digest).orElse(-1L);
            boolean rewritten = !modified.equals(call(() -> Files.getLastModifiedTime(file), "reading " + file));
            if (stored != size || rewritten) {
                delete(digest);
                throw new ArtifactStoreException(file + " changed while it was stored (" + size + " bytes hashed, "
                        + stored + " stored" + (rewritten ? ", modified since it was hashed" : "")
                        + "); nothing was kept");
            }
        }
        return new StoredObject(digest, size);
    }

    /** Stores small content held in memory. */
    public StoredObject put(byte[] bytes) {
        return put(bytes, ObjectDescription.opaque());
    }

    /** {@link #put(byte[])}, typed and labelled by {@code description} as {@link #put(Path, ObjectDescription)} is. */
    public StoredObject put(byte[] bytes, ObjectDescription description) {
        String digest = Digests.sha256(bytes);
        if (size(digest).isEmpty()) {
            call(() -> client.putObject(PutObjectArgs.builder().bucket(bucket).object(keyOf(digest))
                    .stream(new ByteArrayInputStream(bytes), bytes.length, -1)
                    .contentType(description.safeContentType()).userMetadata(description.userMetadata(digest)).build()),
                    "uploading " + digest);
            bytesUploaded.add(bytes.length);
        }
        return new StoredObject(digest, bytes.length);
    }

    /**
     * Stores a stream of unknown length: it is uploaded (multipart) to a staging key while being hashed, then
     * copied server-side to its content address. Nothing under {@code artifacts/} is ever half-written.
     */
    public StoredObject put(InputStream in) {
        return put(in, ObjectDescription.opaque());
    }

    /**
     * {@link #put(InputStream)}, typed and labelled by {@code description}: the staging object already carries it,
     * and the copy to the content address replaces it with the same plus the digest, known only then.
     */
    public StoredObject put(InputStream in, ObjectDescription description) {
        String staging = "staging/" + UUID.randomUUID();
        MessageDigest sha = Digests.newSha256();
        CountingInputStream counted = new CountingInputStream(new DigestInputStream(in, sha), bytesUploaded);
        try {
            call(() -> client.putObject(PutObjectArgs.builder().bucket(bucket).object(staging)
                    .stream(counted, -1, PART_SIZE).contentType(description.safeContentType())
                    .userMetadata(description.userMetadata(null)).build()), "uploading a stream");
            String digest = Digests.hex(sha.digest());
            long size = counted.count();
            if (size(digest).isEmpty()) {
                copy(staging, keyOf(digest), size, description, digest);
            }
            return new StoredObject(digest, size);
        } finally {
            call(() -> {
                client.removeObject(RemoveObjectArgs.builder().bucket(bucket).object(staging).build());
                return null;
            }, "removing " + staging);
        }
    }

    /**
     * Copies {@code from} to {@code to} server-side with the content type and metadata of {@code description} and
     * {@code digest} (the client asks the store to replace the source's, which lack the digest).
     */
    private void copy(String from, String to, long size, ObjectDescription description, String digest) {
        Map<String, String> contentType = Map.of("Content-Type", description.safeContentType());
        Map<String, String> metadata = description.userMetadata(digest);
        if (size <= MAX_SINGLE_COPY) {
            call(() -> client.copyObject(CopyObjectArgs.builder().bucket(bucket).object(to).headers(contentType)
                    .userMetadata(metadata).metadataDirective(Directive.REPLACE)
                    .source(CopySource.builder().bucket(bucket).object(from).build()).build()), "copying " + from);
        } else {
            call(() -> client.composeObject(ComposeObjectArgs.builder().bucket(bucket).object(to).headers(contentType)
                    .userMetadata(metadata)
                    .sources(List.of(ComposeSource.builder().bucket(bucket).object(from).build())).build()),
                    "copying " + from);
        }
    }

    /**
     * Opens an artifact for streaming. The stream checks the digest as it goes and throws
     * {@link CorruptArtifactException} at its end if the bytes do not match.
     */
    public InputStream open(String digest) {
        Digests.requireHex(digest);
        InputStream raw = call(() -> {
            try {
                return client.getObject(GetObjectArgs.builder().bucket(bucket).object(keyOf(digest)).build());
            } catch (ErrorResponseException e) {
                if (isNotFound(e)) {
                    throw new ArtifactNotFoundException(digest);
                }
                throw e;
            }
        }, "reading artifact " + digest);
        return new VerifyingInputStream(new CountingInputStream(raw, bytesRead), digest);
    }

    /**
     * Opens {@code length} bytes of an artifact from {@code offset}, for a ranged download. <b>Not verified:</b> a
     * digest covers the whole object, so a part cannot be checked against it (its key was computed from its bytes
     * when it was stored); a reader that needs the check reads it whole through {@link #open}.
     */
    public InputStream openRange(String digest, long offset, long length) {
        Digests.requireHex(digest);
        return call(() -> {
            try {
                return new CountingInputStream(client.getObject(GetObjectArgs.builder().bucket(bucket)
                        .object(keyOf(digest)).offset(offset).length(length).build()), bytesRead);
            } catch (ErrorResponseException e) {
                if (isNotFound(e)) {
                    throw new ArtifactNotFoundException(digest);
                }
                throw e;
            }
        }, "reading artifact " + digest);
    }

    /** Reads a whole (small) artifact into memory, verified. */
    public byte[] readAllBytes(String digest) {
        try (InputStream in = open(digest)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new ArtifactStoreException("reading artifact " + digest + ": " + e.getMessage(), e);
        }
    }

    /**
     * Downloads an artifact to {@code target} in parallel ranges, verified: its bytes are hashed in order as they
     * land, and {@code target} appears only once it is complete and matches its digest.
     */
    public void download(String digest, Path target) {
        Digests.requireHex(digest);
        Path partial = target.resolveSibling(target.getFileName() + ".part");
        try {
            Files.createDirectories(target.toAbsolutePath().getParent());
            MessageDigest sha = Digests.newSha256();
            bytesRead.add(transfers.download(keyOf(digest), partial, sha));
            String actual = Digests.hex(sha.digest());
            if (!actual.equals(digest)) {
                throw new CorruptArtifactException(digest, actual);
            }
            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (ObjectTransfers.StoreAnswer e) {
            if (e.status == 404) {
                throw new ArtifactNotFoundException(digest);
            }
            throw new ArtifactStoreException("downloading artifact " + digest + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new ArtifactStoreException("downloading artifact " + digest + ": " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(partial);
            } catch (IOException ignored) {
                // Best effort: a stray .part file is harmless and overwritten next time.
            }
        }
    }

    /**
     * Removes an artifact's bytes, e.g. a checkpoint pruned by its retention policy; the ledger keeps its record.
     * Removing one that is already gone is not an error.
     */
    public void delete(String digest) {
        Digests.requireHex(digest);
        call(() -> {
            client.removeObject(RemoveObjectArgs.builder().bucket(bucket).object(keyOf(digest)).build());
            return null;
        }, "deleting artifact " + digest);
    }

    /** The stored size of an artifact, or empty when the store does not have it. */
    public Optional<Long> size(String digest) {
        return call(() -> {
            try {
                return Optional.of(client.statObject(StatObjectArgs.builder().bucket(bucket).object(keyOf(digest)).build()).size());
            } catch (ErrorResponseException e) {
                if (isNotFound(e)) {
                    return Optional.<Long>empty();
                }
                throw e;
            }
        }, "looking up artifact " + digest);
    }

    /**
     * Writes a small object at a named key of this bucket, outside the content-addressed {@code artifacts/}
     * tree (records such as the audit log's anchors, which are looked up by name, not by digest).
     */
    public void putNamed(String key, byte[] bytes) {
        requireNamed(key);
        call(() -> client.putObject(PutObjectArgs.builder().bucket(bucket).object(key)
                .stream(new ByteArrayInputStream(bytes), bytes.length, -1)
                .contentType(ObjectDescription.typeOfFile(key, ObjectDescription.typeOf(null)).contentType()).build()),
                "writing " + key);
    }

    /** The bytes of a named object of this bucket, or empty when there is none. */
    public Optional<byte[]> readNamed(String key) {
        requireNamed(key);
        return call(() -> {
            try (InputStream in = client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build())) {
                return Optional.of(in.readAllBytes());
            } catch (ErrorResponseException e) {
                if (isNotFound(e)) {
                    return Optional.<byte[]>empty();
                }
                throw e;
            }
        }, "reading " + key);
    }

    /** The first key under {@code prefix} in this bucket in S3's (lexicographic) order, without listing the rest. */
    public Optional<String> firstKey(String prefix) {
        requireNamed(prefix);
        return call(() -> {
            for (Result<Item> result : client.listObjects(ListObjectsArgs.builder().bucket(bucket).prefix(prefix)
                    .recursive(true).maxKeys(1).build())) {
                Item item = result.get();
                if (!item.isDir()) {
                    return Optional.of(item.objectName());
                }
            }
            return Optional.<String>empty();
        }, "listing " + prefix);
    }

    /** Named objects must stay out of the content-addressed tree, whose keys are their digests. */
    private static void requireNamed(String key) {
        if (key.isEmpty() || key.startsWith("artifacts/") || key.startsWith("staging/")) {
            throw new IllegalArgumentException("'" + key + "' is not a key for a named object");
        }
    }

    /** An object of the artifact bucket as its listing gives it: key, size and when it was last written. */
    public record BucketObject(String key, long sizeBytes, java.time.Instant lastModified) {
    }

    /**
     * The objects of the artifact bucket under {@code prefix} ({@code artifacts/} or {@code staging/}, what the
     * garbage collector may look at), in S3's key order.
     */
    public List<BucketObject> objects(String prefix) {
        if (!prefix.equals("artifacts/") && !prefix.equals("staging/")) {
            throw new IllegalArgumentException("only artifacts/ and staging/ are listed, not '" + prefix + "'");
        }
        return call(() -> {
            List<BucketObject> objects = new ArrayList<>();
            for (Result<Item> result : client.listObjects(ListObjectsArgs.builder().bucket(bucket).prefix(prefix)
                    .recursive(true).build())) {
                Item item = result.get();
                if (!item.isDir()) {
                    objects.add(new BucketObject(item.objectName(), item.size(), item.lastModified().toInstant()));
                }
            }
            return objects;
        }, "listing " + prefix);
    }

    /** Removes an abandoned upload's {@code staging/} object; one already gone is not an error. */
    public void deleteStaging(String key) {
        if (!key.startsWith("staging/") || key.contains("..")) {
            throw new IllegalArgumentException("'" + key + "' is not a staging key");
        }
        call(() -> {
            client.removeObject(RemoveObjectArgs.builder().bucket(bucket).object(key).build());
            return null;
        }, "deleting " + key);
    }

    /** An object of another bucket on the same S3 service, e.g. a corpus source. */
    public record ExternalObject(String bucket, String key, long sizeBytes) {
    }

    /** The objects under {@code prefix} in {@code bucket} (recursively), sorted by key. */
    public List<ExternalObject> list(String bucket, String prefix) {
        return call(() -> {
            List<ExternalObject> objects = new ArrayList<>();
            for (Result<Item> result : client.listObjects(ListObjectsArgs.builder().bucket(bucket).prefix(prefix)
                    .recursive(true).build())) {
                Item item = result.get();
                if (!item.isDir()) {
                    objects.add(new ExternalObject(bucket, item.objectName(), item.size()));
                }
            }
            objects.sort(Comparator.comparing(ExternalObject::key));
            return objects;
        }, "listing s3://" + bucket + "/" + prefix);
    }

    /** Stores an object of another bucket as an artifact, streaming it through (nothing is held in memory). */
    public StoredObject copyIn(ExternalObject object) {
        return copyIn(object, ObjectDescription.opaque());
    }

    /** {@link #copyIn(ExternalObject)}, typed and labelled by {@code description}. */
    public StoredObject copyIn(ExternalObject object, ObjectDescription description) {
        InputStream in = call(() -> client.getObject(GetObjectArgs.builder().bucket(object.bucket()).object(object.key()).build()),
                "reading s3://" + object.bucket() + "/" + object.key());
        try (in) {
            return put(in, description);
        } catch (IOException e) {
            throw new ArtifactStoreException("reading s3://" + object.bucket() + "/" + object.key() + ": " + e.getMessage(), e);
        }
    }

    private static boolean isNotFound(ErrorResponseException e) {
        String code = e.errorResponse().code();
        return "NoSuchKey".equals(code) || "NoSuchObject".equals(code) || "NotFound".equals(code);
    }

    private interface StoreCall<T> {
        T call() throws Exception;
    }

    private static <T> T call(StoreCall<T> call, String what) {
        try {
            return call.call();
        } catch (ArtifactStoreException e) {
            throw e;
        } catch (Exception e) {
            throw new ArtifactStoreException(what + " failed: " + e.getMessage(), e);
        }
    }

    /** The digest (hex SHA-256) and size of a stored object. */
    public record StoredObject(String digest, long sizeBytes) {
    }
}
