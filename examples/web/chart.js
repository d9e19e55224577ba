// A live training chart in plain SVG: loss (left axis) and accuracy (right axis, 0-1) per batch against
// the samples seen, with the x axis fixed to the whole run so the lines grow left to right.
const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 600, HEIGHT = 240;
const MARGIN = { left: 44, right: 40, top: 14, bottom: 30 };

function element(name, attributes, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

export class TrainingChart {
  constructor(svg) {
    this.svg = svg;
    this.reset(0);
  }

  /** Starts an empty chart for a run of `totalSamples` samples (epochs × training images). */
  reset(totalSamples) {
    this.totalSamples = totalSamples;
    this.points = [];   // { samples, loss, acc }
    this.epochEnds = [];
    this.draw();
  }

  add(samples, loss, acc) {
    this.points.push({ samples, loss, acc });
    this.scheduleDraw();
  }

  markEpoch(samples) {
    this.epochEnds.push(samples);
    this.scheduleDraw();
  }

  // Batches can arrive faster than frames; draw at most once a frame.
  scheduleDraw() {
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => { this.pending = 0; this.draw(); });
  }

  draw() {
    const { svg, points } = this;
    const plotWidth = WIDTH - MARGIN.left - MARGIN.right, plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
    // Loss axis: up to the largest loss seen, rounded up to a multiple of 0.4 so the 4 gridlines fall on tenths.
    const maxLoss = Math.max(0.4, 0.4 * Math.ceil(Math.max(0, ...points.map((p) => p.loss)) / 0.4));
    const x = (samples) => MARGIN.left + (plotWidth * samples) / this.totalSamples;
    const yLoss = (loss) => MARGIN.top + plotHeight * (1 - loss / maxLoss);
    const yAcc = (acc) => MARGIN.top + plotHeight * (1 - acc);
    svg.replaceChildren();
    for (let i = 0; i <= 4; i++) {
      const y = MARGIN.top + (plotHeight * i) / 4;
      svg.append(
        element('line', { class: 'grid', x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y, y2: y }),
        element('text', { x: MARGIN.left - 6, y: y + 4, 'text-anchor': 'end' }, (maxLoss * (1 - i / 4)).toFixed(1)),
        element('text', { x: WIDTH - MARGIN.right + 6, y: y + 4 }, (1 - i / 4).toFixed(2)),
      );
    }
    for (const samples of this.epochEnds) {
      svg.append(element('line', { class: 'grid', x1: x(samples), x2: x(samples), y1: MARGIN.top, y2: HEIGHT - MARGIN.bottom, 'stroke-dasharray': '3 3' }));
    }
    svg.append(
      element('text', { x: MARGIN.left, y: HEIGHT - 8 }, '0'),
      element('text', { x: WIDTH - MARGIN.right, y: HEIGHT - 8, 'text-anchor': 'end' }, this.totalSamples ? `${this.totalSamples.toLocaleString('en-US')} samples` : 'samples seen'),
      // style, not the fill attribute: the stylesheet's text colour would win over a presentation attribute.
      element('text', { x: WIDTH / 2 - 10, y: HEIGHT - 8, 'text-anchor': 'end', style: 'fill: var(--accent)' }, '— loss (left axis)'),
      element('text', { x: WIDTH / 2 + 10, y: HEIGHT - 8, style: 'fill: var(--accent2)' }, '— accuracy (right axis)'),
    );
    if (points.length === 0) return;
    const line = (y, key) => points.map((p) => `${x(p.samples).toFixed(1)},${y(p[key]).toFixed(1)}`).join(' ');
    svg.append(
      element('polyline', { class: 'loss', points: line(yLoss, 'loss'), 'data-points': points.length }),
      element('polyline', { class: 'acc', points: line(yAcc, 'acc') }),
    );
  }
}
