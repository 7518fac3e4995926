package dev.lmforge.workflows.stage;

import io.temporal.activity.ActivityOptions;
import io.temporal.workflow.Workflow;
import java.util.function.BiFunction;

/**
 * The activity that runs a stage on a compute worker: its interface and the method to call.
 *
 * @param type   the activity interface, e.g. {@link TokenizerStage}
 * @param method the interface's stage method, e.g. {@code TokenizerStage::tokenize}
 * @param <A>    the activity interface
 */
public record StageActivity<A>(Class<A> type, BiFunction<A, StageInput, StageOutput> method) {

    /** Schedules the stage's activity with {@code options} and waits for its output; call it from workflow code. */
    public StageOutput run(ActivityOptions options, StageInput input) {
        return method.apply(Workflow.newActivityStub(type, options), input);
    }
}
