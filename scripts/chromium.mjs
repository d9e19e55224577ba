// Debian's Chromium driven by playwright-core (whose own browser download cannot work here), with the flags a
// closed-network, root, headless machine needs. Shared by the browser tests, the hosts bench and the web example.
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';

/** The Chromium binary: $CHROMIUM_PATH, else `chromium` on PATH; throws how to install it otherwise. */
export function chromiumPath() {
  const candidates = [process.env.CHROMIUM_PATH, 'chromium', 'chromium-browser'].filter(Boolean);
  for (const candidate of candidates) {
    try {
      return execFileSync('sh', ['-c', `command -v ${candidate}`], { encoding: 'utf8' }).trim();
    } catch {
      // not this one
    }
  }
  throw new Error(`browser tests and benches need Chromium and found none (looked for ${candidates.join(', ')}): install it with \`apt-get install -y chromium\`, or set CHROMIUM_PATH to a Chromium/Chrome binary`);
}

export const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  // The machine has no outside network: background connections only fail (many at a time).
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  // A headless page counts as hidden: without these its timers and renderer get throttled.
  '--disable-renderer-backgrounding', '--disable-background-timer-throttling', '--disable-backgrounding-occluded-windows',
];

/** Launches headless Chromium; `args` are added to CHROMIUM_ARGS. */
export function launchChromium({ args = [] } = {}) {
  return chromium.launch({ executablePath: chromiumPath(), args: [...CHROMIUM_ARGS, ...args] });
}
