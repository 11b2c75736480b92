import { describe, expect, it } from 'vitest';
import { MemoryCarryOverStore } from '#cli/state';
import { BufferedCarryOverStore } from '#shared/state/buffered';

describe('BufferedCarryOverStore', () => {
  it('reads its own pending writes and writes nothing through until commit', async () => {
    const inner = new MemoryCarryOverStore<{ n: number }>();
    await inner.put('s1', { n: 1 });
    const staged = new BufferedCarryOverStore(inner);
    await staged.put('s1', { n: 2 });
    expect(await staged.get('s1')).toEqual({ n: 2 });
    expect(await inner.get('s1')).toEqual({ n: 1 });
    await staged.commit();
    expect(await inner.get('s1')).toEqual({ n: 2 });
  });
});
