// The GPU peers in Node, on the same adapter sinew uses: tfjs-backend-webgpu reads navigator.gpu, which Node
// lacks, so it gets one from the npm `webgpu` package (Dawn). Without a GPU that is Mesa's llvmpipe through
// OpenGL ES, which Dawn offers only to compatibility-mode requests: requestAdapter adds that feature level.
export interface GpuSetup {
  /** Dawn options (['backend=opengles'] for the software route) and the adapter feature level. */
  dawnOptions: string[];
  featureLevel?: 'compatibility' | 'core';
}

/** The software route of PEERS.md when no option says otherwise (SINEW_BENCH_DAWN='' asks for Dawn's default). */
export function defaultGpuSetup(): GpuSetup {
  const dawn = process.env.SINEW_BENCH_DAWN ?? 'backend=opengles';
  process.env.EGL_PLATFORM ??= 'surfaceless';
  return { dawnOptions: dawn ? dawn.split(',') : [], featureLevel: dawn.includes('opengles') ? 'compatibility' : undefined };
}

/** Dawn's instances must outlive every device made from them (see src/backend/webgpu/gpu.ts). */
const dawnInstances: unknown[] = [];

/** Installs navigator.gpu from Dawn (for tfjs-backend-webgpu) and returns tfjs with that backend registered. */
export async function loadTfjsWebGPU(setup: GpuSetup): Promise<typeof import('@tensorflow/tfjs')> {
  const dawnPackage = 'webgpu';
  const dawn = await import(dawnPackage);
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create(setup.dawnOptions);
  dawnInstances.push(gpu);
  const navigatorGpu = {
    requestAdapter: (options: Record<string, unknown> = {}) =>
      gpu.requestAdapter(setup.featureLevel ? { ...options, featureLevel: setup.featureLevel } : options),
    getPreferredCanvasFormat: () => 'rgba8unorm',
    get wgslLanguageFeatures() { return gpu.wgslLanguageFeatures; },
  };
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: navigatorGpu, userAgent: `Node ${process.version}` }, configurable: true });
  const tf = await import('@tensorflow/tfjs');
  await import('@tensorflow/tfjs-backend-webgpu');
  await tf.setBackend('webgpu');
  await tf.ready();
  if (tf.getBackend() !== 'webgpu') throw new Error(`tfjs-backend-webgpu did not start (backend is ${tf.getBackend()})`);
  return tf;
}
