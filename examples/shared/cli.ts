// Tiny helpers shared by the example scripts: flag parsing and "am I the script being run?".
import { pathToFileURL } from 'node:url';

/** True when the module at `moduleUrl` is the script node/tsx was started with (not an import from a test). */
export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && (moduleUrl === pathToFileURL(script).href || moduleUrl === pathToFileURL(script + '.ts').href);
}

/** `--name value` or `--name=value` as a number, else the fallback. */
export function numberFlag(name: string, fallback: number): number {
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const [key, inline] = args[i].split('=', 2);
    if (key !== `--${name}`) continue;
    const text = inline ?? args[i + 1];
    const value = Number(text);
    if (!Number.isFinite(value)) throw new Error(`--${name} expects a number, got '${text}'`);
    return value;
  }
  return fallback;
}

export const hasFlag = (name: string): boolean => process.argv.slice(2).includes(`--${name}`);
