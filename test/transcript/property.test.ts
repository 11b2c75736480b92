import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../shared/model/config';
import { MemoryCarryOverStore } from '../../shared/state/memory';
import { annotateCommands, createCommandDetector } from '../../shared/transcript/commands';
import {
  detectTranscriptShape,
  readDataMessage,
  readRawLog,
  readStreamingJsonl,
  readSubscription,
  readTranscriptFile,
} from '../../shared/transcript/read';
import { scanTranscript } from '../../shared/transcript/scan';
import { normaliseLines } from '../../shared/transcript/terminal';
import type { TranscriptCarry, TranscriptLine } from '../../shared/transcript/types';

/** Terminal-looking text: escape-sequence fragments, controls, prompts and plain words mixed. */
const terminalText = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '\u001b',
        '\u001b[',
        '\u001b]0;',
        '\u001bP',
        '\u001b(',
        '\u009b',
        '\u0007',
        '\b',
        '\r',
        '\n',
        '\t',
        '\u001b[K',
        '\u001b[2P',
        '\u001b[A',
        '\u001b[5;9H',
        '\u001b[?2004h',
        '\u001b[200~',
        '^C',
        '$ ',
        '[u@h ~]# ',
        'PS C:\\> ',
        '> ',
        '\\',
        "'",
        ';',
      ),
      fc.string({ maxLength: 12 }),
      fc.integer({ min: 0, max: 99999 }).map(String),
    ),
    { maxLength: 60 },
  )
  .map((parts) => parts.join(''));

describe('never throws on arbitrary input', () => {
  it('normaliser: every input line maps to segments with valid indexes', () => {
    fc.assert(
      fc.property(
        fc.oneof(terminalText, fc.string()),
        fc.option(fc.integer({ min: -5, max: 300 })),
        (text, cols) => {
          const lines = text.split('\n');
          const out = normaliseLines(lines, cols === null ? {} : { columns: cols });
          for (const l of out) {
            expect(l.index).toBeGreaterThanOrEqual(0);
            expect(l.index).toBeLessThan(lines.length);
            expect(l.text).not.toMatch(/[\u001b\u0007\b\r\n]/);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('command annotation and detection', () => {
    fc.assert(
      fc.property(fc.array(terminalText, { maxLength: 8 }), (texts) => {
        const lines: TranscriptLine[] = texts.map((text, i) => ({ n: i + 1, text, erased: [] }));
        annotateCommands(lines);
        expect(() => createCommandDetector().scan(lines, {})).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });

  it('readers on arbitrary bytes, strings and JSON values', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.string(), fc.anything(), (bytes, text, value) => {
        for (const r of [
          readTranscriptFile(bytes, 'x.log'),
          readTranscriptFile(Uint8Array.from([0x1f, 0x8b, ...bytes]), 'x.gz'),
          readTranscriptFile(text, 'x.log'),
          readRawLog(bytes, 'dir/s-1.log'),
          readStreamingJsonl(text, 'x'),
          readSubscription(value, 'x'),
          readSubscription({ awslogs: { data: text } }, 'x'),
          readDataMessage(value, 'x'),
          readDataMessage(
            { messageType: 'DATA_MESSAGE', logStream: 's', logEvents: [value, { message: text }] },
            'x',
          ),
        ]) {
          expect(Array.isArray(r.chunks) && Array.isArray(r.errors)).toBe(true);
        }
        detectTranscriptShape(bytes);
        detectTranscriptShape(text);
        if (typeof value === 'object' && value !== null) detectTranscriptShape(value);
      }),
      { numRuns: 500 },
    );
  });

  it('scanner resolves on arbitrary deliveries', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(terminalText, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        async (texts, final) => {
          const ctx = {
            config: DEFAULT_CONFIG,
            carry: new MemoryCarryOverStore<TranscriptCarry>(),
            pii: undefined,
          };
          const chunk = {
            sessionId: 's',
            origin: 'p',
            final,
            events: texts.map((text) => ({ time: '', text })),
          };
          const r = await scanTranscript(chunk, ctx, [createCommandDetector()]);
          expect(Array.isArray(r.findings)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});
