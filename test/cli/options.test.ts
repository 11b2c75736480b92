import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_OPTION_FILE_BYTES, parseTargetTags, readJsonOption } from '#cli/options';
import { InputError } from '#shared/errors';

function file(name: string, content: string | Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'sentinel-options-'));
  writeFileSync(join(dir, name), content);
  return join(dir, name);
}

describe('parseTargetTags', () => {
  it('keeps string tag values', () => {
    const tags = parseTargetTags({ 'i-1': { Environment: 'prod' }, 'i-2': {} });
    expect(tags['i-1']).toEqual({ Environment: 'prod' });
    expect(tags['i-2']).toEqual({});
  });

  it('refuses a non-string value, naming the target and the key but never the value', () => {
    for (const value of [{ x: 1 }, 42, null, ['AKIAQ2WX7RZLM3KD5TPV'], true]) {
      const run = () => parseTargetTags({ 'i-1': { Env: value } });
      expect(run).toThrow(InputError);
      expect(run).toThrow('--target-tags: tag Env of target i-1 must be a string');
    }
    expect(() => parseTargetTags({ 'i-1': 'prod' })).toThrow('target i-1 must map tag keys to strings');
    expect(() => parseTargetTags([])).toThrow(/must map target ids/);
  });

  it('strips escape sequences from the names it reports', () => {
    expect(() => parseTargetTags({ 'i-1\u001b[2J': { 'K\u0007': 1 } })).toThrow(
      /^--target-tags: tag K of target i-1 \[2J must be a string$/,
    );
  });

  it('treats __proto__ and constructor as plain target ids', () => {
    const tags = parseTargetTags(JSON.parse('{"__proto__": {"Env": "prod"}}'));
    expect(Object.getPrototypeOf(tags)).toBeNull();
    expect(Object.getOwnPropertyDescriptor(tags, '__proto__')?.value).toEqual({ Env: 'prod' });
    expect(tags.constructor).toBeUndefined();
  });
});

describe('readJsonOption', () => {
  it('reads a JSON file', async () => {
    expect(await readJsonOption(file('c.json', '{"a":1}'), '--config')).toEqual({ a: 1 });
  });

  it('names the option and the file, never the content, for every problem', async () => {
    const bad = file('bad.json', '{"key": AKIAQ2WX7RZLM3KD5TPV}');
    await expect(readJsonOption(bad, '--config')).rejects.toThrow(/^--config .*bad\.json: invalid JSON/);
    await expect(readJsonOption(bad, '--config')).rejects.not.toThrow(/AKIA/);
    await expect(readJsonOption('/nonexistent/x.json', '--target-tags')).rejects.toThrow(
      '--target-tags /nonexistent/x.json: cannot read the file (no such file or directory)',
    );
    const deep = file('deep.json', `${'['.repeat(5000)}${']'.repeat(5000)}`);
    await expect(readJsonOption(deep, '--config')).rejects.toThrow(/nested deeper than 64 levels/);
  });

  it('refuses a file past MAX_OPTION_FILE_BYTES without reading all of it', async () => {
    const big = file('big.json', Buffer.alloc(MAX_OPTION_FILE_BYTES + 1, 0x20));
    await expect(readJsonOption(big, '--target-tags')).rejects.toThrow(/file larger than 16 MiB/);
  });
});
