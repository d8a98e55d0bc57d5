// Compiled by trust-engine.test.ts with tsc --strict: every line marked @ts-expect-error must be
// a compile error (an async function passed to a scope), and the other lines must compile.
import { enableGrad, noGrad, tensor, tidy, type Tensor } from '../../src/index.js';

const ok: Tensor = tidy(() => tensor([1]));
const alsoOk: number = noGrad(() => 3);
const nothing: void = enableGrad(() => undefined);
// @ts-expect-error tidy(fn): fn must be synchronous
tidy(async () => tensor([1]));
// @ts-expect-error noGrad(fn): fn must be synchronous
noGrad(async () => 1);
// @ts-expect-error enableGrad(fn): fn must be synchronous
enableGrad(() => Promise.resolve(1));
export { ok, alsoOk, nothing };
