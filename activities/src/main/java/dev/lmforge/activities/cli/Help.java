package dev.lmforge.activities.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * What {@code lmforge COMMAND --help} prints: the usage lines (one per sub-command), what the command does, its
 * options and examples. Every {@link Command} gives one, so that the layout is the same for all.
 *
 * @param usage       usage lines after {@code lmforge}, e.g. {@code "runs [--status S] [--limit N]"}
 * @param description what the command does, in a sentence or two
 * @param options     each option and what it means
 * @param examples    whole command lines that work as shown
 */
public record Help(List<String> usage, String description, List<Option> options, List<String> examples) {

    /** Where the description is wrapped: a terminal of 100 columns shows it unbroken. */
    private static final int WIDTH = 100;

    /** One option: how it is written ({@code --limit N}) and what it does. */
    public record Option(String spelling, String meaning) {
    }

    public Help {
        usage = List.copyOf(usage);
        options = List.copyOf(options);
        examples = List.copyOf(examples);
    }

    /** A help with {@code description} and nothing else yet; add to it with the methods below. */
    public static Help of(String description) {
        return new Help(List.of(), description, List.of(), List.of());
    }

    public Help usage(String line) {
        return new Help(append(usage, line), description, options, examples);
    }

    public Help option(String spelling, String meaning) {
        return new Help(usage, description, append(options, new Option(spelling, meaning)), examples);
    }

    public Help example(String line) {
        return new Help(usage, description, options, append(examples, line));
    }

    /** The text as printed, every line ending in a newline. */
    public String render() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < usage.size(); i++) {
            sb.append(i == 0 ? "usage: " : "       ").append("lmforge ").append(usage.get(i)).append('\n');
        }
        sb.append('\n').append(wrap(description)).append('\n');
        if (!options.isEmpty()) {
            int width = options.stream().mapToInt(o -> o.spelling().length()).max().orElse(0);
            sb.append("\noptions:\n");
            options.forEach(o -> sb.append(String.format("  %-" + width + "s  %s", o.spelling(), o.meaning())).append('\n'));
        }
        if (!examples.isEmpty()) {
            sb.append("\nexamples:\n");
            examples.forEach(e -> sb.append("  ").append(e).append('\n'));
        }
        return sb.toString();
    }

    /** Breaks {@code text} between words into lines of at most {@value #WIDTH} characters. */
    private static String wrap(String text) {
        StringBuilder out = new StringBuilder();
        int lineLength = 0;
        for (String word : text.split(" ")) {
            if (lineLength > 0 && lineLength + 1 + word.length() > WIDTH) {
                out.append('\n');
                lineLength = 0;
            } else if (lineLength > 0) {
                out.append(' ');
                lineLength++;
            }
            out.append(word);
            lineLength += word.length();
        }
        return out.toString();
    }

    private static <T> List<T> append(List<T> list, T item) {
        List<T> copy = new ArrayList<>(list);
        copy.add(item);
        return copy;
    }
}
