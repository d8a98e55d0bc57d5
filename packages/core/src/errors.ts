/**
 * Every error tsgrad throws is a TsgradError. The message names the op, the shapes or
 * dtypes involved and what would fix it.
 */
export class TsgradError extends Error {
  override name = 'TsgradError';
}
/** Shapes that cannot be combined (broadcasting, matmul, concat, reshape...). */
export class ShapeError extends TsgradError {
  override name = 'ShapeError';
}
/** Tensors whose dtypes cannot be combined, or a dtype an op does not support. */
export class DTypeError extends TsgradError {
  override name = 'DTypeError';
}
/** A value outside the domain an op or option accepts (an index out of range, a bad option). */
export class ValueError extends TsgradError {
  override name = 'ValueError';
}
/** Use of a tensor whose storage has been freed by dispose() or tidy(). */
export class DisposedError extends TsgradError {
  override name = 'DisposedError';
}
/** Misuse of the autograd engine (backward from a tensor that does not require grad...). */
export class AutogradError extends TsgradError {
  override name = 'AutogradError';
}
/** An unknown backend, or tensors of two backends mixed in one op. */
export class BackendError extends TsgradError {
  override name = 'BackendError';
}
