package dev.lmforge.services.sources;

import dev.lmforge.services.config.LmforgeSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Where a spec may read from: the allowed local folders and S3 prefixes. Every file or object a spec names
 * (corpus sources, SFT and DPO data, evaluation suites with their task and data files) is checked here twice: at
 * submission by the control plane, and on the compute worker right before it reads, because a worker must not
 * trust the control plane with paths.
 *
 * <p>A local path is checked as the file system will resolve it: absolute, {@code ..} removed and symlinks
 * followed ({@link Path#toRealPath}), then it must lie inside a root. {@code /proc}, {@code /sys} and {@code /dev}
 * are refused whatever the roots say, as is anything that is neither a regular file nor a folder (devices,
 * sockets, FIFOs), and lmforge's own data folder (credentials, the database, the store's files) except its
 * {@code sources/} folder. An S3 source must lie under an allowed {@code s3://bucket/prefix/} and is never in the
 * artifact bucket.
 *
 * <p>Roots come from {@code lmforge.source-roots} ({@code LMFORGE_SOURCE_ROOTS}): comma-separated folders and
 * {@code s3://bucket/prefix} entries. The default is {@code samples} (the bundled corpus, relative to the
 * working folder) and {@code sources/} under the data folder.
 */
public final class SourceRoots {

    /** The configuration key of the roots. */
    public static final String KEY = "lmforge.source-roots";
    private static final String S3 = "s3://";
    /** Kernel and device trees: never a source, even under a root as wide as {@code /}. */
    private static final List<Path> SYSTEM = List.of(Path.of("/proc"), Path.of("/sys"), Path.of("/dev"));

    private final List<Path> folders;
    private final List<String> s3Prefixes;
    private final Path dataDir;
    private final Path dataSources;
    private final String artifactBucket;

    /**
     * @param folders        allowed local folders (made absolute and resolved here)
     * @param s3Prefixes     allowed {@code bucket/prefix} spellings without the scheme
     * @param dataDir        lmforge's data folder, never a source except its {@code sources/}
     * @param artifactBucket the artifact store's bucket, never a source
     */
    public SourceRoots(List<Path> folders, List<String> s3Prefixes, Path dataDir, String artifactBucket) {
        this.folders = folders.stream().map(SourceRoots::resolved).toList();
        this.s3Prefixes = s3Prefixes.stream().map(p -> p.endsWith("/") || !p.contains("/") ? p : p + "/").toList();
        this.dataDir = resolved(dataDir);
        this.dataSources = this.dataDir.resolve("sources");
        this.artifactBucket = artifactBucket;
    }

    /** The roots configured through {@code lookup} (null for an unset key), for the data folder and bucket of {@code settings}. */
    public static SourceRoots from(Function<String, String> lookup, LmforgeSettings settings) {
        String spelled = lookup.apply(KEY);
        List<String> entries = spelled == null || spelled.isBlank()
                ? List.of("samples", settings.dataDir().resolve("sources").toString())
                : Arrays.stream(spelled.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
        return new SourceRoots(List.of(), List.of(), settings.dataDir(), settings.s3Bucket()).plus(entries);
    }

    /** These roots and {@code entries} (folders and {@code s3://bucket/prefix}, as in {@link #KEY}), e.g. a team's own. */
    public SourceRoots plus(List<String> entries) {
        List<Path> moreFolders = new ArrayList<>(folders);
        List<String> moreS3 = new ArrayList<>(s3Prefixes);
        for (String entry : entries) {
            if (isS3(entry)) {
                moreS3.add(entry.substring(S3.length()));
            } else {
                moreFolders.add(Path.of(entry));
            }
        }
        return new SourceRoots(moreFolders, moreS3, dataDir, artifactBucket);
    }

    /**
     * Checks a root an admin grants: an absolute folder, or {@code s3://bucket} with an optional prefix, that is
     * not a place that is never a source (the system trees, the data folder outside {@code sources/}, the artifact
     * bucket). A refusal names {@code field}.
     */
    public void checkRoot(String field, String entry) {
        if (entry == null || entry.isBlank() || entry.length() > 1024 || entry.contains(",")) {
            throw new SourceRefusedException(field, "a root is a folder or s3://bucket/prefix of at most 1024 "
                    + "characters, without commas");
        }
        if (isS3(entry)) {
            String rest = entry.substring(S3.length());
            String bucket = rest.contains("/") ? rest.substring(0, rest.indexOf('/')) : rest;
            if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,62}")) {
                throw new SourceRefusedException(field, "not an S3 bucket name: s3://" + bucket);
            }
            if (bucket.equals(artifactBucket)) {
                throw new SourceRefusedException(field, "s3://" + bucket + " is lmforge's artifact bucket, which is "
                        + "never a source");
            }
            return;
        }
        Path path = parse(field, entry);
        if (!path.isAbsolute()) {
            throw new SourceRefusedException(field, "a folder root must be an absolute path, not " + entry);
        }
        Path real = resolved(path);
        for (Path system : SYSTEM) {
            if (real.startsWith(system)) {
                throw new SourceRefusedException(field, real + " is under " + system + ", which is never a source");
            }
        }
        if (real.startsWith(dataDir) && !real.startsWith(dataSources)) {
            throw new SourceRefusedException(field, real + " is inside lmforge's data folder; only its sources/ "
                    + "folder may be a root");
        }
    }

    /** Whether {@code spelled} names an S3 object or prefix rather than a local path. */
    public static boolean isS3(String spelled) {
        return spelled.startsWith(S3);
    }

    /** The roots as configured, for messages and the API. */
    public List<String> describe() {
        List<String> all = new ArrayList<>(folders.stream().map(Path::toString).toList());
        s3Prefixes.forEach(p -> all.add(S3 + p));
        return all;
    }

    /**
     * Checks a spec's path as the control plane sees it: an S3 source by its bucket and prefix, a local one as
     * {@link #local} does, except that a path that does not exist here is checked by its spelling (the worker
     * that reads it may be another machine, and checks again).
     */
    public void checkSpelled(String field, String spelled) {
        if (isS3(spelled)) {
            s3(field, spelled);
            return;
        }
        Path path = parse(field, spelled);
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            local(field, path);
        } else {
            inside(field, resolved(path));
        }
    }

    /**
     * The real path of a local file or folder that may be read, or a {@link SourceRefusedException} naming
     * {@code field} and the rule. Call it on every file right before opening it.
     */
    public Path local(String field, Path path) {
        Path real;
        try {
            real = path.toAbsolutePath().toRealPath();
        } catch (IOException | SecurityException e) {
            throw new SourceRefusedException(field, "no such file or folder: " + path);
        }
        inside(field, real);
        if (!Files.isRegularFile(real) && !Files.isDirectory(real)) {
            throw new SourceRefusedException(field, real + " is not a regular file or folder (devices, sockets and "
                    + "FIFOs are never sources)");
        }
        return real;
    }

    /** The local spelling parsed as a path, or a refusal naming the field. */
    public Path parse(String field, String spelled) {
        try {
            return Path.of(spelled);
        } catch (InvalidPathException e) {
            throw new SourceRefusedException(field, "not a valid path");
        }
    }

    private void inside(String field, Path real) {
        for (Path system : SYSTEM) {
            if (real.startsWith(system)) {
                throw new SourceRefusedException(field, real + " is under " + system + ", which is never a source");
            }
        }
        if (real.startsWith(dataDir) && !real.startsWith(dataSources)) {
            throw new SourceRefusedException(field, real + " is inside lmforge's data folder; only its sources/ "
                    + "folder (" + dataSources + ") may be read");
        }
        if (folders.stream().noneMatch(real::startsWith)) {
            throw new SourceRefusedException(field, real + " is outside the allowed source roots " + localRoots()
                    + " (" + KEY + ", LMFORGE_SOURCE_ROOTS)");
        }
    }

    /** Checks {@code s3://bucket/prefix}: a bucket and prefix under an allowed S3 root, never the artifact bucket. */
    public void s3(String field, String spelled) {
        String rest = spelled.substring(S3.length());
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        if (bucket.isEmpty()) {
            throw new SourceRefusedException(field, "an S3 source is s3://bucket/prefix");
        }
        if (bucket.equals(artifactBucket)) {
            throw new SourceRefusedException(field, "s3://" + bucket + " is lmforge's artifact bucket, which is never "
                    + "a source (stored artifacts are inputs by digest)");
        }
        String key = slash < 0 ? bucket + "/" : rest;
        boolean allowed = s3Prefixes.stream().anyMatch(p -> p.contains("/") ? key.startsWith(p) : bucket.equals(p));
        if (!allowed) {
            throw new SourceRefusedException(field, spelled + " is outside the allowed S3 source roots "
                    + s3Prefixes.stream().map(p -> S3 + p).collect(Collectors.joining(", ", "[", "]"))
                    + " (" + KEY + ", LMFORGE_SOURCE_ROOTS)");
        }
    }

    private String localRoots() {
        return folders.stream().map(Path::toString).collect(Collectors.joining(", ", "[", "]"));
    }

    /** Absolute, normalised and, where it exists, with symlinks resolved (a root may be a symlink). */
    private static Path resolved(Path path) {
        Path absolute = path.toAbsolutePath().normalize();
        try {
            return absolute.toRealPath();
        } catch (IOException e) {
            return absolute;
        }
    }
}
