// The app the bundler tests build: what a front-end project would write. The page (or test) reaches it
// through window.sinewApp; the esbuild recipe calls tf.setWasmPaths first (esbuild does not emit assets
// named by new URL(…, import.meta.url)), the Vite and webpack builds need no call.
import * as tf from 'sinew';
import { runCoreBodies } from './core-bodies.mjs';

globalThis.sinewApp = { tf, runCoreBodies };
