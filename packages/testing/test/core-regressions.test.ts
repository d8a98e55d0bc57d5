import '@tsgrad/backend-cpu';
import { describe, expect, it } from 'vitest';
import { gradcheck, indexSelect, tensor } from '@tsgrad/core';

// Minimal reproductions of bugs found in @tsgrad/core by this suite (see the package's report).
describe('core bugs found by the reference suite', () => {
  it('gradcheck fast mode accepts non-float inputs (gather indices), as full mode does', () => {
    const x = tensor([1, 2, 3], { dtype: 'float64' });
    const idx = tensor([0, 2], { dtype: 'int32' });
    expect(gradcheck((a, i) => indexSelect(a, i), [x, idx]).ok).toBe(true);
    // Fails: fast mode hands every input to vjp, which calls requiresGrad_() on the int32 indices.
    expect(gradcheck((a, i) => indexSelect(a, i), [x, idx], { fast: true }).ok).toBe(true);
  });

  it('an op on a disposed tensor names the op, whichever input was disposed', () => {
    const x = tensor([1, 2], { dtype: 'float64' });
    const y = tensor([1, 2], { dtype: 'float64' });
    y.dispose();
    expect(() => x.add(y)).toThrow(/^add: input 1/);
    // Fails: apply() reads inputs[0].backend before its disposal check, so the message is the
    // generic "Tensor N ... was disposed" without the op.
    expect(() => y.add(x)).toThrow(/^add: input 0/);
    expect(() => y.exp()).toThrow(/^exp: input 0/);
  });
});
