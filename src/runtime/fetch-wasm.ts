// Fetching and compiling a build over HTTP (pages, workers, bundled apps): streaming compile when the
// server sends application/wasm, `arrayBuffer()` otherwise, and an Error that says what went wrong and how
// to fix it for each way this fails in the field (a 404, an SPA's HTML fallback page, CORS, CSP).
import type { WasmBytes } from './loader.js';

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];
const FIX_PATHS =
  "serve the package's build/*.wasm files (a bundler that does not copy them needs them copied next to the " +
  "bundle or in its public folder), or point sinew at them with tf.setWasmPaths('https://…/build/') before tf.ready()";

export interface FetchedModule {
  module: WebAssembly.Module;
  /** The module bytes: the runtime reads the memory import and static data from them. */
  bytes: WasmBytes;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What arrived instead of a wasm module, in words. */
function notWasm(bytes: Uint8Array, contentType: string | null): string {
  const head = new TextDecoder().decode(bytes.subarray(0, 64)).trimStart().toLowerCase();
  if (head.startsWith('<')) {
    return `an HTML page (content-type ${contentType ?? 'none'}), not wasm: the server answers unknown paths with a fallback page`;
  }
  if (bytes.length === 0) return 'an empty response';
  return `${bytes.length} bytes that are not a wasm module (content-type ${contentType ?? 'none'}, first bytes ${[...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ')})`;
}

function compileFailure(url: URL, error: unknown): Error {
  const message = describe(error);
  const csp = /unsafe-eval|Content Security Policy|CSP/i.test(message);
  return new Error(
    `sinew: could not compile ${url.href}: ${message}` +
      (csp
        ? ". The page's Content-Security-Policy forbids WebAssembly: add 'wasm-unsafe-eval' to its script-src"
        : '. The file may be truncated or from another sinew version: serve the build/*.wasm of the installed package'),
  );
}

/** Fetches and compiles the module at `url`; rejects with an Error naming the URL, the status and the fix. */
export async function fetchModule(url: URL): Promise<FetchedModule> {
  let response: Response;
  try {
    response = await fetch(url, { credentials: 'same-origin' });
  } catch (error) {
    throw new Error(
      `sinew: could not fetch ${url.href}: ${describe(error)}. The request was blocked or the server is unreachable ` +
        `(a cross-origin URL needs CORS headers; a Content-Security-Policy needs the host in connect-src); ${FIX_PATHS}`,
    );
  }
  if (!response.ok) {
    throw new Error(`sinew: fetching ${url.href} failed: HTTP ${response.status} ${response.statusText}`.trimEnd() + `; ${FIX_PATHS}`);
  }
  const contentType = response.headers.get('content-type');
  const streaming = typeof WebAssembly.compileStreaming === 'function' && contentType?.split(';')[0].trim() === 'application/wasm';
  // Streaming compiles while the bytes arrive; the bytes are still read (a clone) for the memory import.
  const [compiled, buffer] = await Promise.all([
    streaming ? WebAssembly.compileStreaming(response.clone()).catch((error: unknown) => error) : undefined,
    response.arrayBuffer(),
  ]);
  const bytes = new Uint8Array(buffer);
  if (bytes.length < 8 || WASM_MAGIC.some((byte, i) => bytes[i] !== byte)) {
    throw new Error(`sinew: ${url.href} returned ${notWasm(bytes, contentType)}; ${FIX_PATHS}`);
  }
  if (compiled instanceof WebAssembly.Module) return { module: compiled, bytes };
  if (compiled !== undefined) throw compileFailure(url, compiled);
  try {
    return { module: await WebAssembly.compile(bytes), bytes };
  } catch (error) {
    throw compileFailure(url, error);
  }
}
