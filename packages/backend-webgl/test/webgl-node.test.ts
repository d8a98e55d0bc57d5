import { describe, expect, it } from 'vitest';
import { BackendError, getBackend, listBackends } from '@tsgrad/core';
import { createWebglBackend, precisionPolicy, WEBGL_TOLERANCES } from '@tsgrad/backend-webgl';

describe('backend-webgl in Node', () => {
  it('registers "webgl" on import', () => {
    expect(listBackends()).toContain('webgl');
  });

  it('refuses to start outside a browser with a BackendError that says why', () => {
    expect(() => getBackend('webgl')).toThrow(BackendError);
    expect(() => createWebglBackend()).toThrow(/WebGL needs a browser/);
  });
});

describe('precisionPolicy', () => {
  it('float32 devices get the float32 tolerances', () => {
    expect(precisionPolicy(32, false)).toEqual(WEBGL_TOLERANCES[32]);
  });
  it('half-float devices are refused unless allowed, with what to do', () => {
    expect(() => precisionPolicy(16, false)).toThrow(BackendError);
    expect(() => precisionPolicy(16, false)).toThrow(/16 bits.*allowHalfFloat: true/s);
    expect(precisionPolicy(16, true)).toEqual({ atol: 1e-2, rtol: 1e-2 });
  });
});
