import { filledArray } from '../convert.js';
import { AutogradError, ValueError } from '../errors.js';
import { fmt } from '../shape.js';
import { Tensor } from '../tensor.js';
import { computeGrads, enableGrad, zerosLike } from './engine.js';

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
  const vg = valueAndGradOf('grad', f, options);
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
  return valueAndGradOf('valueAndGrad', f, options);
}

/** valueAndGrad with the public name (`api`) its errors carry. */
function valueAndGradOf<A extends Tensor[], O extends FunctionalGradOptions = {}>(
  api: string,
  f: (...args: A) => Tensor,
  options?: O,
): (...args: A) => [Tensor, GradOf<O>] {
  if (typeof f !== 'function') throw new ValueError(`${api}: f must be a function of tensors, got ${f === null ? 'null' : typeof f}.`);
  const argnums = options?.argnums ?? 0;
  if (!(typeof argnums === 'number' ? Number.isInteger(argnums) && argnums >= 0 : Array.isArray(argnums) && argnums.every((i) => Number.isInteger(i) && i >= 0))) {
    throw new ValueError(`${api}: argnums must be a non-negative integer or a list of them, got ${JSON.stringify(argnums)}.`);
  }
  const list = typeof argnums === 'number' ? [argnums] : [...argnums];
  return (...args: A) => {
    for (const i of list) {
      if (!(args[i] instanceof Tensor)) throw new ValueError(`${api}: argument ${i} must be a Tensor, got ${typeof args[i]}.`);
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
        `${api}: the function must return a one-element tensor, got ${value instanceof Tensor ? `shape ${fmt(value.shape)}` : typeof value}; reduce it with .sum() or .mean().`,
      );
    }
    const seed = Tensor.fromValues(filledArray(value.dtype, 1, 1), value.shape, value.dtype, value.backend);
    const grads = value.requiresGrad ? computeGrads([value], [seed], { createGraph, wrt }) : new Map<Tensor, Tensor>();
    const out = wrt.map((v) => grads.get(v) ?? zerosLike(v));
    return [value, (typeof argnums === 'number' ? out[0] : out) as GradOf<O>];
  };
}

/**
 * The vector-Jacobian product of f at args with vector `v` (same shape as f's output):
 * gradients with respect to every argument.
 */
export function vjp(f: (...args: Tensor[]) => Tensor, args: readonly Tensor[], v: Tensor, options: { createGraph?: boolean } = {}): Tensor[] {
  if (typeof f !== 'function') throw new ValueError(`vjp: f must be a function of tensors, got ${f === null ? 'null' : typeof f}.`);
  if (!Array.isArray(args) || !args.every((a) => a instanceof Tensor)) throw new ValueError('vjp: args must be an array of Tensors (the arguments of f).');
  if (!(v instanceof Tensor)) throw new ValueError(`vjp: the vector v must be a Tensor of f's output shape, got ${v === null ? 'null' : typeof v}.`);
  const inputs = args.map((a) => (a.requiresGrad ? enableGrad(() => a.reshape([...a.shape, 1]).reshape(a.shape as number[])) : a.detach().requiresGrad_()));
  const y = enableGrad(() => f(...inputs));
  if (y.shape.join() !== v.shape.join()) {
    throw new AutogradError(`vjp: the vector has shape ${fmt(v.shape)} but f's output has shape ${fmt(y.shape)}; they must match.`);
  }
  const grads = y.requiresGrad ? computeGrads([y], [v], { createGraph: options.createGraph ?? args.some((a) => a.requiresGrad), wrt: inputs }) : new Map();
  return inputs.map((x) => grads.get(x) ?? zerosLike(x));
}
