package dev.lmforge.activities.model;

import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TFloating;

/**
 * The number types a {@link DecoderModel} computes in. The parameter type holds the master weights, the optimizer
 * state, norms, softmax and the loss; the matmul type is what matrix products run in.
 */
public enum ComputePrecision {

    /** Everything in float32. */
    FLOAT32(TFloat32.class, TFloat32.class),

    /** Matrix products in bfloat16, everything else (master weights, norms, softmax, loss) in float32. */
    BFLOAT16(TFloat32.class, TBfloat16.class),

    /** Everything in float64: slow, for checking gradients against finite differences. */
    FLOAT64(TFloat64.class, TFloat64.class);

    private final Class<? extends TFloating> parameterType;
    private final Class<? extends TFloating> matmulType;

    ComputePrecision(Class<? extends TFloating> parameterType, Class<? extends TFloating> matmulType) {
        this.parameterType = parameterType;
        this.matmulType = matmulType;
    }

    /** The type of the weights, the optimizer state and every non-matmul operation. */
    public Class<? extends TFloating> parameterType() {
        return parameterType;
    }

    /** The type matrix products are computed in. */
    public Class<? extends TFloating> matmulType() {
        return matmulType;
    }
}
