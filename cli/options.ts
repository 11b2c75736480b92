import { createReadStream } from 'node:fs';
import { describeError, InputError } from '#shared/errors';
import { field } from '#shared/format/sanitize';
import { exceedsDepth, MAX_JSON_DEPTH } from './input';

/**
 * The JSON files options name (`--config`, `--target-tags`): read whole, so bounded in size and
 * depth, and every problem reported by option and file name, never by value.
 */

/** Largest `--config` / `--target-tags` file (a tag map for tens of thousands of instances fits). */
export const MAX_OPTION_FILE_BYTES = 16 * 1024 * 1024;

/** Read and parse the JSON file an option names; throws an InputError that names both. */
export async function readJsonOption(file: string, flag: string): Promise<unknown> {
  const where = `${flag} ${field(file, 200)}`;
  let bytes: Buffer;
  try {
    bytes = await readCapped(file, MAX_OPTION_FILE_BYTES);
  } catch (e) {
    if (e instanceof InputError) throw new InputError(`${where}: ${e.message}`);
    throw new InputError(`${where}: cannot read the file (${describeError(e)})`);
  }
  if (exceedsDepth(bytes, MAX_JSON_DEPTH))
    throw new InputError(`${where}: JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new InputError(`${where}: ${describeError(e)}`);
  }
}

/** A whole file (pipes too: `--config <(…)`), refused past `max` bytes without reading further. */
async function readCapped(file: string, max: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  const stream = createReadStream(file, { highWaterMark: 1024 * 1024 });
  try {
    for await (const b of stream as AsyncIterable<Buffer>) {
      size += b.length;
      if (size > max) throw new InputError(`file larger than ${max / (1024 * 1024)} MiB`);
      parts.push(b);
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(parts);
}

/**
 * `--target-tags`: `{"i-0abc…": {"Environment": "prod"}}`. Tag values must be strings; a problem is
 * reported with the target and tag key (field names here), never the value. Null-prototype maps, so
 * a target id such as `constructor` or `__proto__` is just a key.
 */
export function parseTargetTags(v: unknown): Record<string, Record<string, string>> {
  if (!isPlainObject(v))
    throw new InputError('--target-tags must map target ids to {"TagKey": "value"} objects');
  const out: Record<string, Record<string, string>> = Object.create(null);
  for (const [target, tags] of Object.entries(v)) {
    if (!isPlainObject(tags))
      throw new InputError(`--target-tags: target ${field(target, 80)} must map tag keys to strings`);
    const clean: Record<string, string> = Object.create(null);
    for (const [key, value] of Object.entries(tags)) {
      if (typeof value !== 'string')
        throw new InputError(
          `--target-tags: tag ${field(key, 80)} of target ${field(target, 80)} must be a string`,
        );
      clean[key] = value;
    }
    out[target] = clean;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
