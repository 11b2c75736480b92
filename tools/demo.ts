import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');

/** `npm run demo`'s replay arguments (package.json), with absolute paths: tests and tools run it in-process. */
export const DEMO_ARGS: readonly string[] = [
  'replay',
  join(ROOT, 'examples/cloudtrail'),
  join(ROOT, 'examples/sessions'),
  '--config',
  join(ROOT, 'examples/config.json'),
  '--target-tags',
  join(ROOT, 'examples/target-tags.json'),
];
