import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { mergeChannelParts } from '../../../core/features/channel-merge.js';
import { channelFile, orderChannelLines } from '../../../core/text/channel-line.js';
import { FolderObjectStore } from '../../../local/adapters/folder-object-store.js';

const BUCKET = 'lake';
const FOLDER = 'features/reviews/run-1/split=train/';

describe('mergeChannelParts', () => {
  let root: string;
  let store: FolderObjectStore;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'sluice-merge-'));
    store = new FolderObjectStore(root);
    await mkdir(path.join(root, BUCKET, FOLDER), { recursive: true });
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  describe('a channel of gzip parts, as Athena writes TEXTFILE', () => {
    it('writes one plain data.txt with the parts gunzipped and deletes the parts when the query wrote several', async () => {
      // Prepare: the parts' names out of order on purpose; one part is not gzip (a plain part is taken as it is).
      const lines = orderChannelLines(['__label__great tasty !', '__label__other "stale" , sadly', '__label__great a\u0001b']);
      const expected = channelFile(lines.map((line) => ({ label: line.slice('__label__'.length).split(' ')[0] ?? '', text: line.split(' ').slice(1).join(' ') })));
      const [first, second, third] = expected.split(/(?<=\n)/);
      await writeFile(path.join(root, BUCKET, FOLDER, 'b-part.gz'), gzipSync(Buffer.from(second ?? '')));
      await writeFile(path.join(root, BUCKET, FOLDER, 'a-part.gz'), gzipSync(Buffer.from(first ?? '')));
      await writeFile(path.join(root, BUCKET, FOLDER, 'c-part'), third ?? '');

      // Act
      const merge = await mergeChannelParts(store, BUCKET, FOLDER, 'data.txt');

      // Assess
      expect(merge.parts).toEqual([`${FOLDER}a-part.gz`, `${FOLDER}b-part.gz`, `${FOLDER}c-part`]);
      // The parts' names are out of the lines' order: the merge follows the lines, not the names.
      expect(await readFile(path.join(root, BUCKET, FOLDER, 'data.txt'), 'utf8')).toBe(expected);
      expect(merge.bytes).toBe(Buffer.byteLength(expected));
      expect(await readdir(path.join(root, BUCKET, FOLDER))).toEqual(['data.txt']);
    });

    it('writes the lines in the channel order of all the parts when each part is sorted but the parts interleave', async () => {
      // Prepare: what Athena's parallel writers give for an ORDER BY, each file sorted, the files not relative to
      // each other (https://docs.aws.amazon.com/athena/latest/ug/unload.html); a duplicated line and a line without a
      // final newline at the end of a part, too.
      const words = ['tasty', 'stale', 'fine', 'bad', 'sweet', 'salty', 'cheap', 'fresh', 'odd', 'crisp', 'soft', 'dry', 'tasty'];
      const all = orderChannelLines(words.map((word, i) => `__label__${i % 2 === 0 ? 'great' : 'other'} ${word}`));
      const parts = [all.filter((_, i) => i % 3 === 0), all.filter((_, i) => i % 3 === 1), all.filter((_, i) => i % 3 === 2)];
      await writeFile(path.join(root, BUCKET, FOLDER, 'z-part.gz'), gzipSync(Buffer.from(parts[0]?.map((line) => `${line}\n`).join('') ?? '')));
      await writeFile(path.join(root, BUCKET, FOLDER, 'm-part.gz'), gzipSync(Buffer.from(parts[1]?.map((line) => `${line}\n`).join('') ?? '')));
      await writeFile(path.join(root, BUCKET, FOLDER, 'a-part.gz'), gzipSync(Buffer.from(parts[2]?.join('\n') ?? '')));

      // Act
      await mergeChannelParts(store, BUCKET, FOLDER, 'data.txt');

      // Assess: one sorted file, as the local engine writes the whole channel
      expect(await readFile(path.join(root, BUCKET, FOLDER, 'data.txt'), 'utf8')).toBe(all.map((line) => `${line}\n`).join(''));
    });

    it('leaves data.txt as it is when a retry finds the parts already merged', async () => {
      // Prepare
      await writeFile(path.join(root, BUCKET, FOLDER, 'part-00000.gz'), gzipSync(Buffer.from('__label__great yes\n')));
      await mergeChannelParts(store, BUCKET, FOLDER, 'data.txt');

      // Act
      const again = await mergeChannelParts(store, BUCKET, FOLDER, 'data.txt');

      // Assess
      expect(again).toEqual({ key: `${FOLDER}data.txt`, parts: [], bytes: 19 });
      expect(await readFile(path.join(root, BUCKET, FOLDER, 'data.txt'), 'utf8')).toBe('__label__great yes\n');
    });

    it('writes an empty data.txt when the split has no rows', async () => {
      // Act
      const merge = await mergeChannelParts(store, BUCKET, FOLDER, 'data.txt');

      // Assess
      expect(merge).toEqual({ key: `${FOLDER}data.txt`, parts: [], bytes: 0 });
      expect(await readFile(path.join(root, BUCKET, FOLDER, 'data.txt'), 'utf8')).toBe('');
    });
  });
});
