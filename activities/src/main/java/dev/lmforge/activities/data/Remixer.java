package dev.lmforge.activities.data;

import dev.lmforge.activities.text.ReadingLimits;
import dev.lmforge.activities.text.CorpusReader;
import dev.lmforge.activities.text.Document;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Rebalances a corpus towards target shares per domain and per language by deterministic, seeded up- and
 * down-sampling. {@link #plan} finds one sampling factor per (domain, language) cell, {@code a_domain * b_lang},
 * by iterative proportional fitting, so that both sets of targets hold at once; {@link #copies} then turns a
 * factor into a whole number of copies for each document from a hash of the seed and the document's dump and id,
 * so that the result depends neither on the order documents come in nor on how they are sharded.
 */
public final class Remixer {

    private static final int FITTING_ROUNDS = 200;

    private final DataConfig.Remix config;

    public Remixer(DataConfig.Remix config) {
        this.config = config;
    }

    /**
     * The sampling plan.
     *
     * @param factors  domain, then language, to the expected copies of each document in that cell
     * @param expected the mix the factors give in expectation (documents only)
     * @param notes    targets that cannot be met, e.g. a weighted domain with no documents
     */
    public record Plan(Map<String, Map<String, Double>> factors, Map<String, Map<String, Double>> expected, List<String> notes) {

        public double factor(String domain, String lang) {
            return factors.getOrDefault(domain, Map.of()).getOrDefault(lang, 0.0);
        }
    }

    /** Fits the factors that take the mix {@code before} to the configured targets. */
    public Plan plan(Mix before) {
        Map<String, Map<String, Long>> cells = before.documents();
        Mix.Summary summary = before.summary();
        long total = config.documents() > 0 ? config.documents() : summary.documents();
        List<String> notes = new ArrayList<>();
        Map<String, Double> domainTargets = targets(config.domainWeights(), summary.domains(), total, "domain", notes);
        Map<String, Double> langTargets = targets(config.languageWeights(), summary.languages(), total, "language", notes);
        Map<String, Double> a = new TreeMap<>();
        Map<String, Double> b = new TreeMap<>();
        domainTargets.keySet().forEach(d -> a.put(d, 1.0));
        langTargets.keySet().forEach(l -> b.put(l, 1.0));
        for (int round = 0; round < FITTING_ROUNDS; round++) {
            for (String d : a.keySet()) {
                double expected = 0;
                for (Map.Entry<String, Long> cell : cells.get(d).entrySet()) {
                    expected += cell.getValue() * b.get(cell.getKey());
                }
                a.put(d, expected > 0 ? domainTargets.get(d) / expected : 0);
            }
            for (String l : b.keySet()) {
                double expected = 0;
                for (String d : a.keySet()) {
                    expected += cells.get(d).getOrDefault(l, 0L) * a.get(d);
                }
                b.put(l, expected > 0 ? langTargets.get(l) / expected : 0);
            }
        }
        Map<String, Map<String, Double>> factors = new TreeMap<>();
        Map<String, Map<String, Double>> expected = new TreeMap<>();
        cells.forEach((d, langs) -> langs.forEach((l, n) -> {
            double f = a.getOrDefault(d, 0.0) * b.getOrDefault(l, 0.0);
            factors.computeIfAbsent(d, k -> new TreeMap<>()).put(l, f);
            expected.computeIfAbsent(d, k -> new TreeMap<>()).put(l, f * n);
        }));
        return new Plan(factors, expected, notes);
    }

    /**
     * Target counts: the natural counts scaled to {@code total} when no weights are given; otherwise the weights,
     * normalised over the keys that have documents (a key without weight gets none).
     */
    private static Map<String, Double> targets(Map<String, Double> weights, Map<String, Mix.Share> present, long total,
                                               String what, List<String> notes) {
        Map<String, Double> targets = new TreeMap<>();
        if (weights.isEmpty()) {
            present.forEach((k, share) -> targets.put(k, share.documentShare() * total));
            return targets;
        }
        weights.keySet().stream().filter(k -> !present.containsKey(k) && weights.get(k) > 0).sorted()
                .forEach(k -> notes.add(what + " '" + k + "' has weight " + weights.get(k) + " but no documents"));
        double sum = present.keySet().stream().mapToDouble(k -> weights.getOrDefault(k, 0.0)).sum();
        if (sum <= 0) {
            throw new IllegalArgumentException("remix: no " + what + " with a positive weight has any document");
        }
        present.keySet().forEach(k -> targets.put(k, weights.getOrDefault(k, 0.0) / sum * total));
        return targets;
    }

    /** How many copies of a document the plan keeps: the factor's whole part, plus one with its fraction's odds. */
    public int copies(Document doc, Plan plan) {
        double f = plan.factor(doc.domain(), doc.lang());
        int whole = (int) Math.floor(f);
        return whole + (uniform(doc) < f - whole ? 1 : 0);
    }

    /** A number in [0, 1) fixed by the seed, the dump and the id. */
    private double uniform(Document doc) {
        long h = Shingler.mix(config.seed());
        for (String part : new String[]{doc.dump(), "\u0000", doc.id()}) {
            for (int i = 0; i < part.length(); i++) {
                h = Shingler.mix(h ^ part.charAt(i));
            }
        }
        return (h >>> 11) * 0x1.0p-53;
    }

    /**
     * One remixed output shard.
     *
     * @param file      the file written
     * @param documents documents in it
     * @param bytes     its size in bytes
     * @param sha256    its SHA-256, in hex
     * @param mix       its mix
     */
    public record Shard(String file, long documents, long bytes, String sha256, Mix mix) {
    }

    /** Remixes one shard (JSONL) into {@code output}; copies after the first get the id {@code id#copyN}. */
    public Shard remixShard(Path input, Path output, Plan plan, ReadingLimits reading) throws IOException {
        Mix.Tally after = new Mix.Tally();
        try (JsonlWriter out = new JsonlWriter(output)) {
            new CorpusReader(reading).read(input, (doc, line) -> {
                int n = copies(doc, plan);
                for (int k = 0; k < n; k++) {
                    out.write(k == 0 ? doc : doc.withId(doc.id() + "#copy" + k));
                }
                after.add(doc, n);
            });
            String sha256 = out.commit();
            return new Shard(output.toString(), out.records(), out.bytes(), sha256, after.mix());
        }
    }
}
