package dev.lmforge.activities.text;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One document of a corpus: the JSONL record {@code {"id","text","dump","domain","lang"}}, with any other field
 * of the record kept in {@code metadata} so that it survives to the output.
 *
 * @param id       the record's id ({@code file:line} when the record has none)
 * @param text     the document's text, never empty
 * @param dump     the crawl or snapshot the record belongs to (the file's name when the record has none)
 * @param domain   the source domain used for remixing; empty when unknown
 * @param lang     the language code; empty when unknown (the quality filter then identifies it)
 * @param metadata the record's other fields, in their original order
 */
public record Document(String id, String text, String dump, String domain, String lang, Map<String, Object> metadata) {

    public Document {
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /** The size of the text in UTF-8, counted without encoding it. */
    public long textBytes() {
        long bytes = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            bytes += c < 0x80 ? 1 : c < 0x800 || Character.isSurrogate(c) ? 2 : 3;   // a surrogate pair is 4
        }
        return bytes;
    }

    /** This document with another id (remixing names the extra copies of an up-sampled document). */
    public Document withId(String newId) {
        return new Document(newId, text, dump, domain, lang, metadata);
    }

    /** This document with its language set. */
    public Document withLang(String newLang) {
        return new Document(id, text, dump, domain, newLang, metadata);
    }
}
