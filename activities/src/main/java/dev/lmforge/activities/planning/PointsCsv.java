package dev.lmforge.activities.planning;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads a sweep's points from CSV: a header naming the columns (any order, extra columns ignored), then one
 * numeric row per point. Blank lines and lines starting with {@code #} are skipped. Every error names the file
 * and line.
 */
final class PointsCsv {

    /** Builds a point from the named columns' values, in the order they were asked for. */
    @FunctionalInterface
    interface RowMapper<T> {
        T map(double[] values);
    }

    private PointsCsv() {
    }

    static <T> List<T> read(Path file, List<String> columns, RowMapper<T> mapper) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        int[] index = null;
        int width = 0;
        List<T> points = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = file + " line " + (i + 1) + ": ";
            String[] fields = Arrays.stream(line.split(",", -1)).map(String::strip).toArray(String[]::new);
            if (index == null) {
                index = columnIndexes(fields, columns, where);
                width = fields.length;
                continue;
            }
            if (fields.length != width) {
                throw new IllegalArgumentException(where + "expected " + width + " fields, found " + fields.length);
            }
            double[] values = new double[columns.size()];
            for (int c = 0; c < values.length; c++) {
                String field = fields[index[c]];
                try {
                    values[c] = Double.parseDouble(field);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(where + columns.get(c) + " '" + field + "' is not a number");
                }
            }
            try {
                points.add(mapper.map(values));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + e.getMessage(), e);
            }
        }
        if (index == null) {
            throw new IllegalArgumentException(file + ": no header line (expected columns "
                    + String.join(",", columns) + ")");
        }
        if (points.isEmpty()) {
            throw new IllegalArgumentException(file + ": no points after the header");
        }
        return points;
    }

    private static int[] columnIndexes(String[] header, List<String> columns, String where) {
        List<String> names = Arrays.asList(header);
        int[] index = new int[columns.size()];
        for (int c = 0; c < index.length; c++) {
            index[c] = names.indexOf(columns.get(c));
            if (index[c] < 0) {
                throw new IllegalArgumentException(where + "missing column '" + columns.get(c) + "' (header has "
                        + String.join(", ", names) + "; expected " + String.join(",", columns) + ")");
            }
        }
        return index;
    }
}
