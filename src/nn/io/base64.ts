// Standard base64 (RFC 4648, with padding) over ArrayBuffers, as tfjs writes localStorage weight data:
// btoa over a binary string. Built on btoa/atob, which every browser, worker, Deno and Node ≥ 16 has.

// String.fromCharCode(...bytes) overflows the call stack past ~100k arguments; 32 KiB chunks stay well below.
const CHUNK_BYTES = 0x8000;

/** The base64 text of `buffer`'s bytes. */
export function arrayBufferToBase64(buffer: ArrayBuffer): string {
  const bytes = new Uint8Array(buffer);
  let binary = '';
  for (let start = 0; start < bytes.length; start += CHUNK_BYTES) {
    binary += String.fromCharCode(...bytes.subarray(start, start + CHUNK_BYTES));
  }
  return btoa(binary);
}

/** The bytes of base64 `text`; `source` names where it came from when the text is not base64. */
export function base64ToArrayBuffer(text: string, source = 'base64 data'): ArrayBuffer {
  let binary: string;
  try {
    binary = atob(text);
  } catch (err) {
    throw new Error(`${source} is not valid base64 (${text.length} characters): ${(err as Error).message}`, { cause: err });
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}
