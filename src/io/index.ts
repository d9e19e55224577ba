// Weight files and checkpoints: safetensors (read/write), Hugging Face model folders, training checkpoints
// with optimizer state. (IDX, the MNIST format, is in ./idx.ts; the tfjs Layers format is in ../nn/io.)
export { decodeSafetensors, fetchBytes, readSafetensors } from './safetensors.js';
export type { SafetensorsFile } from './safetensors.js';
export { encodeSafetensors, safetensorsChunks, writeFileAtomically, writeSafetensors } from './safetensors-write.js';
export type { ChunkedFileOperations, EncodeSafetensorsOptions, RawSafetensor } from './safetensors-write.js';
export {
  MAX_HEADER_BYTES, SAFETENSORS_DTYPES, float32ToBfloat16Bits, float32ToFloat16Bits,
} from './safetensors-format.js';
export type { SafetensorsDtype, SafetensorsTensorInfo } from './safetensors-format.js';
export { loadWeightsInto, readHuggingFaceFolder, TOKENIZER_FILE_NAMES } from './hf-folder.js';
export type { HuggingFaceFolder, LoadWeightsReport, TokenizerFileName, WeightContainer, WeightTarget } from './hf-folder.js';
export { CHECKPOINT_MANIFEST, CheckpointCallback, checkpointCallback, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
export type {
  CheckpointCallbackArgs, CheckpointManifest, CheckpointModel, LoadCheckpointArgs, LoadedCheckpoint, SaveCheckpointArgs,
} from './checkpoint.js';
