// Layer normalization over the last axis in float64: the oracle for assembly/layernorm.ts.
//   x, y, dy, dx: [rows, cols]   gamma, beta, dgamma, dbeta: [cols]   mean, rstd: [rows]
//   y = (x - mean)·rstd·gamma + beta,  rstd = 1/sqrt(var + epsilon) (biased variance)

export function layerNorm(
  x: Float64Array, rows: number, cols: number, gamma: Float64Array | undefined, beta: Float64Array | undefined, epsilon: number,
): { y: Float64Array; mean: Float64Array; rstd: Float64Array } {
  const y = new Float64Array(rows * cols);
  const mean = new Float64Array(rows);
  const rstd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += x[r * cols + c];
    const m = sum / cols;
    let squares = 0;
    for (let c = 0; c < cols; c++) squares += (x[r * cols + c] - m) ** 2;
    const s = 1 / Math.sqrt(squares / cols + epsilon);
    mean[r] = m;
    rstd[r] = s;
    for (let c = 0; c < cols; c++) {
      y[r * cols + c] = (x[r * cols + c] - m) * s * (gamma ? gamma[c] : 1) + (beta ? beta[c] : 0);
    }
  }
  return { y, mean, rstd };
}

/** dx = rstd·(g - mean(g) - x̂·mean(g·x̂)) with g = dy·gamma; dgamma = Σ dy·x̂; dbeta = Σ dy. */
export function layerNormGrad(
  x: Float64Array, dy: Float64Array, mean: Float64Array, rstd: Float64Array, gamma: Float64Array | undefined,
  rows: number, cols: number,
): { dx: Float64Array; dgamma: Float64Array; dbeta: Float64Array } {
  const dx = new Float64Array(rows * cols);
  const dgamma = new Float64Array(cols);
  const dbeta = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    let sumG = 0;
    let sumGX = 0;
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      const xhat = (x[i] - mean[r]) * rstd[r];
      const g = dy[i] * (gamma ? gamma[c] : 1);
      sumG += g;
      sumGX += g * xhat;
      dgamma[c] += dy[i] * xhat;
      dbeta[c] += dy[i];
    }
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      const xhat = (x[i] - mean[r]) * rstd[r];
      const g = dy[i] * (gamma ? gamma[c] : 1);
      dx[i] = rstd[r] * (g - sumG / cols - xhat * sumGX / cols);
    }
  }
  return { dx, dgamma, dbeta };
}
