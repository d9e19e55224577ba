// Hugging Face BERT weight names ↔ sinew weight names. Every sinew weight is named after its Hugging Face
// module path plus the Keras weight ('bert.encoder.layer.0.attention.self.query/kernel'), so the mapping is
// a rule on the last segment:
//   <module>.weight        (Linear, [out, in])   ↔ <module>/kernel  ([in, out]: transposed)
//   <module>.bias                                ↔ <module>/bias
//   <…>.LayerNorm.weight | .gamma                ↔ <…>.LayerNorm/gamma      (.bias | .beta ↔ /beta)
//   <…>_embeddings.weight                        ↔ <…>_embeddings/embeddings
//   cls.predictions.bias                         ↔ cls.predictions/bias
// Checkpoints of a bare BertModel carry no 'bert.' prefix ('encoder.layer.0…'); it is added on load.
import type { WeightTarget } from '../../io/hf-folder.js';

/** Names in Hugging Face files that are not weights or are tied to another weight (never loaded). */
export function isDerivedHuggingFaceName(name: string): boolean {
  return (
    name.endsWith('embeddings.position_ids') ||
    name === 'cls.predictions.decoder.weight' || // tied to the word embeddings
    name === 'cls.predictions.decoder.bias' // the same tensor as cls.predictions.bias
  );
}

const BARE_MODEL_PREFIXES = ['embeddings.', 'encoder.', 'pooler.'];

/** The sinew weight a Hugging Face name maps to (transpose for Linear weights); null for derived names. */
export function huggingFaceToSinew(name: string): WeightTarget {
  if (isDerivedHuggingFaceName(name)) return null;
  const full = BARE_MODEL_PREFIXES.some((p) => name.startsWith(p)) ? `bert.${name}` : name;
  if (full === 'cls.predictions.bias') return 'cls.predictions/bias';
  const cut = full.lastIndexOf('.');
  if (cut <= 0) return full;
  const module = full.slice(0, cut);
  const leaf = full.slice(cut + 1);
  if (module.endsWith('LayerNorm')) {
    if (leaf === 'weight' || leaf === 'gamma') return `${module}/gamma`;
    if (leaf === 'bias' || leaf === 'beta') return `${module}/beta`;
  }
  if (module.endsWith('_embeddings') && leaf === 'weight') return `${module}/embeddings`;
  if (leaf === 'weight') return { name: `${module}/kernel`, transpose: true };
  if (leaf === 'bias') return `${module}/bias`;
  return full;
}

/** The Hugging Face name of a sinew weight, and whether its value is transposed on the way. */
export function sinewToHuggingFace(originalName: string): { name: string; transpose: boolean } {
  if (originalName === 'cls.predictions/bias') return { name: 'cls.predictions.bias', transpose: false };
  const cut = originalName.lastIndexOf('/');
  if (cut <= 0) throw new Error(`BERT: weight '${originalName}' has no '<module>/<weight>' name`);
  const module = originalName.slice(0, cut);
  const leaf = originalName.slice(cut + 1);
  switch (leaf) {
    case 'kernel': return { name: `${module}.weight`, transpose: true };
    case 'bias': return { name: `${module}.bias`, transpose: false };
    case 'gamma': return { name: `${module}.weight`, transpose: false };
    case 'beta': return { name: `${module}.bias`, transpose: false };
    case 'embeddings': return { name: `${module}.weight`, transpose: false };
    default: throw new Error(`BERT: weight '${originalName}' has no Hugging Face name`);
  }
}
