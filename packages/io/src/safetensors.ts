import { Tensor, DTypeError, ValueError, getBackend, type DType, type StorageArray } from '@tsgrad/core';

/** Raised for a file that is not a well-formed safetensors file; nothing is loaded. */
export class SafetensorsError extends ValueError {
  override name = 'SafetensorsError';
}

/**
 * The safetensors dtype names of tsgrad's dtypes (every one has its own): F16 and BF16 hold the
 * IEEE 754 binary16 / bfloat16 bits, I64 the exact integers, as PyTorch writes them.
 */
export const SAFETENSORS_DTYPES: Readonly<Record<DType, string>> = {
  float32: 'F32',
  float64: 'F64',
  float16: 'F16',
  bfloat16: 'BF16',
  int32: 'I32',
  int64: 'I64',
  bool: 'BOOL',
};
const FROM_SAFETENSORS: Readonly<Record<string, DType>> = Object.fromEntries(Object.entries(SAFETENSORS_DTYPES).map(([d, st]) => [st, d as DType]));
/**
 * Position in the Rust library's Dtype enum (increasing alignment: BOOL, U8, I8, F8_E5M2, F8_E4M3,
 * I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64), which orders the tensors of a file.
 */
const DTYPE_RANK: Readonly<Record<DType, number>> = { bool: 0, float16: 7, bfloat16: 8, int32: 9, float32: 11, float64: 12, int64: 13 };
const BYTES: Readonly<Record<DType, number>> = { bool: 1, float16: 2, bfloat16: 2, int32: 4, float32: 4, float64: 8, int64: 8 };

/** The Rust library refuses headers above 100 MB; so does tsgrad. */
export const MAX_HEADER_BYTES = 100_000_000;

export type Metadata = Record<string, string>;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Compares by Unicode code point, which is the UTF-8 byte order Rust's str::cmp uses. */
function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx - cy;
  }
}

function toLittleEndianBytes(values: StorageArray): Uint8Array {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (LITTLE_ENDIAN || values.BYTES_PER_ELEMENT === 1) return bytes;
  const out = new Uint8Array(bytes.length);
  const w = values.BYTES_PER_ELEMENT;
  for (let i = 0; i < bytes.length; i += w) for (let j = 0; j < w; j++) out[i + j] = bytes[i + w - 1 - j];
  return out;
}

function fromLittleEndianBytes(bytes: Uint8Array, dtype: DType): StorageArray {
  // A fresh, aligned buffer that the tensor then owns (Buffer#slice would share memory, so copy
  // through the constructor).
  const copy = new Uint8Array(bytes);
  const w = BYTES[dtype];
  if (!LITTLE_ENDIAN && w > 1) {
    for (let i = 0; i < copy.length; i += w) copy.subarray(i, i + w).reverse();
  }
  switch (dtype) {
    case 'float32':
      return new Float32Array(copy.buffer, 0, copy.length / 4);
    case 'float64':
      return new Float64Array(copy.buffer, 0, copy.length / 8);
    case 'int32':
      return new Int32Array(copy.buffer, 0, copy.length / 4);
    case 'int64':
      return new BigInt64Array(copy.buffer, 0, copy.length / 8);
    case 'float16':
    case 'bfloat16':
      // The bits as they are: tsgrad stores both as a Uint16Array of IEEE 754 / bfloat16 patterns.
      return new Uint16Array(copy.buffer, 0, copy.length / 2);
    case 'bool':
      // Any non-zero byte is true (as torch reads it); tsgrad stores bools as 0/1.
      for (let i = 0; i < copy.length; i++) copy[i] = copy[i] !== 0 ? 1 : 0;
      return copy;
  }
}

function checkMetadata(where: string, metadata: unknown): Metadata | null {
  if (metadata === undefined || metadata === null) return null;
  if (typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw new ValueError(`${where}: metadata must be an object of string values, got ${Array.isArray(metadata) ? 'an array' : typeof metadata}.`);
  }
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new ValueError(`${where}: metadata "${k}" must be a string (safetensors stores only strings), got ${typeof v}.`);
  }
  return metadata as Metadata;
}

/**
 * Encodes tensors in the safetensors format, byte for byte as the Python `safetensors` library
 * writes the same dict: tensors ordered by dtype alignment (largest first) then name, a compact
 * JSON header (metadata first) padded with spaces to a multiple of 8, then the raw
 * little-endian data. Metadata keys are written in sorted order.
 */
export function serialize(dict: Record<string, Tensor> | Map<string, Tensor>, metadata?: Metadata | null): Uint8Array {
  const meta = checkMetadata('serialize', metadata);
  const entries = dict instanceof Map ? [...dict.entries()] : Object.entries(dict ?? {});
  for (const [name, t] of entries) {
    if (!(t instanceof Tensor)) throw new ValueError(`serialize: "${name}" is not a Tensor.`);
    if (name === '__metadata__') throw new ValueError('serialize: "__metadata__" is reserved for the metadata; rename that tensor.');
    if (!(t.dtype in SAFETENSORS_DTYPES)) throw new DTypeError(`serialize: tensor "${name}" has dtype ${t.dtype}, which safetensors cannot store here.`);
  }
  entries.sort(([na, a], [nb, b]) => DTYPE_RANK[b.dtype] - DTYPE_RANK[a.dtype] || compareCodePoints(na, nb));
  const parts: string[] = [];
  if (meta) {
    const keys = Object.keys(meta).sort(compareCodePoints);
    parts.push(`"__metadata__":{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(meta[k])}`).join(',')}}`);
  }
  const datas: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of entries) {
    const data = toLittleEndianBytes(t.rawDataSync());
    datas.push(data);
    parts.push(
      `${JSON.stringify(name)}:{"dtype":"${SAFETENSORS_DTYPES[t.dtype]}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${offset + data.length}]}`,
    );
    offset += data.length;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLength, true);
  view.setUint32(4, Math.floor(headerLength / 2 ** 32), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const d of datas) {
    out.set(d, at);
    at += d.length;
  }
  return out;
}

export interface DeserializeOptions {
  /** Backend for the tensors (the current one by default). */
  backend?: string;
}

export interface Deserialized {
  tensors: Record<string, Tensor>;
  /** The header's "__metadata__", or null when there is none. */
  metadata: Metadata | null;
}

interface Entry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

const fail = (msg: string): never => {
  throw new SafetensorsError(`safetensors: ${msg}`);
};

/** Reads and checks the header; returns the entries (sorted by offset) and the body's start. */
function parseHeader(bytes: Uint8Array): { entries: Entry[]; metadata: Metadata | null; bodyStart: number } {
  if (bytes.length < 8) fail(`the file is truncated: it has ${bytes.length} bytes, fewer than the 8-byte header length.`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (n > MAX_HEADER_BYTES) fail(`the header length field says ${n} bytes, above the ${MAX_HEADER_BYTES}-byte limit: this is not a safetensors file, or it is corrupted.`);
  if (8 + n > bytes.length) fail(`the file is truncated: the header needs ${n} bytes but only ${bytes.length - 8} follow the length field.`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    return fail('the header is not valid UTF-8.');
  }
  if (!text.startsWith('{')) fail(`the header must be a JSON object starting with "{", it starts with ${JSON.stringify(text.slice(0, 16))}.`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return fail(`the header is not valid JSON (${(e as Error).message}).`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) return fail('the header is not a JSON object.');
  let metadata: Metadata | null = null;
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (info === null || typeof info !== 'object' || Array.isArray(info) || Object.values(info).some((v) => typeof v !== 'string')) {
        fail('"__metadata__" must be an object of string values.');
      }
      metadata = info as Metadata;
      continue;
    }
    const t = `tensor "${name}"`;
    if (info === null || typeof info !== 'object' || Array.isArray(info)) fail(`${t}: its header entry is not an object.`);
    const { dtype, shape, data_offsets: offsets } = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== 'string') return fail(`${t}: "dtype" is missing or not a string.`);
    const ours = FROM_SAFETENSORS[dtype];
    if (!ours) fail(`${t} has dtype ${dtype}, which tsgrad does not support; supported: ${Object.keys(FROM_SAFETENSORS).join(', ')} (convert it in Python first, e.g. t.float()).`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`${t}: "shape" must be an array of non-negative integers, got ${JSON.stringify(shape)}.`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(`${t}: "data_offsets" must be [begin, end] of non-negative integers, got ${JSON.stringify(offsets)}.`);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) fail(`${t}: data_offsets [${begin}, ${end}] end before they begin.`);
    const s = shape as number[];
    const numel = s.reduce((a, d) => a * d, 1);
    const need = numel * BYTES[ours];
    if (!Number.isSafeInteger(need)) fail(`${t}: shape [${s.join(', ')}] is too large.`);
    if (end - begin !== need) {
      fail(`${t}: shape [${s.join(', ')}] of ${dtype} needs ${need} bytes but data_offsets [${begin}, ${end}] span ${end - begin}; the shape does not match the data.`);
    }
    entries.push({ name, dtype: ours, shape: s, begin, end });
  }
  const bodyStart = 8 + n;
  const bodyLength = bytes.length - bodyStart;
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of entries) {
    if (e.begin < at) fail(`tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] overlap the previous tensor's data (which ends at ${at}).`);
    if (e.begin > at) fail(`tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] leave a gap of ${e.begin - at} bytes after offset ${at}.`);
    if (e.end > bodyLength) fail(`tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] exceed the ${bodyLength}-byte body: the file is truncated.`);
    at = e.end;
  }
  if (at !== bodyLength) fail(`the body has ${bodyLength} bytes but the tensors cover ${at}: ${bodyLength - at} unexplained bytes at the end.`);
  return { entries, metadata, bodyStart };
}

/** A plain Uint8Array view (a Node Buffer's methods differ from Uint8Array's). */
function asBytes(data: Uint8Array | ArrayBuffer): Uint8Array {
  if (data instanceof Uint8Array) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return fail('expected the file as a Uint8Array or an ArrayBuffer.');
}

/**
 * Decodes a safetensors file. Every check (header, dtypes, shapes, offsets) runs before any
 * tensor is made, so a bad file loads nothing. Works in browsers (no Node imports).
 *
 * Dtypes: F32, F64, I32, BOOL, and I64, F16, BF16 (what PyTorch writes for BatchNorm's
 * `num_batches_tracked` and half-precision models) as tsgrad's int64, float16 and bfloat16,
 * exactly. Those three are storage dtypes (cast them, e.g. to float32, before arithmetic;
 * Module.loadStateDict casts to each parameter's dtype); a backend that cannot store them
 * (TensorFlow.js) refuses them with a DTypeError: load with `{ backend: 'cpu' }` then.
 * @throws SafetensorsError for a malformed file or another dtype (U8, F8_E4M3...).
 */
export function deserialize(data: Uint8Array | ArrayBuffer, options: DeserializeOptions = {}): Deserialized {
  const bytes = asBytes(data);
  const { entries, metadata, bodyStart } = parseHeader(bytes);
  const backend = getBackend(options.backend);
  const tensors: Record<string, Tensor> = {};
  try {
    for (const e of entries) {
      tensors[e.name] = Tensor.fromValues(fromLittleEndianBytes(bytes.subarray(bodyStart + e.begin, bodyStart + e.end), e.dtype), e.shape, e.dtype, backend);
    }
  } catch (err) {
    // A backend that cannot store a dtype (TensorFlow.js and int64, float16, bfloat16) refuses it:
    // free what was made, so a refused file loads nothing.
    for (const t of Object.values(tensors)) t.dispose();
    throw err;
  }
  return { tensors, metadata };
}

/** The header alone: names, dtypes and shapes, without reading the data. */
export function readHeader(data: Uint8Array | ArrayBuffer): { metadata: Metadata | null; tensors: Record<string, { dtype: DType; shape: number[] }> } {
  const { entries, metadata } = parseHeader(asBytes(data));
  return { metadata, tensors: Object.fromEntries(entries.map((e) => [e.name, { dtype: e.dtype, shape: e.shape }])) };
}
