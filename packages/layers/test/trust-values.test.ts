/**
 * Issue 8, fault 9 in the layers: arguments are refused with an error naming the layer and the
 * fix, never coerced or passed through.
 */
import '@tsgrad/backend-cpu';
import { describe, expect, it } from 'vitest';
import { DTypeError, DisposedError, ValueError, tensor } from '@tsgrad/core';
import { Dropout, Flatten, Linear, init } from '@tsgrad/layers';

describe('layers refuse bad arguments', () => {
  it('Linear asks to cast an int32 input, not its parameters', () => {
    const layer = new Linear(2, 1);
    const x = tensor([[1, 2]], { dtype: 'int32' });
    expect(() => layer.call(x)).toThrow(DTypeError);
    expect(() => layer.call(x)).toThrow(/Linear\(inFeatures=2, outFeatures=1\): the input is int32 but the parameters are float32; cast the input with x\.cast\("float32"\)/);
    // The suggested fix works: y = x Wᵀ + b.
    const y = layer.call(x.cast('float32'));
    const w = layer.weight.dataSync();
    const b = layer.bias!.dataSync();
    expect(y.dataSync()[0]).toBeCloseTo(w[0] + 2 * w[1] + b[0], 6);
    expect(() => new Linear(2, 1, { bias: 'no' as never })).toThrow(/Linear: options.bias must be true or false/);
  });

  it('Dropout and Flatten check their input even when they would return it unchanged', () => {
    const d = new Dropout(0.5);
    d.eval();
    expect(() => d.call('abc' as never)).toThrow(/Dropout: the input must be a Tensor/);
    const gone = tensor([1]);
    gone.dispose();
    expect(() => d.call(gone)).toThrow(DisposedError);
    d.train();
    expect(() => d.call(tensor([1, 2], { dtype: 'int32' }))).toThrow(/Dropout: the input is int32/);
    expect(() => new Flatten(1.5)).toThrow(/Flatten: startDim must be an integer/);
    // PyTorch: nn.Flatten()(torch.tensor(3.)) raises "Dimension out of range".
    expect(() => new Flatten().call(tensor(3))).toThrow(/flatten: axis 1 is out of range for a tensor of rank 0/);
  });

  it('init functions name themselves', () => {
    expect(init.ones_(tensor([false, false])).toArray()).toEqual([true, true]);
    expect(() => init.constant_(tensor([1], { dtype: 'int32' }), 3e9)).toThrow(/constant_: the value is 3000000000, outside int32's range/);
    expect(() => init.zeros_('x' as never)).toThrow(/zeros_: the tensor to initialise must be a Tensor/);
    expect(() => init.xavierUniform_(tensor([[1, 2]]), -1)).toThrow(/xavierUniform_: gain must be a finite number >= 0/);
    expect(() => init.xavierNormal_(tensor([1, 2]))).toThrow(/xavierNormal_: fan in and fan out cannot be computed/);
    expect(() => init.kaimingUniform_(tensor([1, 2]))).toThrow(ValueError);
  });
});
