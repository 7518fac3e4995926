package dev.lmforge.workflows.stage;

import com.fasterxml.jackson.databind.JsonNode;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import java.util.Map;

/**
 * The align stage's contract: supervised fine-tuning, then DPO, from the pretrain stage's final checkpoint and
 * the tokenizer. The outputs mirror pretraining's ({@link Outputs#MODEL}, {@link Outputs#CHECKPOINT}), so that
 * evaluate-chat reads them as evaluate-base reads the base model's, plus a {@link Outputs#REPORT} of both
 * phases (options, data sources, figures). Its data comes in by digest: {@link #snapshotData} runs first.
 */
@ActivityInterface
public interface AlignStage {

    /**
     * Copies the SFT and preference sets that {@code config} (an {@link AlignStageConfig}) names, the user's files
     * or the bundled sets, into the artifact store after checking them line by line, and returns them as
     * {@link Outputs#SFT_DATA} and {@link Outputs#PREFERENCE_DATA}. Alignment then reads them by digest, so an edited
     * file is a new cache key and the aligned model's lineage names the very data it was trained on. The files must
     * lie in the source roots of run {@code runId}'s team (null, as workflows recorded before it passed, means the shared roots).
     */
    @ActivityMethod
    Map<String, ArtifactRef> snapshotData(String runId, JsonNode config);

    @ActivityMethod
    StageOutput align(StageInput input);
}
