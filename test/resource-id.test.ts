// SAP's encoded resource IDs in admin API URLs (scc-rest-api.md §2.4): the documented examples,
// the decoder's refusals, and a round trip over random IDs made of the characters that matter.
import t from 'tap';
import { randomInt } from 'node:crypto';
import { decodeResourceId, encodeResourceId } from '../services/connector/admin/resource-id.js';

t.test('encodes as SAP documents it: + → +2B, then - → +2D, then / → -', async (t) => {
  const table: Array<[string, string]> = [
    ['/', '-'],
    ['/sap/opu/odata', '-sap-opu-odata'],
    ['/a-b', '-a+2Db'],
    ['/a+b', '-a+2Bb'],
    ['/+-/', '-+2B+2D-'],
    ['/-+', '-+2D+2B'],
    ['/a b?c', '-a b?c'],
    ['', ''],
  ];
  for (const [id, encoded] of table) {
    t.equal(encodeResourceId(id), encoded, `${JSON.stringify(id)} → ${encoded}`);
    t.equal(decodeResourceId(encoded), id, `${encoded} → ${JSON.stringify(id)}`);
  }
});

t.test('decodes escapes in any case, and refuses a + that starts no escape', async (t) => {
  t.equal(decodeResourceId('-a+2db'), '/a-b');
  t.equal(decodeResourceId('-a+2bb'), '/a+b');
  for (const bad of ['-a+', '-a+2', '-a+2C', '+', '-x+3D']) t.equal(decodeResourceId(bad), undefined, `${bad} is not an encoded ID`);
});

t.test('decode(encode(id)) is id for 5000 random IDs', async (t) => {
  const alphabet = ['/', '-', '+', '2', 'B', 'D', 'b', 'd', 'a', '.', '~', ' ', '%', 'ä', '?'];
  const failures: string[] = [];
  for (let n = 0; n < 5000; n += 1) {
    const id = Array.from({ length: randomInt(0, 16) }, () => alphabet[randomInt(alphabet.length)]).join('');
    const encoded = encodeResourceId(id);
    if (decodeResourceId(encoded) !== id) failures.push(id);
    if (encoded.includes('/')) failures.push(`${id} (a slash survived)`);
  }
  t.same(failures, []);
});
