package dev.lmforge.activities;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JacksonException;

/**
 * Where a JSON or YAML syntax error is, and nothing else. Jackson's own messages quote the text the parser
 * stopped at ("Unrecognized token 'hunter2'"), and the file may be one a spec should never have shown anyone.
 */
public final class JsonSyntax {

    private JsonSyntax() {
    }

    /** {@code " at column 7"} (with its leading space), or an empty string when Jackson knows no position. */
    public static String at(JacksonException e) {
        JsonLocation location = e.getLocation();
        return location == null || location.getColumnNr() < 1 ? "" : " at column " + location.getColumnNr();
    }
}
