// The tfjs Layers-format types (shapes identical to @tensorflow/tfjs-core io/types), so artifacts move
// between tfjs and sinew unchanged: model.json = { modelTopology, weightsManifest, format, ... }
// plus weight shards holding every weight's bytes back to back in manifest order.

/** Dtypes a manifest entry may declare; sinew decodes float32, int32 and bool ('string'/'complex64' are refused clearly). */
export type WeightDType = 'float32' | 'int32' | 'bool' | 'string' | 'complex64';
/** Storage dtypes of quantized weights as tfjs writes them. */
export type QuantizationDType = 'uint8' | 'uint16' | 'float16';

export interface WeightsManifestEntry {
  name: string;
  shape: number[];
  dtype: WeightDType;
  group?: 'model' | 'optimizer';
  /** uint8/uint16: value = q * scale + min; float16: IEEE half (no scale/min). */
  quantization?: { scale?: number; min?: number; dtype: QuantizationDType; original_dtype?: string };
}

/** One group of weights whose bytes are the concatenation of its `paths` (shards), in order. */
export interface WeightsManifestGroupConfig {
  paths: string[];
  weights: WeightsManifestEntry[];
}
export type WeightsManifestConfig = WeightsManifestGroupConfig[];

export interface TrainingConfig {
  optimizer_config: {};
  loss: string | string[] | { [key: string]: string };
  metrics?: string[] | { [key: string]: string };
  weighted_metrics?: string[];
  sample_weight_mode?: string;
  loss_weights?: number[] | { [key: string]: number };
}

/** One buffer, or several that read as their concatenation (tfjs 4.x). */
export type WeightData = ArrayBuffer | ArrayBuffer[];

/** What a save handler receives and a load handler returns. */
export interface ModelArtifacts {
  modelTopology?: {} | ArrayBuffer;
  trainingConfig?: TrainingConfig;
  weightSpecs?: WeightsManifestEntry[];
  weightData?: WeightData;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  signature?: {};
  userDefinedMetadata?: { [key: string]: {} };
  modelInitializer?: {};
  initializerSignature?: {};
}

/** The model.json file. */
export interface ModelJSON {
  modelTopology: {};
  trainingConfig?: TrainingConfig;
  weightsManifest: WeightsManifestConfig;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  signature?: {};
  userDefinedMetadata?: { [key: string]: {} };
  modelInitializer?: {};
  initializerSignature?: {};
}

export interface ModelArtifactsInfo {
  dateSaved: Date;
  modelTopologyType: 'JSON' | 'GraphDef';
  modelTopologyBytes?: number;
  weightSpecsBytes?: number;
  weightDataBytes?: number;
}

export interface SaveResult {
  modelArtifactsInfo: ModelArtifactsInfo;
  responses?: Response[];
  errors?: Array<{} | string>;
}

export type SaveHandler = (artifacts: ModelArtifacts) => Promise<SaveResult>;
export type LoadHandler = () => Promise<ModelArtifacts>;

export interface IOHandler {
  save?: SaveHandler;
  load?: LoadHandler;
}

/** Options of loadLayersModel (tfjs LoadOptions subset + strict). */
export interface LoadOptions {
  /** true (default): the weights must match the model's exactly; false: missing/extra weights are tolerated. */
  strict?: boolean;
  /** Replaces the global fetch for http(s) URLs (tfjs name). */
  fetchFunc?: typeof fetch;
  /** Extra fetch options for http(s) URLs, e.g. headers. */
  requestInit?: RequestInit;
  /** Rewrites each weight path before it is fetched (tfjs name). */
  weightUrlConverter?: (weightFileName: string) => Promise<string>;
}
