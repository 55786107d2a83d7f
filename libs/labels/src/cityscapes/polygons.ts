// The Cityscapes polygons json (helpers/annotation.py): schema, reading, and rasterising it into
// labelIds and instanceIds exactly as preparation/json2labelImg.py and json2instanceImg.py do.
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { DatasetError } from '../errors.ts';
import { INSTANCES_PER_LABEL, LABELS, instanceValue, labelForPolygonName } from '../label-table.ts';
import { fillPolygonLikePil } from './pil-polygon.ts';

export interface CityscapesPolygonObject {
  label: string;
  polygon: [number, number][];
  /** Deleted objects stay in the file and are not drawn. */
  deleted?: number | boolean;
  [extra: string]: unknown;
}

export interface CityscapesPolygons {
  imgHeight: number;
  imgWidth: number;
  objects: CityscapesPolygonObject[];
  [extra: string]: unknown;
}

const schema = {
  type: 'object',
  required: ['imgHeight', 'imgWidth', 'objects'],
  properties: {
    imgHeight: { type: 'integer', minimum: 1 },
    imgWidth: { type: 'integer', minimum: 1 },
    objects: {
      type: 'array',
      items: {
        type: 'object',
        required: ['label', 'polygon'],
        properties: {
          label: { type: 'string', minLength: 1 },
          // Pillow refuses fewer than 2 points.
          polygon: {
            type: 'array',
            minItems: 2,
            items: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'number' } },
          },
          deleted: { type: ['integer', 'boolean'] },
        },
      },
    },
  },
} as const;

const validate = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true }).compile(schema);

function describeError(e: ErrorObject): string {
  if (e.keyword === 'required') return `missing required property '${(e.params as { missingProperty: string }).missingProperty}'`;
  return e.message ?? e.keyword;
}

/**
 * Checks a parsed polygons json against the schema and the label table. Throws a DatasetError
 * naming `file` and the JSON pointer of the first offending value.
 */
export function checkCityscapesPolygons(json: unknown, file: string): CityscapesPolygons {
  if (!validate(json)) {
    const e = validate.errors![0];
    throw new DatasetError(file, describeError(e), e.instancePath);
  }
  const doc = json as unknown as CityscapesPolygons;
  doc.objects.forEach((obj, i) => {
    if (!labelForPolygonName(obj.label)) {
      throw new DatasetError(file, `unknown label '${obj.label}' (not in the Cityscapes label table, nor <label>group)`, `/objects/${i}/label`);
    }
  });
  return doc;
}

/** Parses polygons json text; `file` names it in errors. */
export function parseCityscapesPolygons(text: string, file: string): CityscapesPolygons {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DatasetError(file, `invalid JSON: ${(err as Error).message}`);
  }
  return checkCityscapesPolygons(json, file);
}

/** Reads and checks a `*_gtFine_polygons.json` file. */
export function readCityscapesPolygons(path: string): CityscapesPolygons {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new DatasetError(path, `cannot read file: ${(err as Error).message}`);
  }
  return parseCityscapesPolygons(text, path);
}

export interface RasterisedLabels {
  width: number;
  height: number;
  /** labelIds as json2labelImg draws them. */
  semantic: Uint8Array;
  /** instanceIds as json2instanceImg draws them. */
  instances: Uint16Array;
}

/**
 * Draws the polygons into labelIds and instanceIds images, as json2labelImg and json2instanceImg do:
 * background 0 ("unlabeled"); objects in file order, later ones over earlier ones; deleted objects
 * and labels with id < 0 skipped; "<label>group" drawn as the label. In instanceIds, each object of
 * a class with instances gets instanceValue(labelId, k), k counting that class's objects in file order
 * from 0; groups and other classes get the plain labelId.
 */
export function rasterisePolygons(json: CityscapesPolygons, file = '<polygons>'): RasterisedLabels {
  const width = json.imgWidth;
  const height = json.imgHeight;
  const semantic = new Uint8Array(width * height);
  const instances = new Uint16Array(width * height);
  const nextIndex = new Map<string, number>(LABELS.filter((l) => l.hasInstances).map((l) => [l.name, 0]));
  json.objects.forEach((obj, i) => {
    if (obj.deleted) return;
    const resolved = labelForPolygonName(obj.label);
    if (!resolved) throw new DatasetError(file, `unknown label '${obj.label}'`, `/objects/${i}/label`);
    const { label, isGroup } = resolved;
    let instanceId = label.id;
    if (label.hasInstances && !isGroup) {
      const k = nextIndex.get(label.name)!;
      if (k >= INSTANCES_PER_LABEL) throw new DatasetError(file, `more than ${INSTANCES_PER_LABEL} ${label.name} instances`, `/objects/${i}`);
      nextIndex.set(label.name, k + 1);
      instanceId = instanceValue(label.id, k);
    }
    if (label.id < 0) return;
    fillPolygonLikePil(semantic, width, height, obj.polygon, label.id);
    fillPolygonLikePil(instances, width, height, obj.polygon, instanceId);
  });
  return { width, height, semantic, instances };
}
