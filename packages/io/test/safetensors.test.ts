import '@tsgrad/backend-cpu';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { Tensor, TsgradError, tensor } from '@tsgrad/core';
import { serialize, deserialize, readHeader, SafetensorsError } from '../src/index.js';
import { saveFileSync, loadFileSync, saveFile, loadFile, loadIntoModule } from '../src/node.js';
import { useTempDirs } from './tmp.js';

const enc = (s: string) => Array.from(new TextEncoder().encode(s));
const u64 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24, 0, 0, 0, 0];
/** A file by hand: the 8-byte length, the header padded with spaces to 8, the body. */
function file(header: string, body: number[] = [], pad = true): Uint8Array {
  const h = enc(header);
  while (pad && h.length % 8 !== 0) h.push(0x20);
  return Uint8Array.from([...u64(h.length), ...h, ...body]);
}
const bitsOf = (t: Tensor) => Array.from(new Uint8Array(t.rawDataSync().buffer));

describe('serialize: byte-identical to the Python safetensors library', () => {
  it('a 2-element F32 tensor, spelled out from the spec', () => {
    const bytes = serialize({ a: tensor([1, -2]) });
    // header JSON: {"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}} = 54 bytes, padded to 56
    const header = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    expect(header.length).toBe(54);
    const expected = [
      56, 0, 0, 0, 0, 0, 0, 0,
      ...enc(header), 0x20, 0x20,
      0x00, 0x00, 0x80, 0x3f, // 1.0f little-endian
      0x00, 0x00, 0x00, 0xc0, // -2.0f
    ];
    expect(Array.from(bytes)).toEqual(expected);
  });

  it('matches the Rust library\'s own test vector (attn.0, F32 [1,2,3], header of 64 bytes, no padding)', () => {
    const bytes = serialize({ 'attn.0': tensor([[[0, 1, 2], [3, 4, 5]]]) });
    const expected = [
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100, 116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112,
      101, 34, 58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0,
      0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ];
    expect(Array.from(bytes)).toEqual(expected);
  });

  it('an empty dict, with and without metadata (the Rust library\'s vectors)', () => {
    expect(Array.from(serialize({}))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    expect(Array.from(serialize({}, { framework: 'pt' }))).toEqual([
      40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95, 95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58,
      34, 112, 116, 34, 125, 125, 32, 32, 32, 32, 32,
    ]);
  });

  it('orders tensors by dtype alignment (F64, F32, I32, BOOL) then by name', () => {
    const bytes = serialize({
      flag: tensor([true, false]),
      b: tensor([1], { dtype: 'float32' }),
      a: tensor([2], { dtype: 'float32' }),
      idx: tensor([7], { dtype: 'int32' }),
      z: tensor([3], { dtype: 'float64' }),
    });
    const n = new DataView(bytes.buffer).getUint32(0, true);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n)).trimEnd();
    expect(text).toBe(
      '{"z":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},' +
        '"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]},"idx":{"dtype":"I32","shape":[1],"data_offsets":[16,20]},' +
        '"flag":{"dtype":"BOOL","shape":[2],"data_offsets":[20,22]}}',
    );
  });

  it('names sort by UTF-8 bytes (code points), not UTF-16 units', () => {
    const bytes = serialize({ '\u{1F600}': tensor([1]), '\uFF5E': tensor([2]) });
    const { tensors } = deserialize(bytes);
    const text = new TextDecoder().decode(bytes.subarray(8)).split('"dtype"')[0];
    expect(text.startsWith('{"\uFF5E"')).toBe(true);
    expect(Object.keys(tensors).sort()).toEqual(['\u{1F600}', '\uFF5E'].sort());
  });
});

describe('round trip', () => {
  it('is bit-exact for every dtype, NaN payloads and -0 included, with shapes kept', () => {
    const f32 = new Float32Array([0, -0, 1.5, -Infinity, Infinity, 3.4e38, 1e-45]);
    const f32bits = new Uint32Array(f32.buffer);
    const withNaN = new Float32Array(9);
    withNaN.set(f32);
    new Uint32Array(withNaN.buffer)[7] = 0x7fc00001; // a quiet NaN with a payload
    new Uint32Array(withNaN.buffer)[8] = 0xffa00000; // a negative NaN
    void f32bits;
    const f64 = new Float64Array([0, -0, Math.PI, -1e308, 5e-324, NaN]);
    new BigUint64Array(f64.buffer)[5] = 0x7ff8000000000abcn;
    const dict = {
      f32: tensor(withNaN, { shape: [3, 3] }),
      f64: tensor(f64, { shape: [2, 3] }),
      i32: tensor(new Int32Array([-2147483648, 2147483647, 0, -1]), { shape: [2, 2] }),
      bool: tensor([[true, false, true]]),
      scalar: tensor(5, { dtype: 'float64' }),
      empty: tensor(new Float32Array(0), { shape: [0, 4] }),
    };
    const { tensors, metadata } = deserialize(serialize(dict));
    expect(metadata).toBeNull();
    for (const [k, t] of Object.entries(dict)) {
      const back = tensors[k];
      expect(back.dtype).toBe(t.dtype);
      expect(back.shape).toEqual(t.shape);
      expect(bitsOf(back)).toEqual(bitsOf(t));
    }
    // Serialising what was read gives the same bytes again.
    expect(Array.from(serialize(tensors))).toEqual(Array.from(serialize(dict)));
  });

  it('keeps metadata and reads from an ArrayBuffer or an offset view', () => {
    const bytes = serialize({ w: tensor([1, 2]) }, { format: 'pt', note: 'é "quoted"\n' });
    const { metadata } = deserialize(bytes.slice().buffer);
    expect(metadata).toEqual({ format: 'pt', note: 'é "quoted"\n' });
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    expect(Array.from(deserialize(padded.subarray(3)).tensors.w.dataSync())).toEqual([1, 2]);
    expect(readHeader(bytes).tensors).toEqual({ w: { dtype: 'float32', shape: [2] } });
  });

  it('refuses to write what safetensors cannot hold', () => {
    expect(() => serialize({ __metadata__: tensor([1]) })).toThrow(/reserved/);
    expect(() => serialize({ a: tensor([1]) }, { n: 3 as unknown as string })).toThrow(/metadata "n" must be a string/);
    expect(() => serialize({ a: 3 as unknown as Tensor })).toThrow(/"a" is not a Tensor/);
  });
});

describe('refusals of bad files (each names the problem, and the tensor)', () => {
  const good = '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
  const body8 = [0, 0, 128, 63, 0, 0, 0, 64];
  const refuse = (bytes: Uint8Array, pattern: RegExp) => {
    expect(() => deserialize(bytes)).toThrow(SafetensorsError);
    expect(() => deserialize(bytes)).toThrow(pattern);
  };

  it('the hand-made good file loads', () => {
    expect(Array.from(deserialize(file(good, body8)).tensors.w.dataSync())).toEqual([1, 2]);
  });
  it('shorter than the length field', () => refuse(Uint8Array.from([1, 0, 0]), /truncated: it has 3 bytes/));
  it('a header cut short', () => refuse(file(good, body8).subarray(0, 30), /truncated: the header needs 56 bytes but only 22/));
  it('a body cut short', () => refuse(file(good, body8.slice(0, 5)), /tensor "w": data_offsets \[0, 8\] exceed the 5-byte body: the file is truncated/));
  it('trailing bytes', () => refuse(file(good, [...body8, 1, 2]), /body has 10 bytes but the tensors cover 8/));
  it('an oversized header length', () => {
    const b = new Uint8Array(16);
    new DataView(b.buffer).setUint32(0, 200_000_000, true);
    refuse(b, /200000000 bytes, above the 100000000-byte limit/);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setUint32(4, 1, true);
    refuse(huge, /above the 100000000-byte limit/);
  });
  it('a header that is not JSON, not an object, or not UTF-8', () => {
    refuse(file('{"w": nope}', []), /not valid JSON/);
    refuse(file('[1, 2, 3]', []), /must be a JSON object starting with "\{"/);
    const bad = file('{"\xff"}', []);
    bad[10] = 0xff;
    refuse(bad, /not valid UTF-8/);
  });
  it('an unsupported dtype', () => refuse(file('{"h":{"dtype":"U16","shape":[2],"data_offsets":[0,4]}}', [0, 0, 0, 0]), /tensor "h" has dtype U16, which tsgrad does not support/));
  it('a shape that does not match the byte length', () =>
    refuse(file('{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', body8), /tensor "w": shape \[3\] of F32 needs 12 bytes but data_offsets \[0, 8\] span 8/));
  it('overlapping offsets', () =>
    refuse(
      file('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', body8),
      /tensor "b": data_offsets \[4, 8\] overlap the previous tensor's data/,
    ));
  it('a gap between tensors', () =>
    refuse(
      file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}', [...body8, 0, 0, 0, 0]),
      /tensor "b": data_offsets \[8, 12\] leave a gap of 4 bytes after offset 4/,
    ));
  it('malformed entries', () => {
    refuse(file('{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}', body8), /tensor "w": "shape" must be an array of non-negative integers/);
    refuse(file('{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}', body8), /end before they begin/);
    refuse(file('{"w":{"shape":[2],"data_offsets":[0,8]}}', body8), /"dtype" is missing/);
    refuse(file('{"__metadata__":{"a":1}}', []), /"__metadata__" must be an object of string values/);
  });
  it('errors are TsgradErrors', () => {
    expect(() => deserialize(new Uint8Array(2))).toThrow(TsgradError);
  });
});

describe('Node files', () => {
  const tmpdir = useTempDirs();

  it('saveFile / loadFile round trip a dict and a module, with metadata', async () => {
    const dir = tmpdir();
    const f = path.join(dir, 'model.safetensors');
    await saveFile(f, { w: tensor([[1, 2], [3, 4]]), b: tensor([0.5]) }, { epoch: '3' });
    const { tensors, metadata } = await loadFile(f);
    expect(tensors.w.toArray()).toEqual([[1, 2], [3, 4]]);
    expect(metadata).toEqual({ epoch: '3' });
    expect(fs.readdirSync(dir)).toEqual(['model.safetensors']); // no temporary file left

    const module = {
      weight: tensor([1, 2, 3]),
      stateDict() {
        return { weight: this.weight };
      },
      // Copies, as Module.loadStateDict does: loadIntoModule frees the loaded tensors afterwards.
      loadStateDict(dict: Record<string, Tensor>) {
        this.weight.assign(dict.weight);
      },
    };
    saveFileSync(f, module);
    const target = { ...module, weight: tensor([0, 0, 0]) };
    await loadIntoModule(target, f);
    expect(Array.from(target.weight.dataSync())).toEqual([1, 2, 3]);
    expect(Array.from(loadFileSync(f).tensors.weight.dataSync())).toEqual([1, 2, 3]);
  });

  it('a failing write leaves the old file intact and no temporary file behind', () => {
    const dir = tmpdir();
    const f = path.join(dir, 'ckpt.safetensors');
    saveFileSync(f, { w: tensor([1, 2]) });
    const before = fs.readFileSync(f);
    let calls = 0;
    const realWrite = fs.writeSync;
    vi.spyOn(fs, 'writeSync').mockImplementation(((fd: number, buf: Uint8Array, offset: number, length: number) => {
      // Write part of the data, then fail as a full disk would.
      if (calls++ === 0) return realWrite(fd, buf, offset, Math.min(length, 10));
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    }) as typeof fs.writeSync);
    expect(() => saveFileSync(f, { w: tensor([9, 9, 9, 9]) })).toThrow(/ENOSPC/);
    vi.restoreAllMocks();
    expect(Buffer.compare(fs.readFileSync(f), before)).toBe(0);
    expect(fs.readdirSync(dir)).toEqual(['ckpt.safetensors']);
    expect(Array.from(loadFileSync(f).tensors.w.dataSync())).toEqual([1, 2]);
  });

  it('a failing rename also leaves the old file intact', () => {
    const dir = tmpdir();
    const f = path.join(dir, 'ckpt.safetensors');
    saveFileSync(f, { w: tensor([1, 2]) });
    vi.spyOn(fs, 'renameSync').mockImplementation(() => {
      throw new Error('EXDEV: rename failed');
    });
    expect(() => saveFileSync(f, { w: tensor([3]) })).toThrow(/EXDEV/);
    vi.restoreAllMocks();
    expect(Array.from(loadFileSync(f).tensors.w.dataSync())).toEqual([1, 2]);
    expect(fs.readdirSync(dir)).toEqual(['ckpt.safetensors']);
  });

  it('loading a bad file loads nothing into the module', async () => {
    const dir = tmpdir();
    const f = path.join(dir, 'bad.safetensors');
    fs.writeFileSync(f, file('{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', [0, 0, 0, 0, 0, 0, 0, 0]));
    const target = { calls: 0, loadStateDict() { this.calls++; } };
    await expect(loadIntoModule(target, f)).rejects.toThrow(/shape \[3\] of F32 needs 12 bytes/);
    expect(target.calls).toBe(0);
    expect(() => saveFileSync(path.join(dir, 'x'), tensor([1]) as never)).toThrow(/not a single Tensor/);
  });
});

describe('round trip property', () => {
  it('any dict of tensors of any dtype and shape comes back bit-exact', async () => {
    const fc = (await import('fast-check')).default;
    const dtypes = ['float32', 'float64', 'int32', 'bool', 'int64', 'float16', 'bfloat16'] as const;
    const entry = fc.record({
      dtype: fc.constantFrom(...dtypes),
      shape: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
      seed: fc.integer(),
    });
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }).filter((k) => k !== '__metadata__'), entry, { maxKeys: 5 }), (spec) => {
        const dict: Record<string, Tensor> = {};
        for (const [name, { dtype, shape, seed }] of Object.entries(spec)) {
          const n = shape.reduce((a, d) => a * d, 1);
          const bytes = new Uint8Array(n * { float32: 4, float64: 8, int32: 4, bool: 1, int64: 8, float16: 2, bfloat16: 2 }[dtype]);
          let s = seed >>> 0;
          for (let i = 0; i < bytes.length; i++) bytes[i] = (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24;
          // The storage dtypes take any bits: every int64, every float16/bfloat16 pattern (NaN payloads included).
          if (dtype === 'int64') dict[name] = Tensor.fromValues(new BigInt64Array(bytes.buffer), shape, dtype);
          else if (dtype === 'float16' || dtype === 'bfloat16') dict[name] = Tensor.fromValues(new Uint16Array(bytes.buffer), shape, dtype);
          else {
            const values =
              dtype === 'float32' ? new Float32Array(bytes.buffer) : dtype === 'float64' ? new Float64Array(bytes.buffer) : dtype === 'int32' ? new Int32Array(bytes.buffer) : bytes.map((b) => b & 1);
            dict[name] = tensor(values, { shape, dtype });
          }
        }
        const bytes = serialize(dict);
        const back = deserialize(bytes).tensors;
        expect(Object.keys(back).sort()).toEqual(Object.keys(dict).sort());
        for (const [k, t] of Object.entries(dict)) {
          expect(back[k].shape).toEqual(t.shape);
          expect(back[k].dtype).toBe(t.dtype);
          expect(bitsOf(back[k])).toEqual(bitsOf(t));
        }
        // The header (length field + JSON) keeps the data 8-byte aligned.
        expect(new DataView(bytes.buffer).getUint32(0, true) % 8).toBe(0);
      }),
      { numRuns: 100 },
    );
  });
});
