/**
 * The `tensorflow` backend (libtensorflow through @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node)
 * is an optional dependency: its install downloads libtensorflow, which fails where only the npm
 * registry is reachable, and then the package is simply absent.
 */

/** Packages that provide the `tensorflow` backend, preferred first. */
export const TENSORFLOW_PACKAGES = Object.freeze(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const);

export interface TensorflowLoad {
  /** The package that loaded, or undefined when none did. */
  readonly package: string | undefined;
  /** One line per package tried: why it did not load. */
  readonly failures: readonly string[];
}

function shortReason(e: unknown): string {
  const err = e as { code?: string; message?: string };
  if (err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'MODULE_NOT_FOUND') return 'not installed';
  return (err.message ?? String(e)).split('\n')[0];
}

let loading: Promise<TensorflowLoad> | undefined;

/** Imports the first package of TENSORFLOW_PACKAGES that loads (it registers the backend). */
export function loadTensorflow(): Promise<TensorflowLoad> {
  loading ??= (async () => {
    const failures: string[] = [];
    for (const name of TENSORFLOW_PACKAGES) {
      try {
        // A variable specifier: the packages are optional and have no type declarations installed.
        const specifier: string = name;
        await import(specifier);
        return { package: name, failures };
      } catch (e) {
        failures.push(`${name}: ${shortReason(e)}`);
      }
    }
    return { package: undefined, failures };
  })();
  return loading;
}
