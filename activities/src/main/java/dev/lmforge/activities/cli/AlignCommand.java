package dev.lmforge.activities.cli;

import dev.lmforge.activities.InvalidInputException;
import dev.lmforge.activities.alignment.AlignmentData;
import dev.lmforge.activities.alignment.BundledSetGenerator;
import dev.lmforge.activities.alignment.SftExample;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code lmforge align}: the alignment data's offline parts (models are aligned by a lifecycle's align stage).
 * <ul>
 *   <li>{@code align generate-data --out DIR}: writes the bundled SFT and DPO sets into {@code DIR};</li>
 *   <li>{@code align validate [--sft FILE]... [--dpo FILE]...}: reads each file as the align stage would;
 *   errors name file, line and field.</li>
 * </ul>
 */
public final class AlignCommand implements Command {

    @Override
    public String name() {
        return "align";
    }

    @Override
    public String summary() {
        return "alignment data: generate-data --out DIR | validate [--sft FILE]... [--dpo FILE]...";
    }

    @Override
    public Help help() {
        return Help.of("Alignment data offline: write the bundled SFT and preference sets, or validate SFT and DPO files.")
                .usage("align generate-data --out DIR")
                .usage("align validate [--sft FILE]... [--dpo FILE]...")
                .option("--out DIR", "generate-data: where sft.jsonl and preferences.jsonl go")
                .option("--sft FILE", "validate: an SFT file, one conversation a line (repeatable)")
                .option("--dpo FILE", "validate: a preference file, one pair a line (repeatable)")
                .example("lmforge align generate-data --out /tmp/align")
                .example("lmforge align validate --sft /tmp/align/sft.jsonl --dpo /tmp/align/preferences.jsonl");
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws Exception {
        String what = args.positional(0, "what to do: 'generate-data' or 'validate'");
        return switch (what) {
            case "generate-data" -> {
                args.allowOnly("out");
                BundledSetGenerator.write(Path.of(args.require("out"))).forEach(out::println);
                yield 0;
            }
            case "validate" -> validate(args, out, err);
            default -> throw new Args.UsageException("unknown align action '" + what
                    + "': use 'generate-data' or 'validate' (models are aligned by a lifecycle's align stage)");
        };
    }

    private static int validate(Args args, PrintStream out, PrintStream err) {
        args.allowOnly("sft", "dpo");
        List<String> sft = args.values("sft");
        List<String> dpo = args.values("dpo");
        if (sft.isEmpty() && dpo.isEmpty()) {
            throw new Args.UsageException("name at least one file with --sft FILE or --dpo FILE");
        }
        int failures = 0;
        for (String file : sft) {
            try {
                List<SftExample> examples = AlignmentData.readSft(Path.of(file));
                long conversational = examples.stream().filter(SftExample::conversational).count();
                out.println("ok " + file + ": " + examples.size() + " SFT conversations, " + conversational
                        + " conversational");
            } catch (InvalidInputException e) {
                err.println(e.getMessage());
                failures++;
            }
        }
        for (String file : dpo) {
            try {
                out.println("ok " + file + ": " + AlignmentData.readPreferences(Path.of(file)).size()
                        + " preference pairs");
            } catch (InvalidInputException e) {
                err.println(e.getMessage());
                failures++;
            }
        }
        return failures == 0 ? 0 : 1;
    }
}
