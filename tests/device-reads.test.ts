// Issue 9 (Engine): nothing in a hot path reads device data back. Guards that read values (index
// ranges, class targets) run where a read is a memory copy (cpu, wasm: `hostResident`) and, on a
// device backend, only in debug mode. Checked on a stand-in device backend: the CPU backend under
// another name with `hostResident` off and every synchronous read counted.
import { afterEach, describe, expect, it } from 'vitest';
import { createCpuBackend } from '@tsgrad/backend-cpu';
import { F, ValueError, nn, oneHot, registerBackend, setDebugMode, tensor, type Backend } from 'tsgrad';

const { crossEntropyLoss, nllLoss } = F;
const { Embedding } = nn;

let reads = 0;
registerBackend('device-like', () => {
  const b = createCpuBackend('device-like') as Backend & { hostResident?: boolean };
  Object.defineProperty(b, 'hostResident', { value: false });
  const readSync = b.readSync!.bind(b);
  b.readSync = (...args: Parameters<typeof readSync>) => {
    reads++;
    return readSync(...args);
  };
  return b;
});
const on = { backend: 'device-like' } as const;

afterEach(() => setDebugMode(false));

describe('guards that read values, on a device backend', () => {
  it('crossEntropyLoss and nllLoss read nothing back, and give the values the host check would allow', async () => {
    const scores = tensor([[1, 2, 3], [0.5, -1, 2]], on);
    const target = tensor([2, 0], { ...on, dtype: 'int32' });
    reads = 0;
    const ce = crossEntropyLoss(scores, target);
    const nll = nllLoss(scores.logSoftmax(1), target, { ignoreIndex: 0 });
    expect(reads).toBe(0);
    // PyTorch's definition: mean over rows of logsumexp(row) - row[target].
    const lse = (r: number[]) => Math.log(r.reduce((s, v) => s + Math.exp(v), 0));
    const expected = (lse([1, 2, 3]) - 3 + lse([0.5, -1, 2]) - 0.5) / 2;
    expect((await ce.data())[0]).toBeCloseTo(expected, 6);
    // ignoreIndex 0 drops the second row: the loss is the first row's alone.
    expect((await nll.data())[0]).toBeCloseTo(lse([1, 2, 3]) - 3, 6);
  });

  it('check out-of-range targets and indices only in debug mode there', () => {
    const scores = tensor([[1, 2, 3]], on);
    const bad = tensor([7], { ...on, dtype: 'int32' });
    const emb = new Embedding(3, 2).to('device-like');
    // Without debug mode the guards read nothing; what the index gives is the kernel's business
    // (this stand-in's kernels are the CPU's, which refuse it themselves, as "gather").
    const messageOf = (f: () => unknown) => {
      try {
        f();
        return '';
      } catch (e) {
        return (e as Error).message;
      }
    };
    reads = 0;
    expect(messageOf(() => crossEntropyLoss(scores, bad))).not.toMatch(/target class/);
    expect(messageOf(() => oneHot(bad, 3))).not.toMatch(/oneHot/);
    expect(messageOf(() => emb.call(bad))).not.toMatch(/Embedding/);
    expect(reads).toBe(0);
    setDebugMode(true);
    expect(() => crossEntropyLoss(scores, bad)).toThrow(ValueError);
    expect(() => crossEntropyLoss(scores, bad)).toThrow(/target class 7 at position 0 is out of range for 3 classes/);
    expect(() => oneHot(bad, 3)).toThrow(/oneHot: indices must lie in \[0, 2\], got 7/);
    expect(() => emb.call(bad)).toThrow(/Embedding/);
  });

  it('still check on host-resident backends (cpu), where a read is a copy', () => {
    const bad = tensor([7], { dtype: 'int32' });
    expect(() => crossEntropyLoss(tensor([[1, 2, 3]]), bad)).toThrow(/out of range for 3 classes/);
    expect(() => oneHot(bad, 3)).toThrow(ValueError);
    expect(() => new Embedding(3, 2).call(bad)).toThrow(/Embedding/);
  });
});
