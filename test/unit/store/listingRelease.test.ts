// A listing read from index.listing and handed back unchanged (restamped) closes the file it reads its
// columns from when released: a reader polling a store that does not change keeps no file open.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { TABLE_SECTIONS } from '../../../src/core/store/listing';
import { Store } from '../../../src/core/store/store';
import { tempDir } from '../../helpers/tmp';

const openFds = () => fs.readdirSync('/proc/self/fd').length;

test('releasing an unchanged listing closes its file', { skip: !fs.existsSync('/proc/self/fd') }, () => {
  const store = Store.open(path.join(tempDir('runlens-release-'), '.runlens'), { create: true });
  for (let i = 0; i < 5; i++) store.createRun({ name: `r${i}`, status: 'finished', pid: null });
  store.listing().listing.releaseFile(); // writes index.listing
  const before = openFds();
  for (let k = 0; k < 6; k++) {
    const { listing, source } = store.listing({ sections: TABLE_SECTIONS });
    assert.equal(source, 'listing');
    assert.equal(listing.size, 5);
    listing.releaseFile();
  }
  assert.equal(openFds(), before);
  // a listing whose columns are all read has closed its file by itself
  const { listing } = store.listing({ sections: TABLE_SECTIONS });
  listing.close();
  assert.equal(openFds(), before);
  assert.equal(listing.entry(0).status, 'finished');
});
