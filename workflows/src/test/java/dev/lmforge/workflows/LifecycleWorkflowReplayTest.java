package dev.lmforge.workflows;

import io.temporal.testing.WorkflowReplayer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Replays recorded lifecycle histories against today's workflow code. A change that would make a running
 * workflow take a different path fails here; such changes must go behind {@code Workflow.getVersion}.
 * The histories come from real runs on the local stack (see LifecycleApiTest, which writes a fresh one to
 * {@code web-ui/target/histories/}).
 */
class LifecycleWorkflowReplayTest {

    private static String history(String name) throws IOException {
        try (InputStream in = LifecycleWorkflowReplayTest.class.getResourceAsStream("/histories/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource histories/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void aDataThenPlanRunReplays() throws Exception {
        WorkflowReplayer.replayWorkflowExecution(history("lifecycle-data-plan.json"), LifecycleWorkflowImpl.class);
    }
}
