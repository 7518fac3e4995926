package dev.lmforge.infra;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Forwards every TCP connection made to one address and port to another, byte for byte, both ways. The Temporal
 * CLI's dev server cannot listen on an address other than loopback by itself: with {@code --ip} its frontend,
 * history and matching services bind that address, but they reach one another at 127.0.0.1 and fail. So the server
 * stays on 127.0.0.1 and this relay gives its frontend to the bind host. A connection whose far side is down (the
 * server restarting) is closed at once; the client reconnects.
 */
final class TcpRelay implements AutoCloseable {

    private final ServerSocket listener;
    private final InetSocketAddress target;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();

    private TcpRelay(ServerSocket listener, InetSocketAddress target) {
        this.listener = listener;
        this.target = target;
    }

    /** Listens on {@code host:port} and forwards to {@code target}; a taken port is an error naming both. */
    static TcpRelay start(InetAddress host, int port, InetSocketAddress target) {
        ServerSocket listener;
        try {
            listener = new ServerSocket();
            listener.setReuseAddress(true);
            listener.bind(new InetSocketAddress(host, port));
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen on " + host.getHostAddress() + ":" + port + " to relay to "
                    + target + ": " + e.getMessage(), e);
        }
        TcpRelay relay = new TcpRelay(listener, target);
        daemon(relay::accept, "lmforge-relay-" + port);
        return relay;
    }

    private void accept() {
        while (!listener.isClosed()) {
            Socket in;
            try {
                in = listener.accept();
            } catch (IOException closed) {
                return;
            }
            Socket out = new Socket();
            try {
                out.connect(target, 5_000);
            } catch (IOException down) {
                closeQuietly(in);
                closeQuietly(out);
                continue;
            }
            open.add(in);
            open.add(out);
            daemon(() -> pipe(in, out), "lmforge-relay-up");
            daemon(() -> pipe(out, in), "lmforge-relay-down");
        }
    }

    /** Copies until either side ends, then closes both, so the other direction ends too. */
    private void pipe(Socket from, Socket to) {
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException ended) {
            // one side went away: close both below
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private void closeQuietly(Socket s) {
        open.remove(s);
        try {
            s.close();
        } catch (IOException ignored) {
            // closing is all that is left to do with it
        }
    }

    private static void daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    /** Stops listening and ends every relayed connection. */
    @Override
    public void close() throws IOException {
        listener.close();
        for (Socket s : open) {
            closeQuietly(s);
        }
    }
}
