package dev.lmforge.activities.cli;

import dev.lmforge.activities.data.DataConfig;
import dev.lmforge.activities.data.DataPipeline;
import dev.lmforge.activities.data.DataReport;
import dev.lmforge.activities.data.DuplicateRates;
import dev.lmforge.activities.data.Mix;
import dev.lmforge.activities.text.TooManyInputErrorsException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * {@code lmforge data run --input PATH... --out DIR --report FILE.json [--config FILE] [--partitions N] [--json]}:
 * the data stage offline, in one process ({@link DataPipeline}).
 */
public final class DataCommand implements Command {

    /** Writes reports indented, as the data commands print them. */
    public static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Override
    public String name() {
        return "data";
    }

    @Override
    public String summary() {
        return "deduplicate (exact and MinHash, across dumps), filter and remix a corpus: data run --input PATH... --out DIR --report FILE.json";
    }

    @Override
    public Help help() {
        return Help.of("The data stage offline, in one process: exact and MinHash deduplication across dumps, quality "
                + "filters and remixing, writing the kept documents and a JSON report.")
                .usage("data run --input PATH... --out DIR --report FILE.json [--config FILE] [--partitions N] [--json]")
                .option("--input PATH", "a corpus file or folder (repeatable; JSONL with \"text\" or plain text, .gz/.zst)")
                .option("--out DIR", "where the kept documents go")
                .option("--report FILE.json", "where the report (rates per dump, rejections per rule) goes")
                .option("--config FILE", "a data config (YAML or JSON) instead of the defaults")
                .option("--partitions N", "deduplication partitions (memory against passes)")
                .option("--json", "print the report as JSON")
                .example("lmforge data run --input samples/corpus --out /tmp/kept --report /tmp/report.json");
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws Exception {
        String verb = args.positional(0, "sub-command (run)");
        if (!verb.equals("run")) {
            throw new Args.UsageException("unknown data sub-command '" + verb + "'; expected: run");
        }
        args.allowOnly("input", "out", "report", "config", "partitions", "json");
        List<Path> inputs = args.values("input").stream().map(Path::of).toList();
        if (inputs.isEmpty()) {
            throw new Args.UsageException("missing --input PATH...");
        }
        Path outDir = Path.of(args.require("out"));
        Path reportFile = Path.of(args.require("report"));
        DataConfig config = args.has("config") ? DataConfig.load(Path.of(args.require("config"))) : DataConfig.defaults();
        if (args.has("partitions")) {
            config = config.withPartitions((int) args.getLong("partitions", config.partitions()));
        }
        DataReport report;
        try {
            report = new DataPipeline(config).run(inputs, outDir);
        } catch (TooManyInputErrorsException e) {
            err.println("data: " + e.getMessage());
            e.errors().stream().limit(20).forEach(x -> err.println("  " + x));
            return 1;
        }
        Path parent = reportFile.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path temp = Files.createTempFile(parent, "." + reportFile.getFileName(), ".partial");
        JSON.writeValue(temp.toFile(), report);
        Files.move(temp, reportFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        if (args.has("json")) {
            out.println(JSON.writeValueAsString(report));
        } else {
            printSummary(report, reportFile, out);
        }
        return 0;
    }

    private static void printSummary(DataReport report, Path reportFile, PrintStream out) {
        out.printf("documents: %s%n", report.steps());
        if (report.reading().errorCount() > 0) {
            out.printf("unreadable records: %d %s (first: %s)%n", report.reading().errorCount(),
                    report.reading().errorKinds(), report.reading().errors().get(0));
        }
        out.println("deduplication (Table 1 shape):");
        out.printf("  %-16s %10s %14s %14s%n", "dump", "documents", "within dump", "across dumps");
        for (DuplicateRates r : report.dedup().rates()) {
            out.printf("  %-16s %10d %7d %5.1f %% %7d %5.1f %%%n", r.dump(), r.documents(), r.removedWithinDump(),
                    100 * r.withinDumpRate(), r.removedAcrossDumps(), 100 * r.acrossDumpsRate());
        }
        out.printf("  removed as exact copies %d, as near copies %d%n", report.dedup().removedExact(),
                report.dedup().removedNear());
        out.printf("quality: kept %d of %d; rejected %s%n", report.quality().kept(), report.quality().input(),
                report.quality().rejected());
        out.printf("mix by domain before %s%n", shares(report.remix().before().domains()));
        out.printf("mix by domain after  %s%n", shares(report.remix().after().domains()));
        report.remix().notes().forEach(n -> out.println("remix: " + n));
        out.printf("wrote %d shards and %s (every duplicate cluster, the document kept and why); report %s%n",
                report.outputs().size(), report.duplicates(), reportFile);
    }

    private static String shares(java.util.Map<String, Mix.Share> rows) {
        StringBuilder s = new StringBuilder();
        rows.forEach((k, v) -> s.append(String.format("%s %.1f %% ", k, 100 * v.documentShare())));
        return s.toString().strip();
    }
}
