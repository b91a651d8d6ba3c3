import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readRequestCounts, RequestCounter } from '../../../local/console/request-counter.js';

describe('RequestCounter', () => {
  describe('an endpoint that answered requests', () => {
    it('records how many were answered and since when when it is flushed', async () => {
      // Prepare
      const dir = await mkdtemp(path.join(tmpdir(), 'sluice-requests-'));
      const counter = new RequestCounter(dir);

      // Act
      counter.answer();
      counter.answer();
      counter.answer();
      await counter.flush();

      // Assess
      const counts = await readRequestCounts(dir);
      expect(counts?.answered).toBe(3);
      expect(Date.parse(counts?.since ?? '')).not.toBeNaN();
    });
  });

  describe('an endpoint that answered none', () => {
    it('has no record when nothing was flushed', async () => {
      // Prepare
      const dir = await mkdtemp(path.join(tmpdir(), 'sluice-requests-'));

      // Act
      const counts = await readRequestCounts(dir);

      // Assess
      expect(counts).toBeUndefined();
    });
  });
});
