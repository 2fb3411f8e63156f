// Structural checks of plain values (already-parsed JSON, objects built in code) against the
// resource shapes, with the same messages the YAML loader gives. Validation starts with this, so
// a resource that did not come through `parseResources` (an API body, a test fixture, garbage)
// gets the same type and unknown-field errors.

import type { FieldError } from './errors.js';
import { childPath, didYouMean } from './field-path.js';
import type { Shape } from './schema.js';

/**
 * Type and unknown-field errors of `value` against `shape`, with paths under `path`.
 * `undefined` and `null` mean absent (no error). Pure; never throws, whatever the value
 * (cyclic objects are cut off at a fixed depth).
 */
export function checkShape(value: unknown, shape: Shape, path: string): FieldError[] {
  const errors: FieldError[] = [];
  // Most values conform (the loader already dropped what does not): a first pass builds no
  // paths; only a value that fails it is walked again with paths, for the messages.
  if (!conforms(value, shape, 0)) walk(value, shape, path, errors, 0);
  return errors;
}

/** Whether `walk` would report nothing for `value` (the same rules, no paths, no allocation). */
function conforms(value: unknown, shape: Shape, depth: number): boolean {
  if (value === undefined || value === null) return true;
  if (depth > 64) return false;
  switch (shape.type) {
    case 'any':
      return true;
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'quantity':
      return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
    case 'array':
      if (!Array.isArray(value)) return false;
      for (const item of value as unknown[]) {
        if (item === null || item === undefined || !conforms(item, shape.items, depth + 1)) return false;
      }
      return true;
    case 'map':
      if (!isPlainObject(value)) return false;
      for (const k in value) if (Object.prototype.hasOwnProperty.call(value, k) && !conforms(value[k], shape.values, depth + 1)) return false;
      return true;
    case 'object': {
      if (!isPlainObject(value)) return false;
      for (const k in value) {
        if (!Object.prototype.hasOwnProperty.call(value, k)) continue;
        const v = value[k];
        const field = Object.prototype.hasOwnProperty.call(shape.fields, k) ? shape.fields[k] : undefined;
        if (field !== undefined) {
          if (!conforms(v, field, depth + 1)) return false;
        } else if ((shape.unknown ?? 'error') === 'error' && v !== undefined) return false;
      }
      return true;
    }
  }
}

function walk(value: unknown, shape: Shape, path: string, errors: FieldError[], depth: number): void {
  if (value === undefined || value === null) return;
  if (depth > 64) {
    errors.push({ path, message: 'nested too deeply' });
    return;
  }
  const bad = (): void => {
    errors.push({ path, message: `expected ${shapeName(shape)}, got ${describeValue(value)}${quoteHint(shape, value)}` });
  };
  switch (shape.type) {
    case 'any':
      return;
    case 'string':
      if (typeof value !== 'string') bad();
      return;
    case 'boolean':
      if (typeof value !== 'boolean') bad();
      return;
    case 'integer':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) bad();
      return;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) bad();
      return;
    case 'quantity':
      if (typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) bad();
      return;
    case 'array':
      if (!Array.isArray(value)) return bad();
      value.forEach((item: unknown, i) => {
        if (item === null || item === undefined) {
          errors.push({ path: childPath(path, i), message: `expected ${shapeName(shape.items)}, got null` });
        } else walk(item, shape.items, childPath(path, i), errors, depth + 1);
      });
      return;
    case 'map':
      if (!isPlainObject(value)) return bad();
      for (const [k, v] of Object.entries(value)) walk(v, shape.values, childPath(path, k), errors, depth + 1);
      return;
    case 'object': {
      if (!isPlainObject(value)) return bad();
      const known = Object.keys(shape.fields);
      for (const [k, v] of Object.entries(value)) {
        const field = Object.prototype.hasOwnProperty.call(shape.fields, k) ? shape.fields[k] : undefined;
        if (field !== undefined) walk(v, field, childPath(path, k), errors, depth + 1);
        else if ((shape.unknown ?? 'error') === 'error' && v !== undefined) {
          errors.push({ path: childPath(path, k), message: `unknown field${didYouMean(k, known)}` });
        }
      }
      return;
    }
  }
}

function quoteHint(shape: Shape, value: unknown): string {
  if (shape.type === 'string' && (typeof value === 'number' || typeof value === 'boolean')) {
    return ` (quote it: ${JSON.stringify(String(value))})`;
  }
  return '';
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** "a string", "an integer", ...: how error messages name a shape. */
export function shapeName(shape: Shape): string {
  switch (shape.type) {
    case 'string':
      return 'a string';
    case 'boolean':
      return 'a boolean (true or false)';
    case 'integer':
      return 'an integer';
    case 'number':
      return 'a number';
    case 'quantity':
      return 'a quantity (a string such as "250m" or "1Gi")';
    case 'array':
      return 'a list';
    case 'map':
    case 'object':
      return 'a mapping';
    case 'any':
      return 'a value';
  }
}

/** How error messages name a value they did not expect. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return `a string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)})`;
  if (typeof v === 'number') return Number.isInteger(v) ? `the integer ${v}` : `the number ${v}`;
  if (typeof v === 'boolean') return `the boolean ${v}`;
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return typeof v;
}
