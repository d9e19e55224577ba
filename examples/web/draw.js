// The drawing pad: pointer events (mouse, touch and pen alike) draw white strokes on black, as MNIST digits
// are; toMnistPixels turns the drawing into the 28×28 input the network was trained on.
// px on the 280-px pad: a digit drawn ~200 px tall is scaled by 20/200, giving MNIST's 2-3 px strokes.
const STROKE_WIDTH = 24;

export class DrawingPad {
  /** `onChange()` is called after every stroke segment and after clear(). */
  constructor(canvas, onChange) {
    this.canvas = canvas;
    this.context = canvas.getContext('2d', { willReadFrequently: true });
    this.onChange = onChange;
    this.last = null;
    canvas.addEventListener('pointerdown', (event) => {
      canvas.setPointerCapture(event.pointerId);
      this.last = this.position(event);
      this.segment(this.last, this.last); // a tap leaves a dot
    });
    canvas.addEventListener('pointermove', (event) => {
      if (!this.last) return;
      // Coalesced events keep fast strokes smooth where the browser batches moves per frame.
      for (const e of event.getCoalescedEvents?.() ?? [event]) {
        const next = this.position(e);
        this.segment(this.last, next);
        this.last = next;
      }
    });
    const end = () => { this.last = null; };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
    this.clear();
  }

  /** Pointer position in canvas pixels (the canvas may be shown scaled). */
  position(event) {
    const box = this.canvas.getBoundingClientRect();
    return { x: ((event.clientX - box.left) * this.canvas.width) / box.width, y: ((event.clientY - box.top) * this.canvas.height) / box.height };
  }

  segment(from, to) {
    const c = this.context;
    c.strokeStyle = '#fff';
    c.lineWidth = STROKE_WIDTH;
    c.lineCap = 'round';
    c.lineJoin = 'round';
    c.beginPath();
    c.moveTo(from.x, from.y);
    c.lineTo(to.x, to.y);
    c.stroke();
    this.onChange();
  }

  clear() {
    this.context.fillStyle = '#000';
    this.context.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.onChange();
  }

  /** Ink per pixel, 0-1, [height * width]. */
  ink() {
    const { width, height } = this.canvas;
    const rgba = this.context.getImageData(0, 0, width, height).data;
    const ink = new Float32Array(width * height);
    for (let i = 0; i < ink.length; i++) ink[i] = rgba[4 * i] / 255;
    return ink;
  }
}

/**
 * MNIST's preprocessing applied to a drawing: crop to the ink, scale (area average, keeping the aspect
 * ratio) so the longer side is 20 px, and place it in a 28×28 image so its centre of mass is the centre.
 * Returns Float32Array [784] in 0-1, or null when nothing is drawn.
 */
export function toMnistPixels(ink, width, height) {
  let left = width, right = -1, top = height, bottom = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] > 0.1) {
        left = Math.min(left, x); right = Math.max(right, x);
        top = Math.min(top, y); bottom = Math.max(bottom, y);
      }
    }
  }
  if (right < 0) return null;
  const boxWidth = right - left + 1, boxHeight = bottom - top + 1;
  const scale = 20 / Math.max(boxWidth, boxHeight);
  const smallWidth = Math.max(1, Math.round(boxWidth * scale)), smallHeight = Math.max(1, Math.round(boxHeight * scale));

  // Each small pixel is the mean of the source pixels that fall into it.
  const small = new Float32Array(smallWidth * smallHeight);
  const counts = new Float32Array(smallWidth * smallHeight);
  for (let y = top; y <= bottom; y++) {
    const sy = Math.min(smallHeight - 1, Math.floor((y - top) * scale));
    for (let x = left; x <= right; x++) {
      const sx = Math.min(smallWidth - 1, Math.floor((x - left) * scale));
      small[sy * smallWidth + sx] += ink[y * width + x];
      counts[sy * smallWidth + sx] += 1;
    }
  }
  let mass = 0, massX = 0, massY = 0;
  for (let sy = 0; sy < smallHeight; sy++) {
    for (let sx = 0; sx < smallWidth; sx++) {
      const i = sy * smallWidth + sx;
      small[i] = counts[i] ? small[i] / counts[i] : 0;
      mass += small[i]; massX += small[i] * (sx + 0.5); massY += small[i] * (sy + 0.5);
    }
  }
  // Shift so the centre of mass lands on (14, 14), the middle of the 28×28 image.
  const offsetX = Math.round(14 - massX / mass), offsetY = Math.round(14 - massY / mass);
  const pixels = new Float32Array(784);
  for (let sy = 0; sy < smallHeight; sy++) {
    for (let sx = 0; sx < smallWidth; sx++) {
      const x = sx + offsetX, y = sy + offsetY;
      if (x >= 0 && x < 28 && y >= 0 && y < 28) pixels[y * 28 + x] = Math.min(1, small[sy * smallWidth + sx]);
    }
  }
  return pixels;
}

/** Shows 28×28 pixels (0-1) on a 28×28 canvas: what the network is given. */
export function showPixels(canvas, pixels) {
  const context = canvas.getContext('2d');
  const image = context.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = Math.round(255 * (pixels ? pixels[i] : 0));
    image.data.set([v, v, v, 255], 4 * i);
  }
  context.putImageData(image, 0, 0);
}
