import { createRequire } from 'node:module';
import { BackendError, registerBackend } from '@tsgrad/core';
import { TfjsBackend, type TfjsModule } from '@tsgrad/backend-tfjs';
import { preflight, TFJS_NODE_GPU, type PreflightReport, type Probes } from './preflight.js';

export {
  preflight,
  nodeProbes,
  TFJS_NODE_GPU,
  TFJS_NODE_GPU_VERSION,
  CUDA_RUNTIME_LIB,
  CUDNN_LIB,
  type Probes,
  type PreflightCheck,
  type PreflightReport,
} from './preflight.js';

export interface CudaBackendOptions {
  /** The name tsgrad knows it by (default "cuda"). */
  readonly name?: string;
  /** Probes for preflight (tests inject them). */
  readonly probes?: Partial<Probes>;
  /**
   * Loads the TensorFlow.js namespace with the native backend registered; by default
   * require("@tensorflow/tfjs-node-gpu"). Tests inject another tfjs to exercise the adapter.
   */
  readonly load?: () => TfjsModule;
  /** The tfjs backend to run on (tfjs-node-gpu registers "tensorflow"). */
  readonly backendName?: string;
  /** See TfjsBackendOptions.checkIndices (default true). */
  readonly checkIndices?: boolean;
}

function loadTfjsNodeGpu(): TfjsModule {
  // tfjs-node-gpu is CommonJS and loads its native binding at require time.
  return createRequire(import.meta.url)(TFJS_NODE_GPU) as TfjsModule;
}

/**
 * The TensorFlow.js adapter on tfjs-node-gpu (libtensorflow with CUDA). Runs preflight first and
 * throws a BackendError carrying its report when anything is missing: tsgrad never falls back to
 * the CPU in silence.
 */
export class CudaBackend extends TfjsBackend {
  /** The preflight report this backend was created after. */
  readonly report: PreflightReport;

  constructor(options: CudaBackendOptions = {}) {
    const name = options.name ?? 'cuda';
    const report = preflight(options.probes);
    if (!report.ok) {
      throw new BackendError(`backend "${name}" cannot run on this machine (missing: ${report.missing.join(', ')}).\n${report.toString()}`);
    }
    let tf: TfjsModule;
    try {
      tf = (options.load ?? loadTfjsNodeGpu)();
    } catch (e) {
      throw new BackendError(
        `backend "${name}": ${TFJS_NODE_GPU} failed to load although preflight found every piece: ${(e as Error).message}\n${report.toString()}`,
      );
    }
    super(name, tf, { backendName: options.backendName ?? 'tensorflow', checkIndices: options.checkIndices });
    this.report = report;
  }
}

/** A CUDA backend; throws a BackendError with the preflight report when it cannot run. */
export function createCudaBackend(options: CudaBackendOptions = {}): CudaBackend {
  return new CudaBackend(options);
}

// Lazy: nothing is probed or loaded until "cuda" is first used (getBackend, setBackend, .to("cuda")).
registerBackend('cuda', () => createCudaBackend());
