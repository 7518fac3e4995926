package dev.lmforge.activities.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lmforge.activities.cli.Args;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrainBenchCommandTest {

    @Test
    void badOptionsAreUsageErrorsNamingTheOption() {
        TrainBenchCommand command = new TrainBenchCommand();
        assertEquals("bench-train", command.name());
        for (List<String> words : List.of(List.of("--shapes", "7B"), List.of("--threads", "two"),
                List.of("--precisions", "int8"), List.of("--seconds", "0"), List.of("--steps", "3"))) {
            Args.UsageException e = assertThrows(Args.UsageException.class, () -> command.run(Args.parse(words),
                    new PrintStream(new ByteArrayOutputStream()), new PrintStream(new ByteArrayOutputStream())));
            String option = words.get(0);
            assertTrue(e.getMessage().contains(option), e.getMessage() + " should name " + option);
        }
    }
}
