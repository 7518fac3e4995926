package dev.lmforge.activities.model;

import java.util.Locale;

/**
 * The number types lmforge writes into {@code model.safetensors}: float32 as trained, or bfloat16 (half the bytes,
 * float32's range, 8 bits of mantissa) rounded to nearest even.
 */
public enum SafetensorsDtype {
    F32(4, "float32"),
    BF16(2, "bfloat16");

    private final int bytes;
    private final String torchName;

    SafetensorsDtype(int bytes, String torchName) {
        this.bytes = bytes;
        this.torchName = torchName;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /** The name {@code config.json}'s {@code torch_dtype} uses. */
    public String torchName() {
        return torchName;
    }

    /** {@code fp32} or {@code bf16}, as the command line spells them (also {@code float32}, {@code bfloat16}). */
    public static SafetensorsDtype parse(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "fp32", "f32", "float32" -> F32;
            case "bf16", "bfloat16" -> BF16;
            default -> throw new IllegalArgumentException("dtype must be fp32 or bf16, not '" + name + "'");
        };
    }

    /** float32 bits to bfloat16 bits, rounded to nearest even; NaN stays a (quiet) NaN. */
    static short toBfloat16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    /** bfloat16 bits to the float32 they stand for (exact). */
    static float fromBfloat16(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }
}
