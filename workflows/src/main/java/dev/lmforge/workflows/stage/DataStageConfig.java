package dev.lmforge.workflows.stage;

import dev.lmforge.workflows.spec.LifecycleSpec;
import java.util.List;
import java.util.Locale;

/**
 * The data stage's config as the stage and its cache key see it: the spec's data options and the snapshotted
 * dumps, whose i-th entry is the stage input named {@link #inputName(int) inputName(i)}.
 */
public record DataStageConfig(LifecycleSpec.DataOptions options, List<RawDump> dumps) {

    /** The stage input name of the i-th dump. */
    public static String inputName(int i) {
        return String.format(Locale.ROOT, "raw-%04d", i);
    }
}
