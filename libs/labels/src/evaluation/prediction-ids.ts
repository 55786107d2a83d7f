// Predictions come as labelIds (what cityscapesScripts reads) or as trainIds (what a network
// outputs); the evaluation works on labelIds. Both lookups are derived from the label table.
import { DatasetError } from '../errors.ts';
import { IGNORE_LABEL_ID, IGNORE_TRAIN_ID, KNOWN_ID, TRAIN_LABELS } from '../label-table.ts';

export type PredictionIds = 'labelIds' | 'trainIds';
export const PREDICTION_IDS: readonly PredictionIds[] = Object.freeze(['labelIds', 'trainIds']);

/** trainId → labelId for 0..255; 256 marks a value that is no trainId. The ignore trainId (255) is "unlabeled". */
const LABEL_ID_OF_TRAIN_ID: Uint16Array = (() => {
  const lut = new Uint16Array(256).fill(256);
  for (const l of TRAIN_LABELS) lut[l.trainId] = l.id;
  lut[IGNORE_TRAIN_ID] = IGNORE_LABEL_ID;
  return lut;
})();

const valid = (kind: PredictionIds, value: number): boolean =>
  kind === 'labelIds' ? KNOWN_ID[value] === 1 : LABEL_ID_OF_TRAIN_ID[value] !== 256;

function histogram(values: Uint8Array): Uint32Array {
  const h = new Uint32Array(256);
  for (let i = 0; i < values.length; i++) h[values[i]]++;
  return h;
}

/**
 * Which id kinds a prediction's values fit. A map that fits both (every value in 0..18) cannot be
 * told apart by its values alone.
 */
export function predictionIdsFitting(prediction: Uint8Array): PredictionIds[] {
  const h = histogram(prediction);
  return PREDICTION_IDS.filter((kind) => h.every((count, value) => count === 0 || valid(kind, value)));
}

/**
 * The prediction as labelIds. Values outside the label table (labelIds) or outside 0..18 and 255
 * (trainIds) throw a DatasetError naming `file`, each value with its pixel count.
 */
export function predictionToLabelIds(prediction: Uint8Array, kind: PredictionIds, file: string): Uint8Array {
  const h = histogram(prediction);
  const bad = [...h.keys()].filter((value) => h[value] > 0 && !valid(kind, value));
  if (bad.length > 0) {
    const allowed = kind === 'labelIds' ? 'the ids of the Cityscapes label table' : `trainIds 0..${TRAIN_LABELS.length - 1} and ${IGNORE_TRAIN_ID}`;
    throw new DatasetError(file, `prediction value${bad.length > 1 ? 's' : ''} ${bad.map((v) => `${v} (${h[v]} pixels)`).join(', ')} outside ${allowed} (read as ${kind})`);
  }
  if (kind === 'labelIds') return prediction;
  const out = new Uint8Array(prediction.length);
  for (let i = 0; i < prediction.length; i++) out[i] = LABEL_ID_OF_TRAIN_ID[prediction[i]];
  return out;
}
