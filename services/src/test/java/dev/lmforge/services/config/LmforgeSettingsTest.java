package dev.lmforge.services.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The bind host: where the local services are reached by default, and what workers elsewhere are told. */
class LmforgeSettingsTest {

    @Test
    void theLocalServicesAreReachedOnTheBindHostByDefault() {
        LmforgeSettings settings = LmforgeSettings.from(Map.of("lmforge.bind-host", "10.231.0.1",
                "lmforge.postgres.port", "25432")::get);
        assertEquals("10.231.0.1", settings.bindHost());
        assertEquals("10.231.0.1:7233", settings.temporalTarget());
        assertEquals("jdbc:postgresql://10.231.0.1:25432/postgres", settings.jdbcUrl());
        assertEquals("http://10.231.0.1:9000", settings.s3Endpoint());
        assertFalse(settings.temporalExternal() || settings.jdbcExternal() || settings.s3External());
    }

    @Test
    void withoutABindHostEverythingStaysOnLoopback() {
        LmforgeSettings settings = LmforgeSettings.from(Map.<String, String>of()::get);
        assertEquals("127.0.0.1", settings.bindHost());
        assertEquals("127.0.0.1:7233", settings.temporalTarget());
    }

    @Test
    void workersAreToldTheAddressesAndQueuesButNoCredentials() {
        LmforgeSettings settings = LmforgeSettings.from(Map.of("lmforge.bind-host", "10.231.0.1",
                "lmforge.queue.cpu", "mh-cpu", "lmforge.s3.secret-key", "hush", "lmforge.jdbc.app-password", "hush")::get);
        Map<String, String> env = settings.workerEnvironment();
        assertEquals("10.231.0.1:7233", env.get("LMFORGE_TEMPORAL_TARGET"));
        assertEquals("jdbc:postgresql://10.231.0.1:15432/postgres", env.get("LMFORGE_JDBC_URL"));
        assertEquals("http://10.231.0.1:9000", env.get("LMFORGE_S3_ENDPOINT"));
        assertEquals("mh-cpu", env.get("LMFORGE_QUEUE_CPU"));
        assertTrue(env.values().stream().noneMatch(v -> v.contains("hush")), env.toString());
        // Each name is the variable of a key the settings read, so a worker given them reads them back.
        LmforgeSettings worker = LmforgeSettings.from(key -> env.get(LmforgeSettings.envName(key)));
        assertEquals(settings.jdbcUrl(), worker.jdbcUrl());
        assertEquals(settings.temporalTarget(), worker.temporalTarget());
        assertEquals(settings.s3Endpoint(), worker.s3Endpoint());
        assertEquals("mh-cpu", worker.cpuQueue());
    }

    @Test
    void aWildcardOrMalformedBindHostIsRefusedNamingTheSetting() {
        for (String bad : new String[] {"0.0.0.0", "::", "10.0.0.1/24", "a b", "::1"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> LmforgeSettings.from(Map.of("lmforge.bind-host", bad)::get), bad);
            assertTrue(e.getMessage().contains("LMFORGE_BIND_HOST"), e.getMessage());
        }
    }
}
