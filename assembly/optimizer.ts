// Fused in-place optimizer updates, tfjs semantics. Units of start/end: elements. Unfused multiply-adds on
// purpose: the results then match tfjs's op-by-op float32 arithmetic bit for bit in the common case.

/**
 * Plain SGD (velocity == 0): param -= lr * grad. Momentum (tfjs MomentumOptimizer):
 * velocity = momentum * velocity + grad; param -= lr * (nesterov ? grad + momentum * velocity : velocity).
 */
export function sgdUpdate(param: usize, grad: usize, velocity: usize, lr: f32, momentum: f32, nesterov: i32, start: i32, end: i32): void {
  const vlr = f32x4.splat(lr);
  const vmomentum = f32x4.splat(momentum);
  let i = start;
  if (velocity == 0) {
    for (; i + 4 <= end; i += 4) {
      const offset = <usize>i << 2;
      v128.store(param + offset, f32x4.sub(v128.load(param + offset), f32x4.mul(vlr, v128.load(grad + offset))));
    }
    for (; i < end; i++) {
      const offset = <usize>i << 2;
      store<f32>(param + offset, load<f32>(param + offset) - lr * load<f32>(grad + offset));
    }
    return;
  }
  for (; i + 4 <= end; i += 4) {
    const offset = <usize>i << 2;
    const g = v128.load(grad + offset);
    const v = f32x4.add(f32x4.mul(vmomentum, v128.load(velocity + offset)), g);
    const step = nesterov ? f32x4.add(g, f32x4.mul(v, vmomentum)) : v;
    v128.store(velocity + offset, v);
    v128.store(param + offset, f32x4.sub(v128.load(param + offset), f32x4.mul(vlr, step)));
  }
  for (; i < end; i++) {
    const offset = <usize>i << 2;
    const g = load<f32>(grad + offset);
    const v = momentum * load<f32>(velocity + offset) + g;
    const step = nesterov ? g + v * momentum : v;
    store<f32>(velocity + offset, v);
    store<f32>(param + offset, load<f32>(param + offset) - lr * step);
  }
}

// @ts-ignore: decorator
@inline function adamStep(
  p: v128, g: v128, m: v128, v: v128, lr: v128, beta1: v128, oneMinusBeta1: v128, beta2: v128,
  oneMinusBeta2: v128, epsilon: v128, weightDecay: v128, biasCorrection1: v128, biasCorrection2: v128,
): v128 {
  // Returns the new param; m and v are recomputed by the caller with the same expressions.
  const mHat = f32x4.div(m, biasCorrection1);
  const vHat = f32x4.div(v, biasCorrection2);
  const update = f32x4.add(f32x4.div(mHat, f32x4.add(f32x4.sqrt(vHat), epsilon)), f32x4.mul(weightDecay, p));
  return f32x4.sub(p, f32x4.mul(lr, update));
}

/**
 * Adam / AdamW: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * param -= lr * (m/bc1 / (sqrt(v/bc2) + eps) + weightDecay * param), bcX = 1 - betaX^step.
 * 1 - betaX comes from the caller (computed in float64 like tfjs): 1 - f32(0.999) is off by 1.3e-5.
 */
export function adamUpdate(
  param: usize, grad: usize, m: usize, v: usize, lr: f32, beta1: f32, beta2: f32, oneMinusBeta1: f32,
  oneMinusBeta2: f32, epsilon: f32, weightDecay: f32, biasCorrection1: f32, biasCorrection2: f32, start: i32, end: i32,
): void {
  const vlr = f32x4.splat(lr), vb1 = f32x4.splat(beta1), vb2 = f32x4.splat(beta2);
  const v1b1 = f32x4.splat(oneMinusBeta1), v1b2 = f32x4.splat(oneMinusBeta2);
  const veps = f32x4.splat(epsilon), vwd = f32x4.splat(weightDecay);
  const vbc1 = f32x4.splat(biasCorrection1), vbc2 = f32x4.splat(biasCorrection2);
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const offset = <usize>i << 2;
    const g = v128.load(grad + offset);
    const mNew = f32x4.add(f32x4.mul(vb1, v128.load(m + offset)), f32x4.mul(v1b1, g));
    const vNew = f32x4.add(f32x4.mul(vb2, v128.load(v + offset)), f32x4.mul(v1b2, f32x4.mul(g, g)));
    v128.store(m + offset, mNew);
    v128.store(v + offset, vNew);
    v128.store(param + offset,
      adamStep(v128.load(param + offset), g, mNew, vNew, vlr, vb1, v1b1, vb2, v1b2, veps, vwd, vbc1, vbc2));
  }
  for (; i < end; i++) {
    const offset = <usize>i << 2;
    const g = f32x4.splat(load<f32>(grad + offset));
    const mNew = f32x4.add(f32x4.mul(vb1, f32x4.splat(load<f32>(m + offset))), f32x4.mul(v1b1, g));
    const vNew = f32x4.add(f32x4.mul(vb2, f32x4.splat(load<f32>(v + offset))), f32x4.mul(v1b2, f32x4.mul(g, g)));
    store<f32>(m + offset, f32x4.extract_lane(mNew, 0));
    store<f32>(v + offset, f32x4.extract_lane(vNew, 0));
    const p = adamStep(f32x4.splat(load<f32>(param + offset)), g, mNew, vNew, vlr, vb1, v1b1, vb2, v1b2, veps, vwd, vbc1, vbc2);
    store<f32>(param + offset, f32x4.extract_lane(p, 0));
  }
}
