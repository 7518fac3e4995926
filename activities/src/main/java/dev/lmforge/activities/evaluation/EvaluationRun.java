package dev.lmforge.activities.evaluation;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Evaluates a list of tasks, resumable per task: a task that already has results is skipped, and each task's
 * results are handed on as soon as it finishes so that the caller can record them (in the ledger, or in a
 * heartbeat) before the next task starts.
 */
public final class EvaluationRun {

    private final TaskEvaluator evaluator;

    public EvaluationRun(TaskEvaluator evaluator) {
        this.evaluator = evaluator;
    }

    /**
     * @param tasks      the tasks, in order
     * @param done       results recorded earlier; tasks named in them are not run again
     * @param onTaskDone receives each newly evaluated task's results
     * @return the earlier results of these tasks and the new ones, in task order
     */
    public List<MetricResult> run(List<Task> tasks, List<MetricResult> done, Consumer<List<MetricResult>> onTaskDone) {
        Set<String> finished = done.stream().map(MetricResult::task).collect(Collectors.toSet());
        List<MetricResult> all = new ArrayList<>();
        for (Task task : tasks) {
            if (finished.contains(task.name())) {
                done.stream().filter(r -> r.task().equals(task.name())).forEach(all::add);
            } else {
                List<MetricResult> results = evaluator.evaluate(task);
                onTaskDone.accept(results);
                all.addAll(results);
            }
        }
        return all;
    }
}
