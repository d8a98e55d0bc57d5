/**
 * A drawing turned into an MNIST digit, as the MNIST digits were made (LeCun et al., "The MNIST
 * database of handwritten digits"): the ink's bounding box scaled, keeping its aspect ratio, to
 * fit a 20x20 box (area-averaged, so strokes keep grey anti-aliased edges), then placed in a 28x28
 * field so that the centre of mass of the ink lands on the field's centre (as near as the box
 * allows without leaving the field). Pure functions: the
 * page feeds them the canvas' pixels, the tests feed them arrays.
 */
export const SIDE = 28;
export const BOX = 20;

/** Ink in [0, 1] from RGBA pixels of light strokes on black: the red channel. */
export function inkFromRgba(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number): Float32Array {
  const ink = new Float32Array(width * height);
  for (let i = 0; i < ink.length; i++) ink[i] = rgba[4 * i]! / 255;
  return ink;
}

/**
 * Area-averaged resampling of `n` cells to `m` (1-D): target cell j covers source [j/s, (j+1)/s)
 * with s = m / n. A row or column of constant ink keeps its value.
 */
function resample1d(n: number, m: number): { from: number; to: number; weights: number[] }[] {
  const s = m / n;
  return Array.from({ length: m }, (_, j) => {
    const lo = j / s;
    const hi = Math.min(n, (j + 1) / s);
    const from = Math.floor(lo);
    const to = Math.min(n, Math.ceil(hi));
    const weights: number[] = [];
    for (let i = from; i < to; i++) weights.push((Math.min(hi, i + 1) - Math.max(lo, i)) * s);
    return { from, to, weights };
  });
}

/**
 * The 28x28 MNIST-style image (row-major, values in [0, 1]) of an ink array `width` x `height`;
 * null when there is no ink. The longer side of the ink's bounding box becomes 20 pixels; the
 * shift that centres the mass stops where the box would leave the 28x28 field.
 */
export function toMnist(ink: Float32Array, width: number, height: number, threshold = 0.05): Float32Array | null {
  let top = height, bottom = -1, left = width, right = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x]! > threshold) {
        top = Math.min(top, y); bottom = Math.max(bottom, y);
        left = Math.min(left, x); right = Math.max(right, x);
      }
    }
  }
  if (bottom < 0) return null;
  const w = right - left + 1;
  const h = bottom - top + 1;
  const scale = BOX / Math.max(w, h);
  const tw = Math.max(1, Math.round(w * scale));
  const th = Math.max(1, Math.round(h * scale));
  // Separable area averaging: rows, then columns.
  const cols = resample1d(w, tw);
  const rows = resample1d(h, th);
  const across = new Float32Array(h * tw);
  for (let y = 0; y < h; y++) {
    for (let j = 0; j < tw; j++) {
      const c = cols[j]!;
      let v = 0;
      for (let i = c.from; i < c.to; i++) v += c.weights[i - c.from]! * ink[(top + y) * width + left + i]!;
      across[y * tw + j] = v;
    }
  }
  const box = new Float32Array(th * tw);
  for (let k = 0; k < th; k++) {
    const r = rows[k]!;
    for (let j = 0; j < tw; j++) {
      let v = 0;
      for (let i = r.from; i < r.to; i++) v += r.weights[i - r.from]! * across[i * tw + j]!;
      box[k * tw + j] = Math.min(1, v);
    }
  }
  // Centre of mass of the box (pixel centres at index + 0.5), moved to the field's centre (14, 14).
  let mass = 0, cx = 0, cy = 0;
  for (let k = 0; k < th; k++) {
    for (let j = 0; j < tw; j++) {
      const v = box[k * tw + j]!;
      mass += v; cx += v * (j + 0.5); cy += v * (k + 0.5);
    }
  }
  // MNIST's own shift can push a lopsided digit (a heavy base) past the edge; here it stops at the
  // edge instead, so no ink is cut off.
  const dx = Math.min(SIDE - tw, Math.max(0, Math.round(SIDE / 2 - cx / mass)));
  const dy = Math.min(SIDE - th, Math.max(0, Math.round(SIDE / 2 - cy / mass)));
  const out = new Float32Array(SIDE * SIDE);
  for (let k = 0; k < th; k++) out.set(box.subarray(k * tw, (k + 1) * tw), (k + dy) * SIDE + dx);
  return out;
}
