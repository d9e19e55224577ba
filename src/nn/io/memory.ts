// In-memory IO handlers, as tfjs: fromMemory hands ready artifacts to loadLayersModel; withSaveHandler
// passes the artifacts model.save produces to a callback (nothing touches a file or the network).
import type { IOHandler, ModelArtifacts, SaveResult, TrainingConfig, WeightData, WeightsManifestEntry } from './types.js';

/**
 * A load handler over artifacts already in memory.
 * `io.fromMemory(artifacts)`, or the legacy `io.fromMemory(modelTopology, weightSpecs?, weightData?, trainingConfig?)`.
 */
export function fromMemory(
  artifactsOrTopology: ModelArtifacts | {},
  weightSpecs?: WeightsManifestEntry[],
  weightData?: WeightData,
  trainingConfig?: TrainingConfig,
): IOHandler {
  if (artifactsOrTopology === null || typeof artifactsOrTopology !== 'object') {
    throw new Error(`io.fromMemory: expected model artifacts (an object), got ${String(artifactsOrTopology)}`);
  }
  const candidate = artifactsOrTopology as ModelArtifacts;
  const isArtifacts = candidate.modelTopology != null || candidate.weightSpecs != null;
  const legacy = weightSpecs !== undefined || weightData !== undefined || trainingConfig !== undefined || !isArtifacts;
  const artifacts: ModelArtifacts = legacy
    ? { modelTopology: artifactsOrTopology, weightSpecs, weightData, trainingConfig }
    : candidate;
  return { load: async () => artifacts };
}

/** A save handler that passes the artifacts to `saveHandler` and returns its result. */
export function withSaveHandler(saveHandler: (artifacts: ModelArtifacts) => Promise<SaveResult> | SaveResult): IOHandler {
  if (typeof saveHandler !== 'function') throw new Error('io.withSaveHandler: expected a function (artifacts) => SaveResult');
  return { save: async (artifacts) => saveHandler(artifacts) };
}
