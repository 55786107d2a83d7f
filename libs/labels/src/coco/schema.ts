// JSON schema of a COCO instances json, compiled once. Structure only: cross-references (ids,
// bounds, sizes) are checked by validateCocoDataset.

import { Ajv, type ErrorObject } from 'ajv';
import { DatasetError } from '../errors.ts';
import type { CocoDataset } from './types.ts';

const integerId = { type: 'integer' } as const;
const uint32 = { type: 'integer', minimum: 0, maximum: 0xffffffff } as const;

const polygons = {
  type: 'array',
  items: { type: 'array', items: { type: 'number' } },
} as const;

const rle = {
  type: 'object',
  required: ['counts', 'size'],
  properties: {
    size: { type: 'array', items: uint32, minItems: 2, maxItems: 2 },
    counts: {
      if: { type: 'string' },
      // The compressed alphabet is ASCII 48..111 ('0'..'o').
      then: { type: 'string', pattern: '^[0-o]*$' },
      else: { type: 'array', items: uint32 },
    },
  },
} as const;

export const COCO_INSTANCES_SCHEMA = {
  type: 'object',
  required: ['images', 'annotations', 'categories'],
  properties: {
    info: { type: 'object' },
    licenses: {
      type: 'array',
      items: { type: 'object', required: ['id'], properties: { id: integerId, name: { type: 'string' }, url: { type: 'string' } } },
    },
    images: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'file_name', 'width', 'height'],
        properties: {
          id: integerId,
          file_name: { type: 'string', minLength: 1 },
          width: { type: 'integer', minimum: 1 },
          height: { type: 'integer', minimum: 1 },
        },
      },
    },
    annotations: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'image_id', 'category_id', 'segmentation', 'area', 'bbox', 'iscrowd'],
        properties: {
          id: integerId,
          image_id: integerId,
          category_id: integerId,
          segmentation: { if: { type: 'array' }, then: polygons, else: rle },
          area: { type: 'number', minimum: 0 },
          bbox: { type: 'array', items: { type: 'number' }, minItems: 4, maxItems: 4 },
          iscrowd: { enum: [0, 1] },
        },
      },
    },
    categories: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'name'],
        properties: { id: integerId, name: { type: 'string' }, supercategory: { type: 'string' } },
      },
    },
  },
} as const;

const ajv = new Ajv({ strict: true, allErrors: false, logger: false });
const validate = ajv.compile(COCO_INSTANCES_SCHEMA);

function valueAt(data: unknown, pointer: string): unknown {
  let v = data;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

function describe(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function reasonOf(error: ErrorObject, data: unknown): string {
  switch (error.keyword) {
    case 'required':
      return error.message ?? 'missing property';
    case 'enum':
      return `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map(describe).join(', ')}, got ${describe(valueAt(data, error.instancePath))}`;
    default:
      return `${error.message ?? 'invalid'}, got ${describe(valueAt(data, error.instancePath))}`;
  }
}

/** Throws DatasetError (file, JSON pointer, what is wrong) unless `data` has the shape of a COCO instances json. */
export function assertCocoSchema(data: unknown, file: string): asserts data is CocoDataset {
  if (validate(data)) return;
  const error = validate.errors?.[0];
  if (!error) throw new DatasetError(file, 'not a COCO instances json', '');
  throw new DatasetError(file, reasonOf(error, data), error.instancePath);
}
