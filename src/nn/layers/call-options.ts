// Call options of the sequence layers (attention, multiHeadAttention, position layers, transformerEncoder),
// declared on CallArgs so `layer.apply(x, {useCausalMask: true})` type-checks (each layer reads its own,
// others ignore them), and the base class that refuses them where a functional graph would drop them.
import type { Tensor } from '../../tensor.js';
import { type CallArgs, Layer } from '../layer.js';
import { SymbolicTensor } from '../symbolic.js';

declare module '../layer.js' {
  interface CallArgs {
    /** attention layers: query i attends only keys j <= i. */
    useCausalMask?: boolean;
    /** attention layers: also return the attention probabilities; apply returns [output, scores]. */
    returnAttentionScores?: boolean;
    /** multiHeadAttention/transformerEncoder: [B, Tq, Tk] bool or float 0/1, 1 = may attend. */
    attentionMask?: Tensor | null;
    /** transformerEncoder: [B, T], 1/true = real token; default the upstream mask. Padded tokens are hidden as keys. */
    paddingMask?: Tensor | null;
    /** position layers: position of the first step (decoding one step at a time); default 0. */
    startIndex?: number;
  }
}

type ApplyInput = Tensor | SymbolicTensor | (Tensor | SymbolicTensor)[];

/**
 * A layer with call options that only work on concrete tensors: a functional model's graph records
 * plain options (training, useCausalMask, startIndex) but not tensors (attentionMask) nor options that
 * change the number of outputs (returnAttentionScores), so a symbolic call with those is refused rather
 * than silently run without them.
 */
export abstract class ConcreteOptionsLayer extends Layer {
  protected abstract readonly concreteOnlyOptions: readonly (keyof CallArgs)[];

  override apply(inputs: Tensor, kwargs?: CallArgs): Tensor;
  override apply(inputs: Tensor[], kwargs?: CallArgs): Tensor | Tensor[];
  override apply(inputs: SymbolicTensor, kwargs?: CallArgs): SymbolicTensor;
  override apply(inputs: SymbolicTensor[], kwargs?: CallArgs): SymbolicTensor | SymbolicTensor[];
  override apply(inputs: ApplyInput, kwargs?: CallArgs): Tensor | Tensor[] | SymbolicTensor | SymbolicTensor[];
  override apply(inputs: ApplyInput, kwargs: CallArgs = {}): Tensor | Tensor[] | SymbolicTensor | SymbolicTensor[] {
    const symbolic = (Array.isArray(inputs) ? inputs : [inputs]).some((x) => x instanceof SymbolicTensor);
    const given = this.concreteOnlyOptions.filter((option) => Boolean(kwargs[option]));
    if (symbolic && given.length > 0) {
      throw new Error(
        `${this.getClassName()} '${this.name}': the call option(s) ${given.join(', ')} work only on concrete tensors (a functional model records only plain options such as training and useCausalMask); call the layer on tensors`,
      );
    }
    return super.apply(inputs, kwargs);
  }
}
