package dev.lmforge.activities;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;

/**
 * Opens a file whose real path was checked against the source roots so that nothing swapped in after the check
 * is followed. The path is walked one name at a time from the root, each folder opened relative to the handle of
 * the one above it and the file last, all without following symbolic links ({@code openat} with
 * {@code O_NOFOLLOW} on Linux): a checked real path holds no link, so a link found on the walk was put there after
 * the check and the open fails instead of leaving the root.
 */
public final class ConfinedFile {

    private ConfinedFile() {
    }

    /**
     * A stream over the regular file at {@code real}, an absolute path with no symbolic link in it (as
     * {@link Path#toRealPath} gives); an {@link IOException} if any part of it is now a link, or it is no longer a
     * regular file.
     */
    public static InputStream open(Path real) throws IOException {
        return Channels.newInputStream(channel(real));
    }

    private static SeekableByteChannel channel(Path real) throws IOException {
        if (!real.isAbsolute() || real.getNameCount() == 0) {
            throw new IOException(real + " is not the absolute path of a file");
        }
        Deque<DirectoryStream<Path>> open = new ArrayDeque<>();
        try {
            SecureDirectoryStream<Path> folder = secure(Files.newDirectoryStream(real.getRoot()), open);
            for (int i = 0; i < real.getNameCount() - 1; i++) {
                folder = secure(folder.newDirectoryStream(real.getName(i), LinkOption.NOFOLLOW_LINKS), open);
            }
            Path name = real.getFileName();
            if (!folder.getFileAttributeView(name, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .readAttributes().isRegularFile()) {
                throw new IOException(real + " is not a regular file (it changed after it was checked)");
            }
            return folder.newByteChannel(name, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS));
        } finally {
            for (DirectoryStream<Path> stream : open) {
                stream.close();
            }
        }
    }

    private static SecureDirectoryStream<Path> secure(DirectoryStream<Path> stream, Deque<DirectoryStream<Path>> open)
            throws IOException {
        open.push(stream);
        if (stream instanceof SecureDirectoryStream<Path> secure) {
            return secure;
        }
        throw new IOException("this file system cannot open a file relative to a folder handle, so a source "
                + "cannot be read safely here");
    }
}
