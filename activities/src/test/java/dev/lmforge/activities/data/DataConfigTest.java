package dev.lmforge.activities.data;

import dev.lmforge.activities.text.ReadingLimits;
import dev.lmforge.workflows.spec.LifecycleSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DataConfigTest {

    @TempDir
    Path dir;

    @Test
    void aFileOverridesOnlyTheSettingsItNames() throws IOException {
        Path file = Files.writeString(dir.resolve("data.yaml"), """
                dedup:
                  threshold: 0.7
                  shingles: CHARACTER
                remix:
                  domainWeights: {web: 0.3, code: 0.7}
                partitions: 8
                """);
        DataConfig config = DataConfig.load(file);
        DataConfig defaults = DataConfig.defaults();
        assertEquals(0.7, config.dedup().threshold());
        assertEquals(DataConfig.ShingleMode.CHARACTER, config.dedup().shingles());
        assertEquals(defaults.dedup().bands(), config.dedup().bands());
        assertEquals(Map.of("web", 0.3, "code", 0.7), config.remix().domainWeights());
        assertEquals(8, config.partitions());
        assertEquals(defaults.quality(), config.quality());
    }

    /** The defaults moved to DataSettings; their values (and so every data report and corpus) must not change. */
    @Test
    void theDefaultsAreTheOnesTheDataStageHasAlwaysHad() {
        assertEquals(new DataConfig(new ReadingLimits(8L << 20, 0.05),
                new DataConfig.Dedup(true, DataConfig.ShingleMode.WORD, 5, 128, 16, 8, 0.8, 20240101L,
                        DataConfig.KeepPolicy.EARLIEST_DUMP),
                new DataConfig.Quality(50, 100_000, 3, 10, 0.1, 0.3, 0.9, 0.3, 0.3, List.of(0.20, 0.18, 0.16),
                        List.of(0.15, 0.14, 0.13, 0.12, 0.11, 0.10), 0.8, List.of("en", "zh"), 5),
                new DataConfig.Remix(Map.of(), Map.of(), 0, 20240101L), 4), DataConfig.defaults());
    }

    @Test
    void aSettingOutOfItsSharedRangeIsRefusedOnTheWorkerToo() throws IOException {
        Path languages = Files.writeString(dir.resolve("languages.json"), "{\"quality\": {\"languages\": [\"fr\"]}}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DataConfig.load(languages));
        assertTrue(e.getMessage().contains("quality.languages[0]: must be one of [en, zh, other], got 'fr'"),
                e.getMessage());
    }

    @Test
    void unknownAndOutOfRangeSettingsAreErrorsThatNameThem() throws IOException {
        Path typo = Files.writeString(dir.resolve("typo.json"), "{\"dedup\": {\"treshold\": 0.7}}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DataConfig.load(typo));
        assertEquals("bad data config " + typo + ": unknown data config setting 'dedup.treshold'", e.getMessage());
        Path bands = Files.writeString(dir.resolve("bands.json"), "{\"dedup\": {\"bands\": 20}}");
        e = assertThrows(IllegalArgumentException.class, () -> DataConfig.load(bands));
        assertTrue(e.getMessage().contains("dedup.bands * dedup.rows must not exceed dedup.permutations"), e.getMessage());
        assertTrue(e.getMessage().contains(bands.toString()), e.getMessage());
    }

    @Test
    void aSpecsDataSectionOverridesOnlyTheSettingsItGives() {
        LifecycleSpec.DataOptions options = new LifecycleSpec.DataOptions(5_000_000L, 7, null,
                new LifecycleSpec.DataOptions.Dedup(null, "CHARACTER", null, null, null, null, 0.75, null, "LATEST_DUMP"),
                null, new LifecycleSpec.DataOptions.Remix(Map.of("docs", 1.0), null, null, null));
        DataConfig config = DataConfig.from(options);
        DataConfig defaults = DataConfig.defaults();
        assertEquals(7, config.partitions());
        assertEquals(new DataConfig.Dedup(true, DataConfig.ShingleMode.CHARACTER, defaults.dedup().shingleSize(),
                defaults.dedup().permutations(), defaults.dedup().bands(), defaults.dedup().rows(), 0.75,
                defaults.dedup().seed(), DataConfig.KeepPolicy.LATEST_DUMP), config.dedup());
        assertEquals(Map.of("docs", 1.0), config.remix().domainWeights());
        assertEquals(defaults.remix().seed(), config.remix().seed());
        assertEquals(defaults.reading(), config.reading());
        assertEquals(defaults.quality(), config.quality());
        assertEquals(defaults, DataConfig.from(null));
        assertEquals(defaults, DataConfig.from(new LifecycleSpec.DataOptions(1L, null, null, null, null, null)));
    }

    @Test
    void aSpecWhoseSettingsClashWithTheDefaultsIsRefusedNamingThem() {
        LifecycleSpec.DataOptions options = new LifecycleSpec.DataOptions(null, null, null,
                new LifecycleSpec.DataOptions.Dedup(null, null, null, 64, null, null, null, null, null), null, null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DataConfig.from(options));
        assertTrue(e.getMessage().contains("dedup.bands * dedup.rows must not exceed dedup.permutations"), e.getMessage());
    }
}
