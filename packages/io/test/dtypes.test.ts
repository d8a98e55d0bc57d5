import '@tsgrad/backend-cpu';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tensor, tensor, type DType } from '@tsgrad/core';
import { nn } from 'tsgrad';
import { deserialize, readHeader, serialize, SAFETENSORS_DTYPES } from '../src/index.js';
import { loadFileSync, loadIntoModuleSync, saveFileSync } from '../src/node.js';
import { useTempDirs } from './tmp.js';

/**
 * I64, F16 and BF16 (with F32, F64, I32 and BOOL) against a file PyTorch 1.13 made:
 * fixtures/torch-dtypes.safetensors and its exact values fixtures/torch-dtypes.json, both written
 * by fixtures/safetensors_dtypes.py, which lays the file out as the `safetensors` library does
 * (safetensors/src/tensor.rs) and reads it back with torch.frombuffer. A BatchNorm1d's state dict
 * is in it, `num_batches_tracked` as I64.
 */
interface Entry {
  dtype: string;
  shape: number[];
  values: (number | string | boolean)[];
  bits?: number[];
}
interface Fixture {
  source: string;
  metadata: Record<string, string>;
  order: string[];
  tensors: Record<string, Entry>;
}
const fixtures = new URL('./fixtures/', import.meta.url);
const fx = JSON.parse(fs.readFileSync(new URL('torch-dtypes.json', fixtures), 'utf8')) as Fixture;
const torchFile = new Uint8Array(fs.readFileSync(new URL('torch-dtypes.safetensors', fixtures)));
const DTYPE: Record<string, DType> = { I64: 'int64', F16: 'float16', BF16: 'bfloat16', F32: 'float32', F64: 'float64', I32: 'int32', BOOL: 'bool' };
const num = (v: number | string | boolean) => (v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v);
const raw = (t: Tensor) => Array.from(t.rawDataSync() as ArrayLike<number | bigint>);

/** The expected tensor, built in tsgrad from the JSON's values (not from the file). */
function expectedTensor(e: Entry): Tensor {
  const dtype = DTYPE[e.dtype];
  switch (dtype) {
    case 'int64':
      return Tensor.fromValues(BigInt64Array.from(e.values as string[], BigInt), e.shape, dtype);
    case 'float16':
    case 'bfloat16':
      // From the values PyTorch reads, rounded by tsgrad: each is exactly representable, so the bits must come out unchanged.
      return tensor(e.values.map(num) as number[], { dtype }).reshape(e.shape);
    case 'bool':
      return tensor(e.values as boolean[], { dtype }).reshape(e.shape);
    default:
      return tensor(e.values.map(num) as number[], { dtype }).reshape(e.shape);
  }
}

describe(`safetensors I64, F16, BF16 against ${fx.source}`, () => {
  it('loads every tensor of the PyTorch file with its dtype, shape and exact values', () => {
    const { tensors, metadata } = deserialize(torchFile);
    expect(metadata).toEqual(fx.metadata);
    expect(Object.keys(tensors).sort()).toEqual([...fx.order].sort());
    for (const [name, e] of Object.entries(fx.tensors)) {
      const t = tensors[name];
      expect([name, t.dtype, t.shape]).toEqual([name, DTYPE[e.dtype], e.shape]);
      if (e.dtype === 'I64') expect([name, raw(t)]).toEqual([name, e.values.map((v) => BigInt(v as string))]);
      else if (e.bits) {
        expect([name, raw(t)]).toEqual([name, e.bits]);
        expect([name, Array.from(t.dataSync())]).toEqual([name, e.values.map(num)]);
      } else expect([name, t.toArray()]).toEqual([name, expectedTensor(e).toArray()]);
    }
    // int64 beyond 2^53 stays exact; reading it as numbers is refused rather than rounded.
    expect(raw(tensors['int64.edges'])).toEqual([9007199254740993n, -(2n ** 63n), 2n ** 63n - 1n, 0n]);
    expect(() => tensors['int64.edges'].toArray()).toThrow(/rawDataSync/);
    expect(tensors['bn.num_batches_tracked'].item()).toBe(2);
  });

  it('writes the same bytes PyTorch\'s layout has, from the loaded tensors and from tensors made in tsgrad', () => {
    const { tensors } = deserialize(torchFile);
    // Given in another order: serialize orders by dtype (the Rust enum, largest first), then name.
    const shuffled = Object.fromEntries(Object.entries(tensors).reverse());
    expect(Buffer.from(serialize(shuffled, fx.metadata)).equals(Buffer.from(torchFile))).toBe(true);
    const made = Object.fromEntries(Object.entries(fx.tensors).map(([n, e]) => [n, expectedTensor(e)]));
    expect(Buffer.from(serialize(made, fx.metadata)).equals(Buffer.from(torchFile))).toBe(true);
  });

  it('lays I64, F16 and BF16 out per the spec: header, offsets, dtype order, little-endian data', () => {
    // The format (github.com/huggingface/safetensors): u64 little-endian header size N, N bytes of
    // JSON padded with spaces, then the data; data_offsets are relative to the byte after the header.
    const dict = {
      a: tensor([2n ** 62n + 1n, -3n]),
      b: tensor([1.5, -0.25], { dtype: 'float16' }),
      c: tensor([1.5, -0.25], { dtype: 'bfloat16' }),
      d: tensor([7], { dtype: 'int32' }),
    };
    const bytes = serialize(dict);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const n = Number(view.getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
    // I64 (enum 13) first, then I32 (9), BF16 (8), F16 (7).
    expect(Object.entries(header).map(([k, v]) => [k, v.dtype, v.shape, v.data_offsets])).toEqual([
      ['a', 'I64', [2], [0, 16]],
      ['d', 'I32', [1], [16, 20]],
      ['c', 'BF16', [2], [20, 24]],
      ['b', 'F16', [2], [24, 28]],
    ]);
    const at = 8 + n;
    expect([view.getBigInt64(at, true), view.getBigInt64(at + 8, true)]).toEqual([2n ** 62n + 1n, -3n]);
    // 1.5 and -0.25: float16 0x3E00, 0xB400; bfloat16 0x3FC0, 0xBE80 (IEEE 754 binary16; bfloat16 = the top half of binary32).
    expect([view.getUint16(at + 20, true), view.getUint16(at + 22, true)]).toEqual([0x3fc0, 0xbe80]);
    expect([view.getUint16(at + 24, true), view.getUint16(at + 26, true)]).toEqual([0x3e00, 0xb400]);
    expect(bytes.length).toBe(at + 28);
    expect(readHeader(bytes).tensors).toEqual({ a: { dtype: 'int64', shape: [2] }, b: { dtype: 'float16', shape: [2] }, c: { dtype: 'bfloat16', shape: [2] }, d: { dtype: 'int32', shape: [1] } });
    expect(SAFETENSORS_DTYPES).toEqual({ float32: 'F32', float64: 'F64', float16: 'F16', bfloat16: 'BF16', int32: 'I32', int64: 'I64', bool: 'BOOL' });
  });

  it('loads PyTorch\'s BatchNorm1d state dict, num_batches_tracked (I64) included, and its half-precision weights', () => {
    const { tensors } = deserialize(torchFile);
    const state = Object.fromEntries(Object.entries(tensors).filter(([k]) => k.startsWith('bn.')).map(([k, v]) => [k.slice(3), v]));
    const bn = new nn.BatchNorm1d(3);
    bn.loadStateDict(state);
    expect(bn.numBatchesTracked?.item()).toBe(2);
    for (const k of ['weight', 'bias', 'running_mean', 'running_var'] as const) {
      const got = (bn as unknown as Record<string, Tensor>)[k];
      expect([k, Array.from(got.dataSync())]).toEqual([k, fx.tensors[`bn.${k}`].values]);
    }
    // A float16 / bfloat16 checkpoint into float32 parameters: loadStateDict casts, exactly.
    bn.loadStateDict({ ...state, weight: tensors['half.weight'], running_var: tensors['half.running_var'] });
    expect(Array.from(bn.weight!.dataSync())).toEqual(fx.tensors['half.weight'].values);
    expect(Array.from(bn.runningVar!.dataSync())).toEqual(fx.tensors['half.running_var'].values);
    bn.loadStateDict({ ...state, weight: tensors['bf16.weight'], running_mean: tensors['bf16.running_mean'] });
    expect(Array.from(bn.weight!.dataSync())).toEqual(fx.tensors['bf16.weight'].values);
    expect(Array.from(bn.runningMean!.dataSync())).toEqual(fx.tensors['bf16.running_mean'].values);
  });

  const tempDir = useTempDirs();
  it('a file with every dtype round-trips through saveFile and loadFile, and into a module', () => {
    const file = path.join(tempDir(), 'all.safetensors');
    const { tensors } = deserialize(torchFile);
    saveFileSync(file, tensors, fx.metadata);
    expect(Buffer.from(fs.readFileSync(file)).equals(Buffer.from(torchFile))).toBe(true);
    const back = loadFileSync(file).tensors;
    for (const name of fx.order) expect([name, back[name].dtype, raw(back[name])]).toEqual([name, tensors[name].dtype, raw(tensors[name])]);
    // PyTorch's BatchNorm keys only, saved from tsgrad with num_batches_tracked as int64, loaded into a module.
    const bnFile = path.join(tempDir(), 'bn.safetensors');
    saveFileSync(bnFile, Object.fromEntries(Object.entries(tensors).filter(([k]) => k.startsWith('bn.')).map(([k, v]) => [k.slice(3), v])));
    expect(readHeader(fs.readFileSync(bnFile)).tensors.num_batches_tracked).toEqual({ dtype: 'int64', shape: [] });
    const bn = new nn.BatchNorm1d(3);
    loadIntoModuleSync(bn, bnFile);
    expect(bn.numBatchesTracked?.item()).toBe(2);
  });
});
