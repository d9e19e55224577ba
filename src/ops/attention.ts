// Scaled dot-product attention: the fused backend kernel (flash-attention style, forward and backward) and
// the materialized probabilities for callers that need them.
//   q: [B, H, Tq, Dk]   k: [B, H, Tk, Dk]   v: [B, H, Tk, Dv]   → [B, H, Tq, Dv]
//   mask: broadcastable to [B, H, Tq, Tk], bool or float 0/1, nonzero = may attend (Keras semantics)
//
//   const out = tf.scaledDotProductAttention(q, k, v, { causal: true });
//   const probs = tf.attentionWeights(q, k, { mask: keyPadding /* [B, 1, 1, Tk] */ });
import { activeTapes } from '../autograd/tape.js';
import type { AttentionInfo } from '../backend/backend.js';
import { ENGINE } from '../engine.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { mul, sub } from './binary.js';
import { cast } from './cast.js';
import { notEqual } from './compare.js';
import { fill, tensor, zerosLike } from './creation.js';
import { matMul } from './matmul.js';
import { dropout } from './dropout.js';
import type { Seed } from './random.js';
import { sum } from './reduce.js';
import { softmax } from './softmax.js';
import { toTensor } from './util.js';
import { where } from './where.js';

type Arg = Tensor | TensorLike;

/** The score given to masked pairs, as Keras adds: a fully masked row attends uniformly. */
const MASKED_SCORE = -1e9;

export interface AttentionOptions {
  /**
   * Broadcastable to [B, H, Tq, Tk]: bool or float 0/1, true/1 = may attend (Keras semantics). A fully masked
   * row attends uniformly, as Keras (which adds -1e9). Typical: key padding [B, 1, 1, Tk].
   */
  mask?: Tensor;
  /** Query i attends keys j <= i (Keras's use_causal_mask: lower-triangular, no offset when Tq != Tk). */
  causal?: boolean;
  /** Multiplies q·kᵀ; default 1/sqrt(Dk). */
  scale?: number;
  /**
   * Attention-probability dropout rate, applied whenever > 0 (pass it only in training); takes the unfused
   * path (materialized probabilities).
   */
  dropout?: number;
  /** Seed of the dropout pattern. */
  seed?: Seed;
}

interface Checked {
  q: Tensor; k: Tensor; v: Tensor | null;
  /** float32 0/1 mask at its own (broadcastable) shape, or null. */
  mask: Tensor | null;
  info: AttentionInfo;
}

function floatArg(value: Arg, name: string, opName: string): Tensor {
  const t = toTensor(value, name, opName, 'float32');
  return t.dtype === 'float32' ? t : cast(t, 'float32');
}

/** Validates shapes and options; the mask's strides over [B, H, Tq, Tk] (0 where it broadcasts). */
function checkArgs(opName: string, qArg: Arg, kArg: Arg, vArg: Arg | null, options: AttentionOptions): Checked {
  const q = floatArg(qArg, 'q', opName);
  const k = floatArg(kArg, 'k', opName);
  const v = vArg === null ? null : floatArg(vArg, 'v', opName);
  const shapes = `q [${q.shape}], k [${k.shape}]${v ? `, v [${v.shape}]` : ''}`;
  if (q.rank !== 4 || k.rank !== 4 || (v && v.rank !== 4)) {
    throw new Error(`${opName}: q, k${v ? ', v' : ''} must be rank 4 [batch, heads, time, depth], got ${shapes}`);
  }
  const [batch, heads, queryLength, keyDim] = q.shape;
  const keyLength = k.shape[2];
  if (k.shape[0] !== batch || k.shape[1] !== heads || k.shape[3] !== keyDim) {
    throw new Error(`${opName}: k must be [${batch}, ${heads}, Tk, ${keyDim}] to match q, got ${shapes}`);
  }
  if (v && (v.shape[0] !== batch || v.shape[1] !== heads || v.shape[2] !== keyLength)) {
    throw new Error(`${opName}: v must be [${batch}, ${heads}, ${keyLength}, Dv] to match k, got ${shapes}`);
  }
  if (keyLength === 0) throw new Error(`${opName}: there must be at least one key, got ${shapes}`);
  const scale = options.scale ?? 1 / Math.sqrt(keyDim);
  if (typeof scale !== 'number' || !Number.isFinite(scale)) throw new Error(`${opName}: scale must be a finite number, got ${scale}`);
  const dropout = options.dropout ?? 0;
  if (!(dropout >= 0 && dropout < 1)) throw new Error(`${opName}: dropout must be in [0, 1), got ${dropout}`);
  const info: AttentionInfo = {
    batch, heads, queryLength, keyLength, keyDim, valueDim: v ? v.shape[3] : 0, scale, causal: !!options.causal,
  };
  if (!options.mask) return { q, k, v, mask: null, info };
  const mask = toTensor(options.mask, 'mask', opName);
  const full = [batch, heads, queryLength, keyLength];
  const padded = [...new Array(Math.max(0, 4 - mask.rank)).fill(1), ...mask.shape];
  if (mask.rank > 4 || padded.some((d, i) => d !== 1 && d !== full[i])) {
    throw new Error(`${opName}: mask [${mask.shape}] does not broadcast to [batch, heads, Tq, Tk] = [${full}]`);
  }
  const strides = [0, 0, 0, 0];
  for (let axis = 3, stride = 1; axis >= 0; axis--) {
    strides[axis] = padded[axis] === 1 ? 0 : stride;
    stride *= padded[axis];
  }
  info.maskStrides = strides as unknown as [number, number, number, number];
  const floatMask = mask.dtype === 'float32' ? mask : cast(mask, 'float32');
  return { q, k, v, mask: floatMask, info };
}

/** Mask and causal constraint combined as one bool tensor broadcastable to [B, H, Tq, Tk], or null. */
function allowedPairs(mask: Tensor | null, info: AttentionInfo): Tensor | null {
  let allowed = mask ? notEqual(mask, 0) : null;
  if (info.causal) {
    const { queryLength, keyLength } = info;
    const lower = new Uint8Array(queryLength * keyLength);
    for (let i = 0; i < queryLength; i++) lower.fill(1, i * keyLength, i * keyLength + Math.min(keyLength, i + 1));
    const causal = tensor(lower, [queryLength, keyLength], 'bool');
    allowed = allowed ? cast(mul(cast(allowed, 'float32'), cast(causal, 'float32')), 'bool') : causal;
  }
  return allowed;
}

/** The probabilities softmax(scale·QKᵀ + mask) [B,H,Tq,Tk], materialized (for returnAttentionScores and tests). */
export function attentionWeights(q: Arg, k: Arg, options: AttentionOptions = {}): Tensor {
  const checked = checkArgs('attentionWeights', q, k, null, options);
  const scores = mul(matMul(checked.q, checked.k, false, true), checked.info.scale);
  const allowed = allowedPairs(checked.mask, checked.info);
  // where, not an added -1e9: masked scores are constants (no gradient), as in the fused kernel.
  return softmax(allowed ? where(allowed, scores, fill(scores.shape, MASKED_SCORE)) : scores, -1);
}

/**
 * Fused scaled dot-product attention: softmax(scale·QKᵀ + mask)·V, never materializing more than a tile of
 * the T×T scores (online softmax), forward and backward (tiles recomputed in the backward, flash-attention
 * style). With dropout it runs the unfused path instead.
 */
export function scaledDotProductAttention(q: Arg, k: Arg, v: Arg, options: AttentionOptions = {}): Tensor {
  const opName = 'scaledDotProductAttention';
  const checked = checkArgs(opName, q, k, v, options);
  const { info, mask } = checked;
  const backend = ENGINE.backendFor(opName);
  if ((options.dropout ?? 0) > 0 || !backend.attention || !backend.attentionGrad) {
    // Materialized probabilities: for dropout, and on backends without the fused pair.
    return ENGINE.tidy(() => {
      const probabilities = attentionWeights(checked.q, checked.k, options);
      const dropped = (options.dropout ?? 0) > 0 ? dropout(probabilities, options.dropout!, undefined, options.seed) : probabilities;
      return matMul(dropped, checked.v!);
    });
  }
  const inputs = [checked.q, checked.k, checked.v!, ...(mask ? [mask] : [])];
  const [out, logSumExp] = ENGINE.runKernel({
    name: opName,
    inputs,
    forward: (backend, [qt, kt, vt, maskT]) => {
      const result = backend.attention!(qt.dataId, kt.dataId, vt.dataId, maskT?.dataId, info);
      return [
        { dataId: result.out, shape: [info.batch, info.heads, info.queryLength, info.valueDim], dtype: 'float32' },
        { dataId: result.logSumExp, shape: [info.batch, info.heads, info.queryLength], dtype: 'float32' },
      ];
    },
    // dys[1] (for logSumExp) is always zero: that output never leaves this file.
    backward: ([dOut], [qt, kt, vt, maskT], [outT, logSumExpT], needs) => {
      const recorded = activeTapes.some((tape) => [qt, kt, vt, dOut].some((t) => tape.dependsOnWatched.has(t.id)));
      const wanted = { q: needs[0] ?? true, k: needs[1] ?? true, v: needs[2] ?? true };
      return recorded
        ? composedAttentionGradients(qt, kt, vt, maskT, dOut, info)
        : attentionGradients(qt, kt, vt, maskT, outT, logSumExpT, dOut, info, wanted);
    },
  });
  logSumExp.dispose(); // the tape holds its own reference when it needs one
  return out;
}

/**
 * The same gradients from ops on the materialized probabilities P, differentiable again; used only when a
 * higher-order gradient records the backward. dS = P∘(dP - Σ dP∘P) on allowed pairs (masked scores are constants).
 */
function composedAttentionGradients(
  q: Tensor, k: Tensor, v: Tensor, mask: Tensor | undefined, dOut: Tensor, info: AttentionInfo,
): (Tensor | null)[] {
  const p = attentionWeights(q, k, { mask, causal: info.causal, scale: info.scale });
  const dp = matMul(dOut, v, false, true);
  let ds = mul(p, sub(dp, sum(mul(dp, p), -1, true)));
  const allowed = allowedPairs(mask ?? null, info);
  if (allowed) ds = where(allowed, ds, zerosLike(ds));
  const dq = mul(matMul(ds, k), info.scale);
  const dk = mul(matMul(ds, q, true, false), info.scale);
  return [dq, dk, matMul(p, dOut, true, false), ...(mask ? [null] : [])];
}

/** dq, dk, dv where wanted (null elsewhere, and for the mask) from the fused backward kernels. */
function attentionGradients(
  q: Tensor, k: Tensor, v: Tensor, mask: Tensor | undefined, out: Tensor, logSumExp: Tensor, dOut: Tensor, info: AttentionInfo,
  wanted: { q: boolean; k: boolean; v: boolean },
): (Tensor | null)[] {
  if (!wanted.q && !wanted.k && !wanted.v) return [null, null, null, ...(mask ? [null] : [])];
  const grads = ENGINE.runKernel({
    name: 'scaledDotProductAttentionGrad',
    inputs: [q, k, v, out, logSumExp, dOut, ...(mask ? [mask] : [])],
    forward: (backend, [qt, kt, vt, outT, lseT, dOutT, maskT]) => {
      const result = backend.attentionGrad!(qt.dataId, kt.dataId, vt.dataId, maskT?.dataId, outT.dataId, lseT.dataId,
        dOutT.dataId, info, wanted);
      return ([[result.dq, qt], [result.dk, kt], [result.dv, vt]] as const)
        .filter(([dataId]) => dataId !== undefined)
        .map(([dataId, input]) => ({ dataId: dataId!, shape: input.shape, dtype: 'float32' as const }));
    },
  });
  const next = () => grads.shift()!;
  return [wanted.q ? next() : null, wanted.k ? next() : null, wanted.v ? next() : null, ...(mask ? [null] : [])];
}
