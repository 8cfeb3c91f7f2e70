// A listing read from index.listing and handed back unchanged (restamped) closes the file it reads its
// columns from when released: a reader polling a store that does not change keeps no file open; and
// a store that does not change is not listed again (made and written) at every read.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { LISTING_FILE, TABLE_SECTIONS } from '../../../src/core/store/listing';
import { Store } from '../../../src/core/store/store';
import { MetricLog } from '../../../src/core/tracking/metricLog';
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

test('a run removed after the journal noted it leaves the listing as it is at the next reads', () => {
  const store = Store.open(path.join(tempDir('runlens-removed-'), '.runlens'), { create: true });
  for (let i = 0; i < 5; i++) store.createRun({ name: `r${i}`, status: 'finished', pid: null });
  store.listing().listing.releaseFile();
  // a run read while it logs: its entries go to the journal
  const live = store.createRun({ name: 'live' });
  const log = new MetricLog(store.metricsFile(live.id));
  for (let s = 0; s < 3; s++) {
    log.log({ loss: 1 / (s + 1) }, s);
    log.flush();
    store.listing().listing.releaseFile();
  }
  log.close();
  store.removeRun(live.id);
  const first = store.listing();
  first.listing.releaseFile();
  assert.equal(first.listing.size, 5);
  assert.equal(first.listing.rowOf(live.id), undefined);
  // runs/ unchanged since (its mtime old enough to trust): the listing is read, not made again
  const t = Date.now() / 1000 - 60;
  fs.utimesSync(store.runsDir, t, t);
  store.listing().listing.releaseFile();
  const file = path.join(store.dir, LISTING_FILE);
  const made = fs.statSync(file);
  for (let k = 0; k < 3; k++) {
    const { listing, source } = store.listing();
    listing.releaseFile();
    assert.equal(source, 'listing');
    assert.equal(listing.size, 5);
    assert.equal(listing.rowOf(live.id), undefined);
  }
  const now = fs.statSync(file);
  assert.equal(now.ino, made.ino, 'index.listing was not written again');
  assert.equal(now.mtimeMs, made.mtimeMs);
});
