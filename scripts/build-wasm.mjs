// Builds the four wasm variants from one AssemblyScript source (see asconfig.json):
// {shared memory + threads, single-threaded} x {relaxed SIMD, plain SIMD}. The runtime picks one at load.
import asc from 'assemblyscript/asc';
import { mkdirSync } from 'node:fs';

const targets = ['mt-relaxed', 'mt', 'st-relaxed', 'st'];
mkdirSync('build', { recursive: true });
for (const target of targets) {
  const started = Date.now();
  const { error, stderr } = await asc.main(['--config', 'asconfig.json', '--target', target]);
  if (error) {
    console.error(stderr.toString());
    console.error(`build-wasm: target ${target} failed: ${error.message}`);
    process.exit(1);
  }
  console.log(`build-wasm: ${target} built in ${Date.now() - started} ms`);
}
