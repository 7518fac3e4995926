package dev.lmforge.workflows.sweep;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One probe run of a sweep: a complete training plan (the planner's JSON) that spends one probe budget.
 *
 * @param kind    {@link SweepOptions#ISOFLOP} or {@link SweepOptions#HYPERPARAMETERS}
 * @param index   its position in the sweep's design, for names and metrics
 * @param compute the probe budget it belongs to
 * @param plan    the plan to train
 */
public record SweepProbe(String kind, int index, double compute, JsonNode plan) {
}
