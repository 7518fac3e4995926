package dev.lmforge.activities.cli;

import dev.lmforge.activities.model.LossCurveFit;
import dev.lmforge.activities.model.PaperLaws;
import dev.lmforge.activities.model.PowerLawFit;
import dev.lmforge.activities.planning.Figures;
import dev.lmforge.activities.planning.HyperparameterFit;
import dev.lmforge.activities.planning.HyperparameterFitter;
import dev.lmforge.activities.planning.HyperparameterOptimum;
import dev.lmforge.activities.planning.IsoFlopFit;
import dev.lmforge.activities.planning.IsoFlopFitter;
import dev.lmforge.activities.planning.IsoFlopOptimum;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code lmforge fit}: fits scaling laws to a sweep's points, offline.
 * <ul>
 *   <li>{@code fit isoflop --input points.csv [--predict C] [--json]} (columns {@code compute,M,D,loss}): the
 *   exponents {@code a}, {@code b}, the coefficients {@code k_M}, {@code k_D}, each budget's optimum, the
 *   loss-versus-compute curve and, with {@code --predict}, its prediction at a larger budget;</li>
 *   <li>{@code fit hparams --input points.csv [--margin F] [--json]} (columns
 *   {@code compute,batch_tokens,lr,loss}): {@code η_opt = a·C^α} and {@code B_opt = b·C^β}, with each budget's
 *   near-optimal set (runs within {@code F}, default 0.0025, of the best loss).</li>
 * </ul>
 * Human-readable by default; {@code --json} prints the {@link IsoFlopFit} or {@link HyperparameterFit} record
 * (with {@code --predict}, an object holding the fit and the prediction).
 */
public final class FitCommand implements Command {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What {@code fit isoflop --predict C --json} prints. */
    record IsoFlopReport(IsoFlopFit fit, LossCurveFit.LossPrediction prediction) {
    }

    @Override
    public String name() {
        return "fit";
    }

    @Override
    public String summary() {
        return "fit scaling laws to sweep points: isoflop --input CSV [--predict C] | hparams --input CSV "
                + "[--margin F]; [--json]";
    }

    @Override
    public Help help() {
        return Help.of("Fits scaling laws to sweep points from a CSV: IsoFLOP minima and M_opt, D_opt against compute, "
                + "or the near-optimal batch size and learning rate against compute.")
                .usage("fit isoflop --input CSV [--predict C] [--json]")
                .usage("fit hparams --input CSV [--margin F] [--json]")
                .option("--input CSV", "the sweep points")
                .option("--predict C", "isoflop: also predict the optimum at budget C (FLOPs)")
                .option("--margin F", "hparams: the near-optimal margin over the best loss (default the paper's)")
                .option("--json", "the fit as JSON")
                .example("lmforge fit isoflop --input sweep.csv --predict 1e21");
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws Exception {
        String what = args.positional(0, "what to fit: 'isoflop' or 'hparams'");
        switch (what) {
            case "isoflop" -> {
                args.allowOnly("input", "predict", "json");
                Path input = input(args);
                Double predictAt = args.has("predict") ? args.getDouble("predict", 0) : null;
                IsoFlopFit fit = IsoFlopFitter.fit(IsoFlopFitter.readCsv(input));
                LossCurveFit.LossPrediction prediction = predictAt == null ? null : predict(fit, predictAt);
                if (args.has("json")) {
                    Object report = prediction == null ? fit : new IsoFlopReport(fit, prediction);
                    out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(report));
                } else {
                    printIsoFlop(fit, prediction, input, out);
                }
            }
            case "hparams" -> {
                args.allowOnly("input", "margin", "json");
                Path input = input(args);
                double margin = args.getDouble("margin", PaperLaws.NEAR_OPTIMAL_MARGIN);
                if (!(margin >= 0) || !Double.isFinite(margin)) {
                    throw new Args.UsageException("--margin must be a finite fraction ≥ 0, not " + margin);
                }
                HyperparameterFit fit = HyperparameterFitter.fit(HyperparameterFitter.readCsv(input), margin);
                if (args.has("json")) {
                    out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(fit));
                } else {
                    printHyperparameters(fit, input, out);
                }
            }
            default -> throw new Args.UsageException("unknown fit '" + what + "': use 'isoflop' or 'hparams'");
        }
        return 0;
    }

    private static Path input(Args args) {
        Path input = Path.of(args.require("input"));
        if (!Files.isRegularFile(input)) {
            throw new Args.UsageException("--input " + input + " is not a readable file");
        }
        return input;
    }

    private static LossCurveFit.LossPrediction predict(IsoFlopFit fit, double compute) {
        if (!(compute > 0) || !Double.isFinite(compute)) {
            throw new Args.UsageException("--predict must be a positive finite budget in FLOPs, not " + compute);
        }
        return fit.lossCurve().predict(compute);
    }

    private static void printIsoFlop(IsoFlopFit fit, LossCurveFit.LossPrediction prediction, Path input,
                                     PrintStream out) {
        int points = fit.budgets().stream().mapToInt(b -> b.points().size()).sum();
        out.printf(Locale.ROOT, "IsoFLOP fit of %d points over %d budgets (%s)%n", points, fit.budgets().size(),
                input);
        printLaw("M_opt = k_M·C^a", "a", "k_M", fit.modelScaleLaw(), out);
        printLaw("D_opt = k_D·C^b", "b", "k_D", fit.dataTokensLaw(), out);
        out.printf(Locale.ROOT, "%n%-10s %-9s %-9s %-9s %-8s %s%n", "budget", "M_opt", "D_opt", "min loss", "±ln M",
                "points");
        for (IsoFlopOptimum b : fit.budgets()) {
            String line = String.format(Locale.ROOT, "%-10.3g %-9s %-9s %-9.4f %-8s %-6d %s", b.compute(),
                    Figures.count(b.optimalModelScale()), Figures.count(b.optimalTokens()), b.minimumLoss(),
                    b.logModelScaleStdErr() == null ? "-" : String.format(Locale.ROOT, "%.3f", b.logModelScaleStdErr()),
                    b.points().size(), b.withinSweep() ? "" : "minimum outside the sweep: widen it");
            out.println(line.stripTrailing());
        }
        out.println();
        printLaw("loss L = k·C^e", "e", "k", fit.lossCurve().law(), out);
        if (prediction != null) {
            out.printf(Locale.ROOT, "predicted loss at C = %.3g: %.4f%s%n", prediction.compute(), prediction.loss(),
                    prediction.lower() == null ? "" : String.format(Locale.ROOT, " (±1 s.e. %.4f .. %.4f)",
                            prediction.lower(), prediction.upper()));
        }
    }

    private static void printHyperparameters(HyperparameterFit fit, Path input, PrintStream out) {
        int points = fit.budgets().stream().mapToInt(b -> b.points().size()).sum();
        out.printf(Locale.ROOT, "hyperparameter fit of %d runs over %d budgets (%s); near-optimal: within %.3g %% "
                + "of each budget's best loss, fitted through the near-optimal runs' geometric means%n", points,
                fit.budgets().size(), input, 100 * fit.margin());
        printLaw("η_opt = a·C^α", "α", "a", fit.learningRateLaw(), out);
        printLaw("B_opt = b·C^β", "β", "b", fit.batchTokensLaw(), out);
        out.printf(Locale.ROOT, "%n%-10s %-9s %-9s %-10s %-10s %s%n", "budget", "best loss", "near-opt", "lr",
                "batch", "runs");
        for (HyperparameterOptimum b : fit.budgets()) {
            out.printf(Locale.ROOT, "%-10.3g %-9.4f %-9d %-10.3g %-10s %d%n", b.compute(), b.best().loss(),
                    b.nearOptimal().size(), b.learningRate(), Figures.count(b.batchTokens()), b.points().size());
        }
    }

    private static void printLaw(String form, String exponent, String coefficient, PowerLawFit law, PrintStream out) {
        out.printf(Locale.ROOT, "%-16s %s = %.4f%s   %s = %.4g%s   R² %.4f%n", form, exponent, law.exponent(),
                error("%.4f", law.exponentStdErr()), coefficient, law.coefficient(),
                error("%.3g", law.coefficientStdErr()), law.rSquared());
    }

    private static String error(String format, Double stdErr) {
        return stdErr == null ? "" : " ± " + String.format(Locale.ROOT, format, stdErr);
    }
}
