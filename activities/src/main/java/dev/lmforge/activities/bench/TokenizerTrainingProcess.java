package dev.lmforge.activities.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lmforge.activities.text.BpeTokenizer;
import dev.lmforge.activities.text.CorpusReader;
import dev.lmforge.activities.tokenizer.BpeTrainer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * lmforge's side of the tokenizer training comparison, in a process of its own so that its peak resident memory
 * (the kernel's {@code VmHWM}) is that of loading the documents and training, as it is for the Python peer's
 * process: {@code java ... TokenizerTrainingProcess VOCAB DOCUMENTS.jsonl OUT_DIR} trains, saves
 * {@code OUT_DIR/tokenizer.json} and prints one JSON line of figures.
 */
final class TokenizerTrainingProcess {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TokenizerTrainingProcess() {
    }

    public static void main(String[] words) throws IOException {
        int vocabularySize = Integer.parseInt(words[0]);
        List<String> documents = new ArrayList<>();
        CorpusReader.readText(Path.of(words[1]), (text, ends) -> documents.add(text));
        long cpu = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        long start = System.nanoTime();
        BpeTrainer trainer = new BpeTrainer(vocabularySize);
        documents.forEach(trainer::addText);
        long counted = System.nanoTime();
        BpeTokenizer tokenizer = trainer.train();
        long trained = System.nanoTime();
        long trainedCpu = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        Path file = tokenizer.save(Files.createDirectories(Path.of(words[2])));
        ObjectNode figures = JSON.createObjectNode()
            .put("seconds", (trained - start) / 1e9)
            .put("cpuSeconds", (trainedCpu - cpu) / 1e9)
            .put("countingSeconds", (counted - start) / 1e9)
            .put("mergingSeconds", (trained - counted) / 1e9)
            .put("distinctPieces", trainer.distinctPieces())
            .put("peakRssBytes", peakResidentBytes())
            .put("tokenizer", file.toString());
        System.out.println(JSON.writeValueAsString(figures));
    }

    /** This process's peak resident set ({@code VmHWM} of {@code /proc/self/status}), or -1 where there is none. */
    static long peakResidentBytes() throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) {
            return -1;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        }
        return -1;
    }

    /**
     * Runs {@link #main} in a new JVM with this one's class path and JVM options and returns its figures.
     *
     * @throws IOException if it cannot start or exits non-zero (the message carries the end of its output)
     */
    static JsonNode run(int vocabularySize, Path documents, Path outDir) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // The heap and system settings carry over; agents (a debugger's, a coverage tool's) do not.
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
            .filter(a -> a.startsWith("-X") || a.startsWith("-D")).forEach(command::add);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), TokenizerTrainingProcess.class.getName(),
            Integer.toString(vocabularySize), documents.toString(), outDir.toString()));
        try {
            return JSON.readTree(ChildProcess.lastLine(ChildProcess.output(command, Map.of(), 30)));
        } catch (ChildProcess.Failed e) {
            throw new IOException("the lmforge training process failed: " + e.getMessage(), e);
        }
    }
}
