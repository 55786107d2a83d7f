// The Cityscapes label table (cityscapesScripts helpers/labels.py): the single source of truth.
// Every lookup below is derived from LABELS; nothing else hard-codes an id, trainId or colour.

export type LabelCategory = 'void' | 'flat' | 'construction' | 'object' | 'nature' | 'sky' | 'human' | 'vehicle';

export interface Label {
  readonly name: string;
  readonly id: number;
  readonly trainId: number;
  readonly category: LabelCategory;
  readonly catId: number;
  readonly hasInstances: boolean;
  readonly ignoreInEval: boolean;
  readonly color: readonly [number, number, number];
}

const row = (
  name: string, id: number, trainId: number, category: LabelCategory, catId: number,
  hasInstances: boolean, ignoreInEval: boolean, color: [number, number, number],
): Label => Object.freeze({ name, id, trainId, category, catId, hasInstances, ignoreInEval, color: Object.freeze(color) });

export const LABELS: readonly Label[] = Object.freeze([
  row('unlabeled', 0, 255, 'void', 0, false, true, [0, 0, 0]),
  row('ego vehicle', 1, 255, 'void', 0, false, true, [0, 0, 0]),
  row('rectification border', 2, 255, 'void', 0, false, true, [0, 0, 0]),
  row('out of roi', 3, 255, 'void', 0, false, true, [0, 0, 0]),
  row('static', 4, 255, 'void', 0, false, true, [0, 0, 0]),
  row('dynamic', 5, 255, 'void', 0, false, true, [111, 74, 0]),
  row('ground', 6, 255, 'void', 0, false, true, [81, 0, 81]),
  row('road', 7, 0, 'flat', 1, false, false, [128, 64, 128]),
  row('sidewalk', 8, 1, 'flat', 1, false, false, [244, 35, 232]),
  row('parking', 9, 255, 'flat', 1, false, true, [250, 170, 160]),
  row('rail track', 10, 255, 'flat', 1, false, true, [230, 150, 140]),
  row('building', 11, 2, 'construction', 2, false, false, [70, 70, 70]),
  row('wall', 12, 3, 'construction', 2, false, false, [102, 102, 156]),
  row('fence', 13, 4, 'construction', 2, false, false, [190, 153, 153]),
  row('guard rail', 14, 255, 'construction', 2, false, true, [180, 165, 180]),
  row('bridge', 15, 255, 'construction', 2, false, true, [150, 100, 100]),
  row('tunnel', 16, 255, 'construction', 2, false, true, [150, 120, 90]),
  row('pole', 17, 5, 'object', 3, false, false, [153, 153, 153]),
  row('polegroup', 18, 255, 'object', 3, false, true, [153, 153, 153]),
  row('traffic light', 19, 6, 'object', 3, false, false, [250, 170, 30]),
  row('traffic sign', 20, 7, 'object', 3, false, false, [220, 220, 0]),
  row('vegetation', 21, 8, 'nature', 4, false, false, [107, 142, 35]),
  row('terrain', 22, 9, 'nature', 4, false, false, [152, 251, 152]),
  row('sky', 23, 10, 'sky', 5, false, false, [70, 130, 180]),
  row('person', 24, 11, 'human', 6, true, false, [220, 20, 60]),
  row('rider', 25, 12, 'human', 6, true, false, [255, 0, 0]),
  row('car', 26, 13, 'vehicle', 7, true, false, [0, 0, 142]),
  row('truck', 27, 14, 'vehicle', 7, true, false, [0, 0, 70]),
  row('bus', 28, 15, 'vehicle', 7, true, false, [0, 60, 100]),
  row('caravan', 29, 255, 'vehicle', 7, true, true, [0, 0, 90]),
  row('trailer', 30, 255, 'vehicle', 7, true, true, [0, 0, 110]),
  row('train', 31, 16, 'vehicle', 7, true, false, [0, 80, 100]),
  row('motorcycle', 32, 17, 'vehicle', 7, true, false, [0, 0, 230]),
  row('bicycle', 33, 18, 'vehicle', 7, true, false, [119, 11, 32]),
  row('license plate', -1, -1, 'vehicle', 7, false, true, [0, 0, 142]),
]);

/** Ignore value of labelTrainIds images. */
export const IGNORE_TRAIN_ID = 255;
/** The label id written where a region is marked ignore ("unlabeled"). */
export const IGNORE_LABEL_ID = 0;

const byId = new Map<number, Label>(LABELS.map((l) => [l.id, l]));
const byName = new Map<string, Label>(LABELS.map((l) => [l.name, l]));

/** The label with this id, or undefined. */
export function labelById(id: number): Label | undefined {
  return byId.get(id);
}

/** The label with this name, or undefined. Group names ("cargroup") resolve through labelForPolygonName. */
export function labelByName(name: string): Label | undefined {
  return byName.get(name);
}

/**
 * The label for a polygons-json object name, as json2labelImg resolves it: a name ending in "group"
 * whose stem is a label ("cargroup", "persongroup") is that label, drawn without an instance index.
 */
export function labelForPolygonName(name: string): { label: Label; isGroup: boolean } | undefined {
  const direct = byName.get(name);
  if (direct) return { label: direct, isGroup: false };
  if (name.endsWith('group')) {
    const base = byName.get(name.slice(0, -'group'.length));
    if (base) return { label: base, isGroup: true };
  }
  return undefined;
}

/**
 * The label ids of these names, in the order given. Throws a RangeError for a name that is not in the
 * table, so that a list written by name cannot silently lose a class.
 */
export function labelIdsByName(...names: readonly string[]): number[] {
  return names.map((name) => {
    const label = byName.get(name);
    if (!label) throw new RangeError(`'${name}' is not a Cityscapes label name`);
    return label.id;
  });
}

/**
 * instanceIds numbering: the k-th instance (k from 0) of a class with instances is labelId*1000+k;
 * every other pixel (stuff, a group of a class with instances) holds its plain labelId.
 */
export const INSTANCES_PER_LABEL = 1000;

/** The instanceIds value of the k-th instance of a label. Throws a RangeError for k outside 0..999. */
export function instanceValue(labelId: number, k: number): number {
  if (!Number.isInteger(k) || k < 0 || k >= INSTANCES_PER_LABEL) throw new RangeError(`instance index ${k} of label id ${labelId} is outside 0..${INSTANCES_PER_LABEL - 1}`);
  return labelId * INSTANCES_PER_LABEL + k;
}

/** Whether an instanceIds value is an instance (labelId*1000+k) rather than a plain labelId. */
export function isInstanceValue(value: number): boolean {
  return value >= INSTANCES_PER_LABEL;
}

/** The label id of an instanceIds value: labelId*1000+k gives labelId, a plain labelId itself. */
export function labelIdOf(value: number): number {
  return value >= INSTANCES_PER_LABEL ? Math.floor(value / INSTANCES_PER_LABEL) : value;
}

/** The instance index k of an instanceIds value labelId*1000+k. */
export function instanceIndexOf(value: number): number {
  return value % INSTANCES_PER_LABEL;
}

/** Labels that can appear in labelIds images (id >= 0), indexed by id. */
export const DRAWABLE_LABELS: readonly Label[] = LABELS.filter((l) => l.id >= 0);

/** Lookup table id → trainId for ids 0..255 (unknown ids map to 255). */
export const TRAIN_ID_LUT: Uint8Array = (() => {
  const lut = new Uint8Array(256).fill(IGNORE_TRAIN_ID);
  for (const l of DRAWABLE_LABELS) lut[l.id] = l.trainId < 0 ? IGNORE_TRAIN_ID : l.trainId;
  return lut;
})();

/** Lookup table id → RGB for ids 0..255, 3 bytes per id (unknown ids are black). */
export const COLOR_LUT: Uint8Array = (() => {
  const lut = new Uint8Array(256 * 3);
  for (const l of DRAWABLE_LABELS) lut.set(l.color, l.id * 3);
  return lut;
})();

/** Whether an id 0..255 is a known, drawable label id. */
export const KNOWN_ID: Uint8Array = (() => {
  const lut = new Uint8Array(256);
  for (const l of DRAWABLE_LABELS) lut[l.id] = 1;
  return lut;
})();

/** The labels a segmentation model is trained on (trainId 0..18), in trainId order. */
export const TRAIN_LABELS: readonly Label[] = DRAWABLE_LABELS.filter((l) => l.trainId >= 0 && l.trainId !== IGNORE_TRAIN_ID)
  .sort((a, b) => a.trainId - b.trainId);
