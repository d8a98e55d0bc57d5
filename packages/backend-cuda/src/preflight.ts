import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';

/** The npm package the CUDA backend runs on, and what its prebuilt libtensorflow was built for. */
export const TFJS_NODE_GPU = '@tensorflow/tfjs-node-gpu';
export const TFJS_NODE_GPU_VERSION = '4.22.0';
export const CUDA_RUNTIME_LIB = 'libcudart.so.11.0';
export const CUDNN_LIB = 'libcudnn.so.8';

/** Everything preflight looks at, injectable so its logic is testable on any machine. */
export interface Probes {
  /** Absolute path of `<name>/package.json`, or null when the package is not installed. */
  resolvePackage(name: string): string | null;
  exists(path: string): boolean;
  readText(path: string): string | null;
  /** Names in a directory ([] when it does not exist). */
  list(path: string): string[];
  /** Runs a command; null when it cannot be started (not installed). */
  run(command: string, args: readonly string[]): { status: number | null; stdout: string } | null;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly platform: string;
  readonly arch: string;
}

export interface PreflightCheck {
  /** What was checked ("package", "native binding", "NVIDIA driver", "GPU", "CUDA runtime", "cuDNN"). */
  readonly name: string;
  readonly found: boolean;
  /** What was found, or what is missing. */
  readonly detail: string;
  /** What to do when it is missing. */
  readonly fix?: string;
}

export interface PreflightReport {
  /** True when every check found what the CUDA backend needs. */
  readonly ok: boolean;
  readonly checks: readonly PreflightCheck[];
  /** The names of the missing pieces. */
  readonly missing: readonly string[];
  /** The report as text, one line per check, with the fix for each missing piece. */
  toString(): string;
}

export function nodeProbes(): Probes {
  const require = createRequire(import.meta.url);
  return {
    resolvePackage: (name) => {
      try {
        return require.resolve(`${name}/package.json`);
      } catch {
        return null;
      }
    },
    exists: (path) => existsSync(path),
    readText: (path) => {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return null;
      }
    },
    list: (path) => {
      try {
        return readdirSync(path);
      } catch {
        return [];
      }
    },
    run: (command, args) => {
      const r = spawnSync(command, args as string[], { encoding: 'utf8', timeout: 10_000 });
      if (r.error) return null;
      return { status: r.status, stdout: r.stdout ?? '' };
    },
    env: process.env,
    platform: process.platform,
    arch: process.arch,
  };
}

/** Finds `file` (a .node binding) below `dir`, a few levels deep. */
function findFile(p: Probes, dir: string, test: (name: string) => boolean, depth = 4): string | null {
  if (depth < 0) return null;
  for (const name of p.list(dir)) {
    const path = join(dir, name);
    if (test(name)) return path;
    const below = findFile(p, path, test, depth - 1);
    if (below) return below;
  }
  return null;
}

/** Where the dynamic loader would find `lib`: LD_LIBRARY_PATH first, then the ldconfig cache. */
function findLibrary(p: Probes, lib: string): string | null {
  for (const dir of (p.env.LD_LIBRARY_PATH ?? '').split(delimiter).filter(Boolean)) {
    if (p.exists(join(dir, lib))) return join(dir, lib);
  }
  for (const ldconfig of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    const r = p.run(ldconfig, ['-p']);
    if (!r) continue;
    for (const line of r.stdout.split('\n')) {
      const m = /^\s*(\S+)\s.*=>\s*(\S+)/.exec(line);
      if (m && m[1] === lib) return m[2];
    }
    return null;
  }
  return null;
}

/**
 * What the "cuda" backend needs, checked one by one: the tfjs-node-gpu package, its native
 * binding (and the libtensorflow it downloads at install), an NVIDIA driver and GPU, and the CUDA
 * 11.x runtime and cuDNN 8 libraries libtensorflow 2.9 was built against. Never throws.
 */
export function preflight(probes: Partial<Probes> = {}): PreflightReport {
  const p: Probes = { ...nodeProbes(), ...probes };
  const checks: PreflightCheck[] = [];

  checks.push(
    p.platform === 'linux' && p.arch === 'x64'
      ? { name: 'platform', found: true, detail: `${p.platform}-${p.arch}` }
      : {
          name: 'platform',
          found: false,
          detail: `${p.platform}-${p.arch}: tfjs-node-gpu ships GPU builds for linux-x64 only`,
          fix: 'Run on Linux x86-64 (a Linux machine or container with the NVIDIA container toolkit).',
        },
  );

  const pkgJson = p.resolvePackage(TFJS_NODE_GPU);
  const pkgDir = pkgJson ? dirname(pkgJson) : null;
  let version = '';
  if (pkgJson) {
    try {
      version = (JSON.parse(p.readText(pkgJson) ?? '{}') as { version?: string }).version ?? '';
    } catch {
      version = '';
    }
  }
  const install = `npm install ${TFJS_NODE_GPU}@${TFJS_NODE_GPU_VERSION} (its install script downloads libtensorflow 2.9.1 for CUDA 11.2 / cuDNN 8.1, so it needs internet access)`;
  checks.push(
    pkgDir
      ? { name: 'package', found: true, detail: `${TFJS_NODE_GPU}@${version || '?'} at ${pkgDir}` }
      : { name: 'package', found: false, detail: `${TFJS_NODE_GPU} is not installed (it is an optional peer dependency of @tsgrad/backend-cuda)`, fix: install },
  );

  if (!pkgDir) {
    checks.push({ name: 'native binding', found: false, detail: 'not checked: the package is missing', fix: install });
  } else {
    const binding = findFile(p, join(pkgDir, 'lib'), (n) => n === 'tfjs_binding.node');
    const libtf = findFile(p, join(pkgDir, 'deps'), (n) => n.startsWith('libtensorflow.so'), 2);
    const rebuild = `npm rebuild ${TFJS_NODE_GPU} with internet access (npm install --ignore-scripts leaves it without a binding)`;
    checks.push(
      binding && libtf
        ? { name: 'native binding', found: true, detail: `${binding} with ${libtf}` }
        : {
            name: 'native binding',
            found: false,
            detail: `${binding ? '' : 'lib/**/tfjs_binding.node is missing'}${!binding && !libtf ? '; ' : ''}${libtf ? '' : 'deps/lib/libtensorflow.so* is missing'} in ${pkgDir}`,
            fix: rebuild,
          },
    );
  }

  const driverText = p.readText('/proc/driver/nvidia/version');
  const driverLine = driverText?.split('\n')[0]?.trim();
  const smi = p.run('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader']);
  const driverFix = 'Install the NVIDIA driver (450.80 or newer for CUDA 11.x) on the host; in a container, run it with --gpus all (NVIDIA container toolkit).';
  checks.push(
    driverLine
      ? { name: 'NVIDIA driver', found: true, detail: driverLine }
      : smi && smi.status === 0
        ? { name: 'NVIDIA driver', found: true, detail: 'nvidia-smi runs' }
        : { name: 'NVIDIA driver', found: false, detail: '/proc/driver/nvidia/version is absent and nvidia-smi does not run', fix: driverFix },
  );

  const gpus = smi && smi.status === 0 ? smi.stdout.split('\n').map((l) => l.trim()).filter(Boolean) : [];
  const devices = p.list('/dev').filter((n) => /^nvidia\d+$/.test(n));
  checks.push(
    gpus.length > 0
      ? { name: 'GPU', found: true, detail: gpus.join('; ') }
      : devices.length > 0
        ? { name: 'GPU', found: true, detail: devices.map((d) => `/dev/${d}`).join(', ') }
        : { name: 'GPU', found: false, detail: 'nvidia-smi lists no GPU and there is no /dev/nvidia0', fix: driverFix },
  );

  const libFix = (lib: string, what: string) =>
    `Install ${what} and make ${lib} loadable: add its lib64 directory to LD_LIBRARY_PATH (or to /etc/ld.so.conf.d and run ldconfig).`;
  const cudart = findLibrary(p, CUDA_RUNTIME_LIB);
  checks.push(
    cudart
      ? { name: 'CUDA runtime', found: true, detail: `${CUDA_RUNTIME_LIB} at ${cudart}` }
      : { name: 'CUDA runtime', found: false, detail: `${CUDA_RUNTIME_LIB} is in neither LD_LIBRARY_PATH nor the ldconfig cache`, fix: libFix(CUDA_RUNTIME_LIB, 'the CUDA 11.2 toolkit (runtime, cuBLAS, cuFFT, cuRAND, cuSOLVER, cuSPARSE)') },
  );
  const cudnn = findLibrary(p, CUDNN_LIB);
  checks.push(
    cudnn
      ? { name: 'cuDNN', found: true, detail: `${CUDNN_LIB} at ${cudnn}` }
      : { name: 'cuDNN', found: false, detail: `${CUDNN_LIB} is in neither LD_LIBRARY_PATH nor the ldconfig cache`, fix: libFix(CUDNN_LIB, 'cuDNN 8.1 for CUDA 11.x') },
  );

  const missing = checks.filter((c) => !c.found).map((c) => c.name);
  return {
    ok: missing.length === 0,
    checks,
    missing,
    toString: () =>
      [
        `tsgrad CUDA preflight: ${missing.length === 0 ? 'ready' : `missing ${missing.join(', ')}`}`,
        ...checks.map((c) => `  ${c.found ? 'found  ' : 'MISSING'} ${c.name}: ${c.detail}${c.found || !c.fix ? '' : `\n          fix: ${c.fix}`}`),
      ].join('\n'),
  };
}
