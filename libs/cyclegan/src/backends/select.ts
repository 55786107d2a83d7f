/**
 * Maps a requested backend ('auto' or a name) to an initialised TF.js backend and explains the choice.
 * Nothing is printed: the explanation is returned for the caller (the CLI) to show.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  BACKEND_CANDIDATES, backendCandidate, parseBackendRequest,
  type BackendName, type BackendPurpose, type PreparedBackend,
} from './candidates.ts';

export interface SkippedBackend {
  readonly name: BackendName;
  readonly why: string;
}

export interface BackendSelection {
  /** The backend now active in TF.js (tf.getBackend()). */
  readonly name: BackendName;
  /** Why this one, in one sentence. */
  readonly reason: string;
  /** The backends tried or passed over before or instead of it, each with why. */
  readonly skipped: readonly SkippedBackend[];
  /** One line about the chosen backend (adapter, wasm build). */
  readonly detail: string;
}

export interface SelectBackendOptions {
  /** 'inference' (default) or 'training' (needs convolution gradients; ranks backends differently). */
  readonly purpose?: BackendPurpose;
}

/**
 * A tiny convolution on the backend compared with the same sum in JavaScript: a backend that
 * initialises but computes nonsense (broken driver, missing kernel) is not chosen.
 */
export async function probeBackend(): Promise<string | undefined> {
  const [h, w, cin, cout, k] = [6, 5, 2, 3, 3];
  const xs = Float32Array.from({ length: h * w * cin }, (_, i) => ((i * 7) % 11) / 11 - 0.5);
  const ws = Float32Array.from({ length: k * k * cin * cout }, (_, i) => ((i * 5) % 13) / 13 - 0.5);
  const expected = new Float32Array((h - k + 1) * (w - k + 1) * cout);
  for (let y = 0; y <= h - k; y++) {
    for (let x = 0; x <= w - k; x++) {
      for (let o = 0; o < cout; o++) {
        let s = 0;
        for (let dy = 0; dy < k; dy++) {
          for (let dx = 0; dx < k; dx++) {
            for (let c = 0; c < cin; c++) s += xs[((y + dy) * w + x + dx) * cin + c] * ws[((dy * k + dx) * cin + c) * cout + o];
          }
        }
        expected[(y * (w - k + 1) + x) * cout + o] = s;
      }
    }
  }
  try {
    const y = tf.tidy(() => tf.conv2d(tf.tensor4d(xs, [1, h, w, cin]), tf.tensor4d(ws, [k, k, cin, cout]), 1, 'valid'));
    const got = await y.data();
    y.dispose();
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(got[i] - expected[i]));
    return worst <= 1e-4 ? undefined : `probe convolution is wrong (max error ${worst.toExponential(2)})`;
  } catch (e) {
    return `probe convolution failed: ${(e as Error).message}`;
  }
}

async function activate(name: BackendName, prepared: PreparedBackend): Promise<string | undefined> {
  let ok: boolean;
  try {
    await prepared.load?.();
    ok = await tf.setBackend(name);
  } catch (e) {
    return `initialisation failed: ${(e as Error).message}`;
  }
  if (!ok) return 'initialisation failed (see the TF.js warning above)';
  return probeBackend();
}

async function prepare(name: BackendName, purpose: BackendPurpose): Promise<PreparedBackend | string> {
  try {
    return await backendCandidate(name).prepare(purpose);
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * Initialises the requested backend and makes it the active TF.js backend.
 * - a name: that backend or an Error that says why it is unavailable;
 * - 'auto': the first that works of tensorflow, webgpu, wasm, cpu, where a software WebGPU adapter
 *   ranks after wasm, and wasm is passed over for training if it lacks the filter
 *   gradient. `skipped` says why each of the others was not taken.
 * An unknown name throws a TypeError that lists the valid choices.
 */
export async function selectBackend(requested: string, options: SelectBackendOptions = {}): Promise<BackendSelection> {
  const request = parseBackendRequest(requested);
  const purpose = options.purpose ?? 'inference';
  if (request !== 'auto') {
    const prepared = await prepare(request, purpose);
    if (typeof prepared === 'string') throw new Error(`Backend '${request}' is not available: ${prepared}`);
    const failure = await activate(request, prepared);
    if (failure) throw new Error(`Backend '${request}' is not usable: ${failure}`);
    return { name: request, reason: `requested explicitly (${prepared.detail})`, skipped: [], detail: prepared.detail };
  }

  const skipped: SkippedBackend[] = [];
  const usable: Array<{ name: BackendName; prepared: PreparedBackend }> = [];
  for (const c of BACKEND_CANDIDATES) {
    const prepared = await prepare(c.name, purpose);
    if (typeof prepared === 'string') skipped.push({ name: c.name, why: prepared });
    else usable.push({ name: c.name, prepared });
  }
  // Demoted backends move just after the one they are slower than (when that one is usable).
  const order = usable.filter((u) => !u.prepared.demoteBelow || !usable.some((v) => v.name === u.prepared.demoteBelow!.name));
  for (const u of usable) {
    if (!order.includes(u)) order.splice(order.findIndex((v) => v.name === u.prepared.demoteBelow!.name) + 1, 0, u);
  }
  for (let i = 0; i < order.length; i++) {
    const { name, prepared } = order[i];
    const failure = await activate(name, prepared);
    if (failure) {
      skipped.push({ name, why: failure });
      continue;
    }
    for (const later of order.slice(i + 1)) {
      skipped.push({ name: later.name, why: later.prepared.demoteBelow?.why ?? `lower priority than ${name}` });
    }
    const passedOver = skipped.map((s) => s.name);
    const reason = `fastest backend that works here for ${purpose}: ${name} (${prepared.detail})` +
      (passedOver.length ? `; not ${passedOver.join(', ')}` : '');
    return { name, reason, skipped: sortByPriority(skipped), detail: prepared.detail };
  }
  throw new Error(`No TF.js backend works here: ${skipped.map((s) => `${s.name}: ${s.why}`).join('; ')}`);
}

function sortByPriority(list: SkippedBackend[]): SkippedBackend[] {
  const rank = (n: BackendName): number => BACKEND_CANDIDATES.findIndex((c) => c.name === n);
  return [...list].sort((a, b) => rank(a.name) - rank(b.name));
}
