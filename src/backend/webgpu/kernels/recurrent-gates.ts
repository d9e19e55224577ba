// WGSL of the recurrent step kernels that recurrent.ts runs once per time step. One invocation per (batch row b,
// unit j) computes that unit's share of h·U (a dot product over h_prev, reading U's columns j, j+U, … so that
// neighbouring invocations read neighbouring weights) and its gate math; backward, the same invocation turns
// the step's upstream gradient into its gate gradients and carries dh (and dc) to the step before. Batch rows
// never interact, so one dispatch per step (two for the GRU without resetAfter, whose candidate needs r·h_prev
// of every unit) is the whole dependency chain.
//   gates, dGates [B,T,G·U] rows b·T + t (input time)   sequence, extra, dSequence [B,T,U] rows b·T + s (processing)
//   U [U,G·U]   Uᵀ [G·U,U] (backward, so the dh product reads coalesced too)   carry [B,U] dh, then (lstm) [B,U] dc
//   h_prev [B,T,U] rows b·T + t (backward: gathered once, beside the gate rows)
// Uniform words: 0 count (B·U), 1 U, 2 T, 3 s (processing step), 4 t (its input time), and backward 5 the input
// time of step s+1, 6 1 on the last step (s = T-1: no later step feeds dh), 7 1 when dC was given.
// No kernel binds more than 8 storage buffers (WebGPU's default maxStorageBuffersPerShaderStage), which is why
// the final h and c are sliced out after the loop and the backward carries dh and dc in one buffer.
import type { RecurrentActivation, RecurrentCell } from '../../backend.js';
import { MATH_HELPERS } from '../wgsl.js';

/** What a step kernel's code depends on; shapes and the step are uniforms, so nothing else compiles anew. */
export interface CellSpec {
  cell: RecurrentCell;
  gates: number;
  activation: RecurrentActivation;
  recurrentActivation: RecurrentActivation;
  /** gru only. */
  resetAfter: boolean;
  hasBias: boolean;
  hasMask: boolean;
  /** lstm: initialC was given (else the cell starts at zero). */
  hasInitialC: boolean;
}

/** Forward kernels: one per step, or for the GRU without resetAfter gruGates then gruCandidate. */
export type ForwardMode = 'lstm' | 'gruResetAfter' | 'gruGates' | 'gruCandidate' | 'simpleRnn';
/** Backward kernels: gates per step (plus gruReset for the GRU without resetAfter), initialH once at the end. */
export type BackwardMode = 'gates' | 'gruReset' | 'initialH';

export function forwardModes(spec: CellSpec): ForwardMode[] {
  if (spec.cell === 'lstm') return ['lstm'];
  if (spec.cell === 'simpleRnn') return ['simpleRnn'];
  return spec.resetAfter ? ['gruResetAfter'] : ['gruGates', 'gruCandidate'];
}

const ACTIVATE: Record<RecurrentActivation, (x: string) => string> = {
  linear: (x) => x,
  relu: (x) => `select(0.0, ${x}, ${x} > 0.0)`,
  sigmoid: (x) => `sigmoid_(${x})`,
  tanh: (x) => `tanh_(${x})`,
  hardSigmoid: (x) => `clamp(0.2 * ${x} + 0.5, 0.0, 1.0)`, // tfjs's
};
/** The derivative written through the activation's output y, as the reference's activationSlope. */
const SLOPE: Record<RecurrentActivation, (y: string) => string> = {
  linear: () => '1.0',
  relu: (y) => `select(0.0, 1.0, ${y} > 0.0)`,
  sigmoid: (y) => `${y} * (1.0 - ${y})`,
  tanh: (y) => `1.0 - ${y} * ${y}`,
  hardSigmoid: (y) => `select(0.0, 0.2, ${y} > 0.0 && ${y} < 1.0)`,
};

/** act_/gate_ (activation, recurrentActivation) and their slopes. */
export function activationHelpers(spec: CellSpec): string {
  return `${MATH_HELPERS}
fn act_(x: f32) -> f32 { return ${ACTIVATE[spec.activation]('x')}; }
fn gate_(x: f32) -> f32 { return ${ACTIVATE[spec.recurrentActivation]('x')}; }
fn actSlope_(y: f32) -> f32 { return ${SLOPE[spec.activation]('y')}; }
fn gateSlope_(y: f32) -> f32 { return ${SLOPE[spec.recurrentActivation]('y')}; }`;
}

/**
 * Lets every step body starts with: b, j, row (the gates row), at (the sequence element), valid, and hp = h_prev[b, j]
 * from initialH or the sequence (forward), or from the gathered h_prev (backward).
 */
function stepLets(spec: CellSpec, previous: 'sequence' | 'gathered' | 'none'): string {
  const hp = {
    sequence: '  var hp: f32; if (s == 0u) { hp = H0[b * Un + j]; } else { hp = SEQ[at - Un]; }',
    gathered: '  let hp = HPREV[(b * T + t) * Un + j];',
    none: '',
  }[previous];
  return `  let Un = u(1u); let T = u(2u); let s = u(3u); let t = u(4u);
  let b = i / Un; let j = i % Un;
  let GU = ${spec.gates}u * Un;
  let row = (b * T + t) * GU;
  let at = (b * T + s) * Un + j;
  let valid = ${spec.hasMask ? 'MASK[b * T + t] != 0.0' : 'true'};
${hp}`;
}

/** acc<g> = Σ_k source[k] · U[k, g·U + j] for the listed gates; h_prev lives in initialH at s = 0, else in the sequence. */
function recurrentProduct(gates: number[], source: 'h' | 'resetH'): string {
  const sums = gates.map((g) => `var acc${g} = 0.0;`).join(' ');
  const loop = (value: string) => `for (var k = 0u; k < Un; k++) {
    let hk = ${value}; let w = k * GU + j;
    ${gates.map((g) => `acc${g} = fma(hk, R[w + ${g}u * Un], acc${g});`).join(' ')}
  }`;
  if (source === 'resetH') return `  ${sums}\n  ${loop('RH[b * Un + k]')}`;
  return `  ${sums}
  if (s == 0u) { ${loop('H0[b * Un + k]')} } else { ${loop('SEQ[(b * T + s - 1u) * Un + k]')} }`;
}

/** The body of one forward step kernel (inputs R, H0, … and outputs GATES, SEQ, … as recurrent.ts binds them). */
export function forwardStepBody(spec: CellSpec, mode: ForwardMode): string {
  const gateAt = (g: number) => `GATES[row + ${g}u * Un + j]`;
  switch (mode) {
    case 'lstm': return `${stepLets(spec, 'sequence')}
${recurrentProduct([0, 1, 2, 3], 'h')}
  let gi = gate_(${gateAt(0)} + acc0); let gf = gate_(${gateAt(1)} + acc1);
  let gc = act_(${gateAt(2)} + acc2); let go = gate_(${gateAt(3)} + acc3);
  ${gateAt(0)} = gi; ${gateAt(1)} = gf; ${gateAt(2)} = gc; ${gateAt(3)} = go;
  var cp = 0.0;
  if (s == 0u) { ${spec.hasInitialC ? 'cp = C0[b * Un + j];' : ''} } else { cp = EXTRA[at - Un]; }
  let cNew = gf * cp + gi * gc;
  let c = select(cp, cNew, valid);
  EXTRA[at] = c;
  let h = select(hp, go * act_(cNew), valid);
  SEQ[at] = h;`;
    case 'gruResetAfter': return `${stepLets(spec, 'sequence')}
${recurrentProduct([0, 1, 2], 'h')}
  ${spec.hasBias ? 'acc0 += BIAS[GU + j]; acc1 += BIAS[GU + Un + j]; acc2 += BIAS[GU + 2u * Un + j];' : ''}
  let z = gate_(${gateAt(0)} + acc0); let r = gate_(${gateAt(1)} + acc1);
  let hh = act_(${gateAt(2)} + r * acc2);
  ${gateAt(0)} = z; ${gateAt(1)} = r; ${gateAt(2)} = hh;
  EXTRA[at] = acc2;
  let h = select(hp, z * hp + (1.0 - z) * hh, valid);
  SEQ[at] = h;`;
    case 'gruGates': return `${stepLets(spec, 'sequence')}
${recurrentProduct([0, 1], 'h')}
  let r = gate_(${gateAt(1)} + acc1);
  ${gateAt(0)} = gate_(${gateAt(0)} + acc0); ${gateAt(1)} = r;
  RH[b * Un + j] = r * hp;`;
    case 'gruCandidate': return `${stepLets(spec, 'sequence')}
${recurrentProduct([2], 'resetH')}
  let hh = act_(${gateAt(2)} + acc2);
  ${gateAt(2)} = hh;
  let z = ${gateAt(0)};
  let h = select(hp, z * hp + (1.0 - z) * hh, valid);
  SEQ[at] = h;`;
    case 'simpleRnn': return `${stepLets(spec, 'sequence')}
${recurrentProduct([0], 'h')}
  let y = act_(${gateAt(0)} + acc0);
  ${gateAt(0)} = y;
  let h = select(hp, y, valid);
  SEQ[at] = h;`;
  }
}

/**
 * fn recurrentGrad(b, j, tn): the gradient step tn's recurrent pre-activations send to h_prev[b, j], Σ_c dRec[c]·U[j, c].
 * dRec is dGates except for the GRU's candidate: with resetAfter it is dGates·r, without it the candidate's part
 * goes through r·h_prev and the gruReset kernel adds it to the dh carry itself.
 */
export function recurrentGradHelper(spec: CellSpec): string {
  const isGru = spec.cell === 'gru';
  return `fn recurrentGrad(b: u32, j: u32, tn: u32) -> f32 {
  let Un = u(1u); let GU = ${spec.gates}u * Un; let row = (b * u(2u) + tn) * GU;
  var sum = 0.0;
  for (var c = 0u; c < ${isGru ? '2u * Un' : 'GU'}; c++) { sum = fma(DG[row + c], RT[c * Un + j], sum); }
  ${isGru && spec.resetAfter
    ? 'for (var c = 2u * Un; c < GU; c++) { sum = fma(DG[row + c] * GATES[row + c - Un], RT[c * Un + j], sum); }' : ''}
  return sum;
}`;
}

/** The body of one backward kernel (see recurrent.ts for its bindings). */
export function backwardStepBody(spec: CellSpec, mode: BackwardMode): string {
  const gateAt = (g: number) => `GATES[row + ${g}u * Un + j]`;
  const dGateAt = (g: number) => `DG[row + ${g}u * Un + j]`;
  if (mode === 'initialH') {
    return `  let Un = u(1u); let b = i / Un; let j = i % Un;
  DH0[i] = CARRY[i] + recurrentGrad(b, j, u(5u));`;
  }
  if (mode === 'gruReset') {
    // dGates of r and the candidate's share of dh_prev: both need Σ_c dCandidate[c]·U[j, 2U + c] over every unit c.
    return `${stepLets(spec, 'gathered')}
  if (!valid) { return; }
  var sum = 0.0;
  for (var c = 0u; c < Un; c++) { sum = fma(DG[row + 2u * Un + c], RT[(2u * Un + c) * Un + j], sum); }
  let r = ${gateAt(1)};
  ${dGateAt(1)} = sum * hp * gateSlope_(r);
  CARRY[i] += sum * r;`;
  }
  const lstm = spec.cell === 'lstm';
  const zeroRow = Array.from({ length: spec.gates }, (_, g) => `${dGateAt(g)} = 0.0;`).join(' ');
  // The carry holds dh (and dc) from the step after; on the last step it holds dH (and dC) from upstream.
  const head = `${stepLets(spec, spec.cell === 'gru' ? 'gathered' : 'none')}
  let last = u(6u) == 1u;
  var dh = CARRY[i];
  if (!last) { dh += recurrentGrad(b, j, u(5u)); }
  let hGrad = dh + DSEQ[at];
${lstm ? '  var dc = 0.0;\n  if (!last || u(7u) == 1u) { dc = CARRY[u(0u) + i]; }' : ''}
  if (!valid) {
    // The step kept the previous state: its gradient passes straight through.
    CARRY[i] = hGrad; ${lstm ? 'CARRY[u(0u) + i] = dc;' : ''} ${zeroRow}
    return;
  }`;
  switch (spec.cell) {
    case 'lstm': return `${head}
  let gi = ${gateAt(0)}; let gf = ${gateAt(1)}; let gc = ${gateAt(2)}; let go = ${gateAt(3)};
  var cp = 0.0;
  if (s == 0u) { ${spec.hasInitialC ? 'cp = C0[i];' : ''} } else { cp = EXTRA[at - Un]; }
  let ac = act_(EXTRA[at]);
  let cGrad = dc + hGrad * go * actSlope_(ac);
  ${dGateAt(0)} = cGrad * gc * gateSlope_(gi);
  ${dGateAt(1)} = cGrad * cp * gateSlope_(gf);
  ${dGateAt(2)} = cGrad * gi * actSlope_(gc);
  ${dGateAt(3)} = hGrad * ac * gateSlope_(go);
  CARRY[u(0u) + i] = cGrad * gf;
  CARRY[i] = 0.0;`;
    case 'gru': return `${head}
  let z = ${gateAt(0)}; let hh = ${gateAt(2)};
  let dCandidate = hGrad * (1.0 - z) * actSlope_(hh);
  ${dGateAt(0)} = hGrad * (hp - hh) * gateSlope_(z);
  ${dGateAt(2)} = dCandidate;
  ${spec.resetAfter ? `${dGateAt(1)} = dCandidate * EXTRA[at] * gateSlope_(${gateAt(1)});` : ''}
  CARRY[i] = hGrad * z;`;
    case 'simpleRnn': return `${head}
  ${dGateAt(0)} = hGrad * actSlope_(${gateAt(0)});
  CARRY[i] = 0.0;`;
  }
}
