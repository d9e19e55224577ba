// Ordinary least squares in plain float64 JS: the closed-form answer the gradient-descent examples and tests
// are checked against. Solves the normal equations (XᵀX) w = Xᵀy by Cholesky, after prepending a column of
// ones for the intercept.  x: [N][F], y: [N] → {intercept, weights: [F]}.

export interface LinearFit {
  intercept: number;
  weights: number[];
}

/** Solves the symmetric positive definite system a·w = b (a: [n][n]) by Cholesky factorization. */
export function solveSpd(a: number[][], b: number[]): number[] {
  const n = a.length;
  const lower = a.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i][j];
      for (let k = 0; k < j; k++) sum -= lower[i][k] * lower[j][k];
      if (i === j) {
        if (!(sum > 0)) throw new Error(`solveSpd: the matrix is not positive definite (pivot ${i} is ${sum}); are two features collinear?`);
        lower[i][i] = Math.sqrt(sum);
      } else {
        lower[i][j] = sum / lower[j][j];
      }
    }
  }
  const z = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    let sum = b[i];
    for (let k = 0; k < i; k++) sum -= lower[i][k] * z[k];
    z[i] = sum / lower[i][i];
  }
  const w = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let sum = z[i];
    for (let k = i + 1; k < n; k++) sum -= lower[k][i] * w[k];
    w[i] = sum / lower[i][i];
  }
  return w;
}

/** Least-squares fit with intercept via the normal equations, all in float64. */
export function leastSquares(x: number[][], y: number[]): LinearFit {
  const f = x[0].length + 1;
  const gram = Array.from({ length: f }, () => new Array<number>(f).fill(0));
  const moment = new Array<number>(f).fill(0);
  x.forEach((row, r) => {
    const augmented = [1, ...row];
    for (let i = 0; i < f; i++) {
      moment[i] += augmented[i] * y[r];
      for (let j = 0; j < f; j++) gram[i][j] += augmented[i] * augmented[j];
    }
  });
  const [intercept, ...weights] = solveSpd(gram, moment);
  return { intercept, weights };
}

/** Mean squared error of a linear fit on (x, y). */
export function linearMse(fit: LinearFit, x: number[][], y: number[]): number {
  let total = 0;
  x.forEach((row, r) => {
    const prediction = row.reduce((acc, v, c) => acc + v * fit.weights[c], fit.intercept);
    total += (prediction - y[r]) ** 2;
  });
  return total / x.length;
}
