import { createRequire } from 'node:module';
import * as path from 'node:path';
import type * as TfModule from '@tensorflow/tfjs';
import type * as WasmModule from '@tensorflow/tfjs-backend-wasm';

/** The TensorFlow.js namespace (typed from @tensorflow/tfjs, loaded at run time). */
export type Tf = typeof TfModule;

// Loaded on demand with require: tfjs-node may be absent, and nothing pays for TensorFlow.js at
// start-up unless it is used.

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface LoadedTf {
  tf: Tf;
  backend: BackendName;
  /** Why faster backends were not used, e.g. "tfjs-node: not installed". */
  fallbacks: string[];
}

let loaded: Promise<LoadedTf> | undefined;

/**
 * TensorFlow.js with the fastest backend that loads here: @tensorflow/tfjs-node (native
 * libtensorflow, an optional dependency), else @tensorflow/tfjs-backend-wasm (its .wasm files ship
 * in the package), else the plain JavaScript CPU backend. RUNLENS_TF_BACKEND=wasm|cpu forces one.
 */
export function loadTf(): Promise<LoadedTf> {
  loaded ??= choose();
  return loaded;
}

/**
 * TensorFlow.js from the training project's own node_modules when it has one (the versions the user
 * chose), else from Runlens's. All packages come from the same place: a backend registered on another
 * copy of tfjs-core would not be seen.
 */
function tfRequire(): NodeJS.Require {
  for (const base of [path.join(process.cwd(), 'index.js'), __filename]) {
    const req = createRequire(base);
    try {
      req.resolve('@tensorflow/tfjs');
      return req;
    } catch {
      // not installed there
    }
  }
  throw new Error(
    'TensorFlow.js is not installed: run `npm install @tensorflow/tfjs @tensorflow/tfjs-backend-wasm` in the project',
  );
}

async function choose(): Promise<LoadedTf> {
  const require = tfRequire();
  const forced = process.env.RUNLENS_TF_BACKEND as BackendName | undefined;
  const fallbacks: string[] = [];
  if (!forced || forced === 'tensorflow') {
    try {
      // tfjs-node re-exports the whole tfjs API with the native backend registered.
      const tf = require('@tensorflow/tfjs-node') as Tf;
      await tf.setBackend('tensorflow');
      await tf.ready();
      return { tf, backend: 'tensorflow', fallbacks };
    } catch (e) {
      fallbacks.push(`tfjs-node: ${shortReason(e)}`);
    }
  }
  const tf = require('@tensorflow/tfjs') as Tf;
  if (!forced || forced === 'wasm') {
    try {
      const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof WasmModule;
      const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
      wasm.setWasmPaths(path.join(dir, 'dist') + path.sep);
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        return { tf, backend: 'wasm', fallbacks };
      }
      fallbacks.push('wasm: backend did not initialise');
    } catch (e) {
      fallbacks.push(`wasm: ${shortReason(e)}`);
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return { tf, backend: 'cpu', fallbacks };
}

function shortReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'MODULE_NOT_FOUND') return 'not installed';
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0].slice(0, 120);
}

export function describeBackend(t: LoadedTf): string {
  const names = {
    tensorflow: 'tfjs-node (native TensorFlow)',
    wasm: 'WebAssembly',
    cpu: 'plain JavaScript CPU',
  };
  return `TensorFlow.js backend: ${names[t.backend]}${t.fallbacks.length ? ` (${t.fallbacks.join('; ')})` : ''}`;
}
