// Runs in the page of bench/webgpu-page.ts: square matMul inference calls on sinew, tfjs-webgpu and
// onnxruntime-web's WebGPU EP, alternating by round; returns ms per call per library and size.
export async function measure({ sizes, rounds, minMs, models, libraries }) {
  const sinew = await import('sinew');
  const tfjs = globalThis.tf;
  const ort = await import('/ort/ort.webgpu.min.mjs');
  ort.env.wasm.wasmPaths = '/ort/';
  sinew.setWebGPUOptions({ allowFallbackAdapter: true });
  await sinew.setBackend('webgpu');
  await tfjs.setBackend('webgpu');
  const adapter = sinew.backendInfo().adapter.name;
  const times = {};
  for (const n of sizes) {
    const a = Float32Array.from({ length: n * n }, () => Math.random() - 0.5);
    const b = Float32Array.from({ length: n * n }, () => Math.random() - 0.5);
    const session = await ort.InferenceSession.create(new Uint8Array(models[n]), { executionProviders: ['webgpu'] });
    const tfCall = (tf) => async () => {
      const [ta, tb] = [tf.tensor(a, [n, n]), tf.tensor(b, [n, n])];
      const c = tf.matMul(ta, tb);
      await c.data();
      tf.dispose([ta, tb, c]);
    };
    const calls = {
      'sinew webgpu': tfCall(sinew),
      'tfjs-webgpu': tfCall(tfjs),
      'ort-web webgpu': async () => {
        const out = await session.run({ A: new ort.Tensor('float32', a, [n, n]), B: new ort.Tensor('float32', b, [n, n]) });
        void out.C.data[0];
      },
    };
    for (const call of Object.values(calls)) { await call(); await call(); } // warm-up: compiles, pools
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < libraries.length; i++) {
        const library = libraries[(i + round) % libraries.length];
        const start = performance.now();
        let count = 0;
        do { await calls[library](); count++; } while (performance.now() - start < minMs);
        (times[`${library}|${n}`] ??= []).push((performance.now() - start) / count);
      }
    }
    await session.release();
  }
  return { adapter, times, userAgent: navigator.userAgent };
}
