import { typedArrayFor } from '../dtype.js';
import { AutogradError, ValueError } from '../errors.js';
import { fmt } from '../shape.js';
import { Tensor } from '../tensor.js';
import { computeGrads, enableGrad } from './engine.js';

export interface FunctionalGradOptions {
  /** Which arguments to differentiate with respect to (default 0). An array gives an array of gradients. */
  argnums?: number | readonly number[];
  /** Keep the gradient differentiable (automatic when an argument is itself being differentiated). */
  createGraph?: boolean;
}

type GradOf<O extends FunctionalGradOptions> = O['argnums'] extends readonly number[] ? Tensor[] : Tensor;

/**
 * grad(f)(...args): the gradient of the scalar f(...args) with respect to args[argnums], in the
 * manner of JAX. Leaves the arguments' .grad untouched. Nests: grad(x => grad(f)(x).sum())(x).
 */
export function grad<A extends Tensor[], O extends FunctionalGradOptions = {}>(
  f: (...args: A) => Tensor,
  options?: O,
): (...args: A) => GradOf<O> {
  const vg = valueAndGrad(f, options);
  return (...args: A) => {
    const [value, g] = vg(...args);
    if (!value.requiresGrad) value.dispose();
    return g;
  };
}

/** Like grad, returning [f(...args), gradient]. */
export function valueAndGrad<A extends Tensor[], O extends FunctionalGradOptions = {}>(
  f: (...args: A) => Tensor,
  options?: O,
): (...args: A) => [Tensor, GradOf<O>] {
  const argnums = options?.argnums ?? 0;
  const list = typeof argnums === 'number' ? [argnums] : [...argnums];
  return (...args: A) => {
    for (const i of list) {
      if (!(args[i] instanceof Tensor)) throw new ValueError(`grad: argument ${i} must be a Tensor, got ${typeof args[i]}.`);
    }
    const nested = list.some((i) => args[i].requiresGrad);
    const createGraph = options?.createGraph ?? nested;
    // Each differentiated argument becomes a fresh node; nested transforms still see through it.
    const inputs = args.slice() as A;
    const wrt = list.map((i) => {
      const a = args[i];
      const v = a.requiresGrad ? enableGrad(() => a.reshape([...a.shape, 1]).reshape(a.shape as number[])) : a.detach().requiresGrad_();
      inputs[i] = v;
      return v;
    });
    const value = enableGrad(() => f(...inputs));
    if (!(value instanceof Tensor) || value.size !== 1) {
      throw new AutogradError(
        `grad: the function must return a one-element tensor, got ${value instanceof Tensor ? `shape ${fmt(value.shape)}` : typeof value}; reduce it with .sum() or .mean().`,
      );
    }
    const seed = Tensor.fromValues(typedArrayFor(value.dtype, 1).fill(1), value.shape, value.dtype, value.backend);
    const grads = value.requiresGrad ? computeGrads([value], [seed], { createGraph, wrt }) : new Map<Tensor, Tensor>();
    const out = wrt.map((v) => grads.get(v) ?? v.mul(0).detach());
    return [value, (typeof argnums === 'number' ? out[0] : out) as GradOf<O>];
  };
}

/**
 * The vector-Jacobian product of f at args with vector `v` (same shape as f's output):
 * gradients with respect to every argument.
 */
export function vjp(f: (...args: Tensor[]) => Tensor, args: readonly Tensor[], v: Tensor, options: { createGraph?: boolean } = {}): Tensor[] {
  const inputs = args.map((a) => (a.requiresGrad ? enableGrad(() => a.reshape([...a.shape, 1]).reshape(a.shape as number[])) : a.detach().requiresGrad_()));
  const y = enableGrad(() => f(...inputs));
  if (y.shape.join() !== v.shape.join()) {
    throw new AutogradError(`vjp: the vector has shape ${fmt(v.shape)} but f's output has shape ${fmt(y.shape)}; they must match.`);
  }
  const grads = y.requiresGrad ? computeGrads([y], [v], { createGraph: options.createGraph ?? args.some((a) => a.requiresGrad), wrt: inputs }) : new Map();
  return inputs.map((x) => grads.get(x) ?? x.mul(0).detach());
}
