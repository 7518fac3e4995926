package dev.lmforge.activities.planning;

/**
 * Ordinary least squares for the small linear models the fitters need (a line, a parabola), by the normal
 * equations: {@code β = (XᵀX)⁻¹ Xᵀy}, with covariance {@code σ²(XᵀX)⁻¹} where {@code σ² = RSS / (n − p)}.
 */
final class LeastSquares {

    /**
     * The solution.
     *
     * @param coefficients β
     * @param covariance   the covariance of β, or null when there are no spare degrees of freedom (n = p)
     * @param residuals    {@code y − Xβ}
     */
    record Solution(double[] coefficients, double[][] covariance, double[] residuals) {

        /** The standard error of coefficient {@code i}, or null without a covariance. */
        Double stdErr(int i) {
            return covariance == null ? null : Math.sqrt(covariance[i][i]);
        }
    }

    private LeastSquares() {
    }

    /** Fits {@code y ≈ Xβ}; {@code x} has one row per observation. Fails when the columns are dependent. */
    static Solution solve(double[][] x, double[] y) {
        int n = x.length;
        int p = x[0].length;
        if (n < p) {
            throw new IllegalArgumentException("need at least " + p + " points, got " + n);
        }
        double[][] xtx = new double[p][p];
        double[] xty = new double[p];
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < p; i++) {
                xty[i] += x[r][i] * y[r];
                for (int j = 0; j < p; j++) {
                    xtx[i][j] += x[r][i] * x[r][j];
                }
            }
        }
        double[][] inverse = invert(xtx);
        double[] beta = new double[p];
        for (int i = 0; i < p; i++) {
            for (int j = 0; j < p; j++) {
                beta[i] += inverse[i][j] * xty[j];
            }
        }
        double[] residuals = new double[n];
        double rss = 0;
        for (int r = 0; r < n; r++) {
            double fitted = 0;
            for (int i = 0; i < p; i++) {
                fitted += x[r][i] * beta[i];
            }
            residuals[r] = y[r] - fitted;
            rss += residuals[r] * residuals[r];
        }
        double[][] covariance = null;
        if (n > p) {
            double sigma2 = rss / (n - p);
            covariance = new double[p][p];
            for (int i = 0; i < p; i++) {
                for (int j = 0; j < p; j++) {
                    covariance[i][j] = sigma2 * inverse[i][j];
                }
            }
        }
        return new Solution(beta, covariance, residuals);
    }

    /** Gauss-Jordan inversion with partial pivoting; a (numerically) singular matrix is an error. */
    private static double[][] invert(double[][] a) {
        int p = a.length;
        double[][] m = new double[p][2 * p];
        double scale = 0;
        for (int i = 0; i < p; i++) {
            System.arraycopy(a[i], 0, m[i], 0, p);
            m[i][p + i] = 1;
            scale = Math.max(scale, Math.abs(a[i][i]));
        }
        for (int col = 0; col < p; col++) {
            int pivot = col;
            for (int r = col + 1; r < p; r++) {
                if (Math.abs(m[r][col]) > Math.abs(m[pivot][col])) {
                    pivot = r;
                }
            }
            if (!(Math.abs(m[pivot][col]) > 1e-12 * scale)) {
                throw new IllegalArgumentException("the points do not determine the fit (too few distinct values)");
            }
            double[] swap = m[col];
            m[col] = m[pivot];
            m[pivot] = swap;
            double diagonal = m[col][col];
            for (int j = 0; j < 2 * p; j++) {
                m[col][j] /= diagonal;
            }
            for (int r = 0; r < p; r++) {
                if (r != col && m[r][col] != 0) {
                    double factor = m[r][col];
                    for (int j = 0; j < 2 * p; j++) {
                        m[r][j] -= factor * m[col][j];
                    }
                }
            }
        }
        double[][] inverse = new double[p][p];
        for (int i = 0; i < p; i++) {
            System.arraycopy(m[i], p, inverse[i], 0, p);
        }
        return inverse;
    }
}
