package dev.lmforge.activities.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parsed command-line arguments: positional words and {@code --name value}, {@code --name=value} or bare
 * {@code --flag} options. An option may repeat ({@code --input a --input b}); {@code --input a b} also gives
 * two values, since values run until the next option.
 */
public final class Args {

    private final List<String> positional = new ArrayList<>();
    private final Map<String, List<String>> options = new LinkedHashMap<>();

    private Args() {
    }

    /** Parses {@code words}; every word after a bare {@code --} is positional. */
    public static Args parse(List<String> words) {
        Args args = new Args();
        String current = null;
        boolean onlyPositional = false;
        for (String word : words) {
            if (!onlyPositional && word.equals("--")) {
                onlyPositional = true;
                current = null;
            } else if (!onlyPositional && word.startsWith("--") && word.length() > 2) {
                int eq = word.indexOf('=');
                if (eq > 0) {
                    args.options.computeIfAbsent(word.substring(2, eq), k -> new ArrayList<>()).add(word.substring(eq + 1));
                    current = null;
                } else {
                    current = word.substring(2);
                    args.options.computeIfAbsent(current, k -> new ArrayList<>());
                }
            } else if (current != null) {
                args.options.get(current).add(word);
            } else {
                args.positional.add(word);
            }
        }
        return args;
    }

    /** The positional words, in order. */
    public List<String> positional() {
        return List.copyOf(positional);
    }

    /** The positional word at {@code index}, or a {@link UsageException} naming {@code what}. */
    public String positional(int index, String what) {
        if (index >= positional.size()) {
            throw new UsageException("missing " + what);
        }
        return positional.get(index);
    }

    /** Whether {@code --name} was given, with or without a value. */
    public boolean has(String name) {
        return options.containsKey(name);
    }

    /** Every value given to {@code --name}, in order; empty if it was not given. */
    public List<String> values(String name) {
        return List.copyOf(options.getOrDefault(name, List.of()));
    }

    /** The single value of {@code --name}, or {@code fallback} when absent. */
    public String get(String name, String fallback) {
        List<String> v = options.get(name);
        if (v == null) {
            return fallback;
        }
        if (v.size() != 1) {
            throw new UsageException("--" + name + " takes exactly one value");
        }
        return v.get(0);
    }

    /** The single value of {@code --name}; a {@link UsageException} if it is missing. */
    public String require(String name) {
        String v = get(name, null);
        if (v == null) {
            throw new UsageException("missing --" + name);
        }
        return v;
    }

    /** {@code --name} as a long, accepting forms such as {@code 1e6}; {@code fallback} when absent. */
    public long getLong(String name, long fallback) {
        String v = get(name, null);
        return v == null ? fallback : (long) getDouble(name, fallback);
    }

    /** {@code --name} as a double; {@code fallback} when absent; a {@link UsageException} when not a number. */
    public double getDouble(String name, double fallback) {
        String v = get(name, null);
        if (v == null) {
            return fallback;
        }
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be a number, not '" + v + "'");
        }
    }

    /** Fails with a {@link UsageException} on any option not in {@code known}, so typos do not pass silently. */
    public Args allowOnly(String... known) {
        Set<String> allowed = Set.of(known);
        for (String name : options.keySet()) {
            if (!allowed.contains(name)) {
                throw new UsageException("unknown option --" + name);
            }
        }
        return this;
    }

    /** Bad command-line usage; the command line prints its message and exits with code 2. */
    public static final class UsageException extends RuntimeException {
        public UsageException(String message) {
            super(message);
        }
    }
}
