/**
 * The MNIST example's CNN, in a module without Node imports so the docs site trains the same
 * model in the browser (apps/docs/src/examples/mnist.ts) as `src/mnist.ts` does in Node.
 */
import { nn } from 'tsgrad';

/**
 * The model: two blocks of Conv2d-BatchNorm2d-ReLU-MaxPool2d, then two Linear layers.
 * Input [N, 1, 28, 28] float32 (pixels in [0, 1]) -> 16x14x14 -> 32x7x7 -> 128 -> [N, 10] class
 * scores (logits). The PyTorch twin is reference/mnist_reference.py's `model()`.
 */
export function mnistModel(): nn.Sequential {
  return new nn.Sequential(
    new nn.Conv2d(1, 16, 3, { padding: 1 }),
    new nn.BatchNorm2d(16),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(16, 32, 3, { padding: 1 }),
    new nn.BatchNorm2d(32),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(32 * 7 * 7, 128),
    new nn.ReLU(),
    new nn.Linear(128, 10),
  );
}
