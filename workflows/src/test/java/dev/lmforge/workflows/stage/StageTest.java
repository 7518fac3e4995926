package dev.lmforge.workflows.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The stage wiring: who produces what each stage reads, and which stages each needs before it. */
class StageTest {

    @Test
    void everyRequiredInputHasAProducerBeforeItsConsumer() {
        for (Stage stage : Stage.values()) {
            for (String name : stage.requires()) {
                Optional<Stage> producer = Stage.producerOf(name, stage);
                assertTrue(producer.isPresent(), stage.id() + " requires '" + name + "', which no earlier stage makes");
                assertTrue(producer.get().ordinal() < stage.ordinal(), stage.id() + " <- " + producer.get().id());
            }
        }
    }

    @Test
    void theNearestEarlierProducerWins() {
        assertEquals(Optional.of(Stage.PRETRAIN), Stage.producerOf(Outputs.MODEL, Stage.EVALUATE_BASE));
        assertEquals(Optional.of(Stage.ALIGN), Stage.producerOf(Outputs.MODEL, Stage.EVALUATE_CHAT));
        assertEquals(Optional.of(Stage.PRETRAIN), Stage.producerOf(Outputs.CHECKPOINT, Stage.ALIGN));
        assertEquals(Optional.empty(), Stage.producerOf(Outputs.SFT_DATA, Stage.ALIGN), "alignment data is snapshotted");
        assertEquals(Optional.empty(), Stage.producerOf(Outputs.CORPUS, Stage.DATA), "nothing comes before data");
    }

    @Test
    void eachStageNeedsTheProducersOfWhatItRequiresInLifecycleOrder() {
        assertEquals(List.of(), Stage.DATA.needs());
        assertEquals(List.of(), Stage.PLAN.needs(), "only a sweep reads the tokens; the validator checks that");
        assertEquals(List.of(Stage.TOKENIZER, Stage.PLAN), Stage.PRETRAIN.needs());
        assertEquals(List.of(Stage.TOKENIZER, Stage.PRETRAIN), Stage.EVALUATE_BASE.needs());
        assertEquals(List.of(Stage.TOKENIZER, Stage.PRETRAIN), Stage.ALIGN.needs());
        assertEquals(List.of(Stage.TOKENIZER, Stage.ALIGN), Stage.EVALUATE_CHAT.needs());
    }

    /** These sets are in every stage's cache key (through its inputs): changing one re-runs every stored stage. */
    @Test
    void theConsumedOutputsAreThoseRecordedRunsWereHanded() {
        assertEquals(Set.of(), Stage.DATA.consumes());
        assertEquals(Set.of("corpus"), Stage.TOKENIZER.consumes());
        assertEquals(Set.of("tokens"), Stage.PLAN.consumes());
        assertEquals(Set.of("plan", "tokens", "tokenizer", "held-out", "scaling-fit"), Stage.PRETRAIN.consumes());
        assertEquals(Set.of("model", "checkpoint", "tokenizer", "held-out", "corpus"), Stage.EVALUATE_BASE.consumes());
        assertEquals(Set.of("checkpoint", "tokenizer", "sft-data", "preference-data"), Stage.ALIGN.consumes());
        assertEquals(Stage.EVALUATE_BASE.consumes(), Stage.EVALUATE_CHAT.consumes());
    }
}
