// The shape every error answer of the simulator has (services/shared/errors.ts): the status, the
// exact text/plain body, the `x-internal-error-code` header, and never a token in it.
import type { Test } from 'tap';

export interface ErrorAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text(): string;
}

export function expectError(
  t: Test, res: ErrorAnswer, status: number, code: string, text: string, secrets: Array<string | undefined> = [],
): void {
  t.equal(res.status, status, 'status');
  t.equal(res.text(), `${text}\n`, 'body text');
  t.match(res.headers['content-type'], /^text\/plain/, 'content-type');
  t.equal(res.headers['x-internal-error-code'], code, 'x-internal-error-code');
  for (const s of secrets) {
    if (s === undefined || s === '') continue;
    t.notOk(res.text().includes(s), 'the body does not contain the token');
    t.notOk(JSON.stringify(res.headers).includes(s), 'no header contains the token');
  }
}
