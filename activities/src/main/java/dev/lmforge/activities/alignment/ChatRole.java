package dev.lmforge.activities.alignment;

/** Who speaks a chat message, and the special token that opens its turn in the {@link ChatTemplate}. */
public enum ChatRole {
    SYSTEM("system", "<|system|>"),
    USER("user", "<|user|>"),
    ASSISTANT("assistant", "<|assistant|>");

    private final String jsonName;
    private final String token;

    ChatRole(String jsonName, String token) {
        this.jsonName = jsonName;
        this.token = token;
    }

    /** The role's name in the JSONL files. */
    public String jsonName() {
        return jsonName;
    }

    /** The tokenizer's special token that starts this role's turn. */
    public String token() {
        return token;
    }

    /** The role named {@code name} in a JSONL file, or null if there is none. */
    public static ChatRole named(String name) {
        for (ChatRole role : values()) {
            if (role.jsonName.equals(name)) {
                return role;
            }
        }
        return null;
    }
}
