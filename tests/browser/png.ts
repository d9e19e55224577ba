// A minimal PNG encoder (8-bit RGBA, no filtering) so tests can serve images whose pixels they know.
import { crc32, deflateSync } from 'node:zlib';

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** PNG bytes of `rgba` (width·height·4 bytes, row-major). */
export function encodePNG(rgba: Uint8Array, width: number, height: number): Uint8Array {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bits per channel
  header[9] = 6; // colour type RGBA
  // Each row starts with its filter type: 0 = none.
  const rows = Buffer.alloc(height * (width * 4 + 1));
  for (let y = 0; y < height; y++) rows.set(rgba.subarray(y * width * 4, (y + 1) * width * 4), y * (width * 4 + 1) + 1);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Deterministic opaque test pixels: every byte differs from its neighbours so a channel mix-up shows. */
export function testPixels(width: number, height: number, opaque = true): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba[i * 4] = (i * 37 + 11) % 256;
    rgba[i * 4 + 1] = (i * 59 + 101) % 256;
    rgba[i * 4 + 2] = (i * 83 + 7) % 256;
    rgba[i * 4 + 3] = opaque ? 255 : (i * 29 + 64) % 256;
  }
  return rgba;
}
