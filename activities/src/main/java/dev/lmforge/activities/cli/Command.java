package dev.lmforge.activities.cli;

import java.io.PrintStream;

/**
 * One sub-command of the {@code lmforge} command line, such as {@code plan} or {@code tokenizer}.
 * Implementations parse their own arguments with {@link Args} and return a process exit code.
 */
public interface Command {

    /** The word that selects this command, e.g. {@code "plan"}. */
    String name();

    /** One line for the command list of {@code lmforge help}. */
    String summary();

    /** What {@code lmforge NAME --help} prints: usage, options and examples. */
    Help help();

    /**
     * Runs the command.
     *
     * @param args the arguments after the command's name
     * @param out  where results go (JSON with {@code --json})
     * @param err  where diagnostics go
     * @return the exit code: 0 on success, 2 for bad usage, 1 for other failures
     */
    int run(Args args, PrintStream out, PrintStream err) throws Exception;
}
