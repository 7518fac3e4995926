package dev.lmforge.web.auth;

import dev.lmforge.services.config.LmforgeSettings;
import dev.lmforge.services.ledger.AuditLog;
import dev.lmforge.services.ledger.UserStore;
import dev.lmforge.services.ledger.UserStore.Role;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * On the first start (no users yet) creates the user {@value #ADMIN} with a random password and the team
 * {@value #DEFAULT_TEAM}, and writes the credentials to {@value #CREDENTIALS_FILE} in the data folder, readable
 * by its owner only; the log names the file, never the password. With the embedded PostgreSQL (local mode) it
 * also keeps a live API token of that user in {@value #CLI_TOKEN_FILE} for {@code ./lmforge run} and friends.
 */
@ApplicationScoped
public class FirstAdminBootstrap {

    public static final String ADMIN = "admin";
    static final String DEFAULT_TEAM = "default";
    static final String CREDENTIALS_FILE = "admin-credentials";
    static final String CLI_TOKEN_FILE = "cli-token";
    private static final Logger LOG = Logger.getLogger(FirstAdminBootstrap.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    @Inject
    UserStore users;
    @Inject
    AuditLog audit;
    @Inject
    LmforgeSettings settings;
    @ConfigProperty(name = "quarkus.http.host")
    String host;
    @ConfigProperty(name = "quarkus.http.port")
    int port;

    /** After the ledger's migration (priority 1), before the demo submits its run (priority 10). */
    void start(@Observes @Priority(5) StartupEvent event) throws IOException {
        Path dir = Files.createDirectories(settings.dataDir());
        if (!users.hasUsers()) {
            String password = Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes());
            users.createTeam(DEFAULT_TEAM);
            users.createUser(ADMIN, password, Role.ADMIN, List.of(DEFAULT_TEAM));
            Path file = dir.resolve(CREDENTIALS_FILE);
            writePrivate(file, "user: " + ADMIN + "\npassword: " + password + "\n");
            audit.append("lmforge", "user.create", "user:" + ADMIN, "{\"role\":\"admin\",\"teams\":[\"default\"],\"bootstrap\":true}");
            LOG.infof("created the first user '%s' (role admin, team '%s'); its password is in %s. Sign in at "
                    + "http://%s:%d/login.html and add users on the Admin page", ADMIN, DEFAULT_TEAM, file, host, port);
        }
        if (!settings.jdbcExternal()) {
            keepCliToken(dir.resolve(CLI_TOKEN_FILE));
        }
    }

    /** Leaves a live token in place; replaces a missing or revoked one. */
    private void keepCliToken(Path file) throws IOException {
        if (Files.exists(file) && users.isLiveToken(Files.readString(file).strip())) {
            return;
        }
        if (users.user(ADMIN).isEmpty()) {
            LOG.warnf("no user '%s', so no CLI token in %s; make one on the Admin page and set LMFORGE_TOKEN", ADMIN, file);
            return;
        }
        UserStore.NewToken token = users.createToken(ADMIN, "local CLI (" + CLI_TOKEN_FILE + ")");
        writePrivate(file, token.secret() + "\n");
        audit.append("lmforge", "token.create", "token:" + token.token().id(), "{\"user\":\"admin\",\"file\":\"" + CLI_TOKEN_FILE + "\"}");
        LOG.infof("the command line signs in as '%s' with the token in %s", ADMIN, file);
    }

    /** Writes a file that only its owner can read, created so from the start (never briefly world-readable). */
    private static void writePrivate(Path file, String text) throws IOException {
        Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, text);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[18];
        RANDOM.nextBytes(b);
        return b;
    }
}
