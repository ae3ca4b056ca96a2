// PKCE (RFC 7636) as a table: which challenges an authorization request may carry, and which
// verifiers prove them.
import t from 'tap';
import { createHash } from 'node:crypto';
import { readChallenge, verifyPkce } from '../services/xsuaa/pkce.js';

const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const S256 = createHash('sha256').update(VERIFIER).digest('base64url');

t.test('reads the challenge of an authorization request', async (t) => {
  const rows: Array<[string, string | undefined, string | undefined, object]> = [
    ['no PKCE at all', undefined, undefined, { ok: true, challenge: undefined }],
    ['S256 (what the approuter sends)', S256, 'S256', { ok: true, challenge: { value: S256, method: 'S256' } }],
    ['plain, named', VERIFIER, 'plain', { ok: true, challenge: { value: VERIFIER, method: 'plain' } }],
    ['a challenge without a method is plain (RFC 7636 §4.3)', VERIFIER, undefined, { ok: true, challenge: { method: 'plain' } }],
    ['an unknown method is refused', S256, 'S512', { ok: false, reason: /Unsupported code challenge method/ }],
    ['a method without a challenge is refused', undefined, 'S256', { ok: false }],
    ['a too short challenge is refused', 'abc', 'S256', { ok: false, reason: /43-128/ }],
    ['a challenge with other characters is refused', `${S256.slice(0, 42)}+/`, 'S256', { ok: false }],
  ];
  for (const [name, challenge, method, expected] of rows) t.match(readChallenge(challenge, method), expected, name);
});

t.test('checks the code_verifier against the challenge', async (t) => {
  const s256 = { value: S256, method: 'S256' as const };
  const rows: Array<[string, Parameters<typeof verifyPkce>[0], string | undefined, boolean, RegExp?]> = [
    ['the right verifier proves S256', s256, VERIFIER, true],
    ['the right verifier proves plain', { value: VERIFIER, method: 'plain' }, VERIFIER, true],
    ['no challenge and no verifier', undefined, undefined, true],
    ['another verifier is refused', s256, `${VERIFIER.slice(0, -1)}Y`, false, /does not match/],
    ['the challenge itself is not a verifier', s256, S256, false, /does not match/],
    ['a missing verifier is refused', s256, undefined, false, /missing/],
    ['an empty verifier is refused', s256, '', false, /missing/],
    ['a verifier without a challenge is refused', undefined, VERIFIER, false, /no code_challenge/],
    ['a verifier of the wrong shape is refused', s256, 'short', false, /43-128/],
  ];
  for (const [name, challenge, verifier, ok, reason] of rows) {
    const result = verifyPkce(challenge, verifier);
    t.equal(result.ok, ok, name);
    if (reason !== undefined) t.match(result, { reason }, `${name}: why`);
  }
});
