// Finds a WebGPU implementation and opens a device on it: the host's own `navigator.gpu` (browsers, Deno,
// Node builds that have one), else in Node the optional npm package `webgpu` (Dawn). Nothing here falls back
// to another backend: every failure is an Error that says what is missing and how to get it.
import { detectHost } from '../../runtime/host.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- WebGPU objects are typed loosely on purpose: the
   declarations users compile against must not need @webgpu/types. */
export type GPUDeviceLike = any;
export type GPUAdapterLike = any;

export interface WebGPUOptions {
  /** Accept a fallback (software) adapter such as SwiftShader. Default false: only a real adapter. */
  allowFallbackAdapter?: boolean;
  /** 'high-performance' (default) or 'low-power', passed to requestAdapter. */
  powerPreference?: 'high-performance' | 'low-power';
  /**
   * Node only: options for the npm `webgpu` package's create(), e.g. ['backend=opengles'] (what works on
   * Mesa's software rasterizer). Default: Dawn's own choice.
   */
  dawnOptions?: string[];
  /** requestAdapter's featureLevel: 'compatibility' opens OpenGL ES adapters. Default 'core'. */
  featureLevel?: 'core' | 'compatibility';
}

/** What `tf.backendInfo()` shows of the adapter. */
export interface AdapterSummary {
  vendor: string; architecture: string; device: string; description: string;
  isFallbackAdapter: boolean;
  /** Where the implementation came from: the host's navigator.gpu or the npm `webgpu` package. */
  source: 'navigator.gpu' | 'npm webgpu';
  features: string[];
  limits: Record<string, number>;
}

/** The limits a device is opened with: the adapter's own, so kernels can size workgroups from them. */
const REQUESTED_LIMITS = [
  'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupSizeY', 'maxComputeWorkgroupSizeZ', 'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage', 'maxBindGroups',
] as const;

export type GpuLimits = Record<(typeof REQUESTED_LIMITS)[number], number>;

const dawnInstances: unknown[] = [];

/** The host's GPU object, loading the npm `webgpu` package in Node where the host has none. */
export async function findGpu(options: WebGPUOptions): Promise<{ gpu: any; source: AdapterSummary['source'] }> {
  const own = (globalThis as any).navigator?.gpu;
  if (own) return { gpu: own, source: 'navigator.gpu' };
  const host = detectHost();
  if (host === 'browser') {
    const secure = (globalThis as any).isSecureContext === false ? ' (this page is not a secure context: serve it over https or from localhost)' : '';
    throw new Error(`webgpu backend: this browser has no navigator.gpu${secure}; use a browser with WebGPU enabled, or the 'wasm' backend`);
  }
  if (host === 'deno') {
    throw new Error("webgpu backend: Deno has no navigator.gpu here: run with `deno run --unstable-webgpu` (and a Vulkan driver)");
  }
  let dawn: any;
  try {
    const optionalPackage = 'webgpu'; // a variable: browser bundlers must not try to resolve it
    dawn = await import(/* webpackIgnore: true */ /* @vite-ignore */ optionalPackage);
  } catch (error) {
    throw new Error(
      `webgpu backend: Node has no navigator.gpu and the optional package 'webgpu' (Dawn) is not installed: ` +
        `\`npm install webgpu\` to use the GPU from Node (${(error as Error).message.split('\n')[0]})`,
    );
  }
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create(options.dawnOptions ?? []);
  // Dawn's node binding tears its instance down when the GPU object is collected, even while devices made
  // from it live on (the process then aborts in the driver): keep every instance for the process's life.
  dawnInstances.push(gpu);
  return { gpu, source: 'npm webgpu' };
}

/** Opens a device with the adapter's limits; rejects with the reason when there is no usable adapter. */
export async function openDevice(options: WebGPUOptions = {}): Promise<{ device: GPUDeviceLike; adapter: AdapterSummary; limits: GpuLimits }> {
  const { gpu, source } = await findGpu(options);
  const request: Record<string, unknown> = { powerPreference: options.powerPreference ?? 'high-performance' };
  if (options.featureLevel) request.featureLevel = options.featureLevel;
  const adapter: GPUAdapterLike = await gpu.requestAdapter(request);
  if (!adapter) {
    throw new Error(`webgpu backend: requestAdapter found no GPU adapter (${source}${options.featureLevel ? `, featureLevel '${options.featureLevel}'` : ''})`);
  }
  const info = adapter.info ?? {};
  const isFallbackAdapter = Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter);
  const summary: AdapterSummary = {
    vendor: String(info.vendor ?? ''), architecture: String(info.architecture ?? ''), device: String(info.device ?? ''),
    description: String(info.description ?? ''), isFallbackAdapter, source,
    features: [...adapter.features].map(String).sort(),
    limits: Object.fromEntries(REQUESTED_LIMITS.map((name) => [name, Number(adapter.limits[name])])),
  };
  if (isFallbackAdapter && !options.allowFallbackAdapter) {
    throw new Error(
      `webgpu backend: the only adapter is a fallback (software) adapter (${describeAdapter(summary)}); ` +
        `pass { allowFallbackAdapter: true } to tf.setWebGPUOptions to use it anyway`,
    );
  }
  const requiredLimits = Object.fromEntries(REQUESTED_LIMITS.map((name) => [name, adapter.limits[name]]));
  const device = await adapter.requestDevice({ requiredLimits });
  return { device, adapter: summary, limits: summary.limits as GpuLimits };
}

export function describeAdapter(a: Pick<AdapterSummary, 'vendor' | 'architecture' | 'device' | 'description'>): string {
  return [a.vendor, a.architecture, a.device, a.description].filter((s) => s).join(' / ') || 'unnamed adapter';
}
