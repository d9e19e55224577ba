// Benchmark entry: `npm run bench -- <suite>` (suites: gemm, mlp, conv, cnn, attention, lstm). Each suite measures sinew and its peers in
// one process and writes Markdown, JSON and an SVG chart under bench/results/.
const suites: Record<string, () => Promise<unknown>> = {
  gemm: () => import('./gemm.js'),
  mlp: () => import('./mlp.js'),
  conv: () => import('./conv.js'),
  cnn: () => import('./cnn.js'),
  attention: () => import('./attention.js'),
  lstm: () => import('./lstm.js'),
  bert: () => import('./bert.js'),
};
const requested = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
const names = requested.length ? requested : Object.keys(suites);
for (const name of names) {
  const load = suites[name];
  if (!load) {
    console.error(`bench: unknown suite '${name}' (known: ${Object.keys(suites).join(', ')})`);
    process.exit(1);
  }
  await load();
}
