import { describe, expect, it } from 'vitest';
import { REDACTED, Redactor } from '../../../lambdas/adapters/peer5-api/redaction.ts';

const SECRET = 'tok-REDACT-51c0de9a';
const OTHER = 'tok-REDACT-rotated-3b7f';

describe('Redactor', () => {
  it('leaves text alone until it has been given a secret', () => {
    expect(new Redactor().redact(`say ${SECRET}`)).toBe(`say ${SECRET}`);
  });

  it('replaces every occurrence of every secret it was given', () => {
    const redactor = new Redactor();
    redactor.add(SECRET);
    redactor.add(OTHER);
    expect(redactor.redact(`${SECRET}, ${OTHER} and ${SECRET}`)).toBe(
      `${REDACTED}, ${REDACTED} and ${REDACTED}`,
    );
  });

  it('ignores an empty secret instead of redacting between every character', () => {
    const redactor = new Redactor();
    redactor.add('');
    expect(redactor.redact('plain')).toBe('plain');
  });

  it('describes a thrown value by name and message, redacted', () => {
    const redactor = new Redactor();
    redactor.add(SECRET);
    expect(redactor.detail(new TypeError(`bad header ${SECRET}`))).toBe(`TypeError: bad header ${REDACTED}`);
    expect(redactor.detail(`thrown string ${SECRET}`)).toBe(`thrown string ${REDACTED}`);
  });

  it('scrubs message and stack along the cause chain, and returns the same error', () => {
    const redactor = new Redactor();
    redactor.add(SECRET);
    const root = new Error(`socket said ${SECRET}`);
    const error = new Error(`fetch failed for ${SECRET}`, { cause: root });
    expect(redactor.scrub(error)).toBe(error);
    for (const each of [error, root]) {
      expect(each.message).not.toContain(SECRET);
      expect(each.stack ?? '').not.toContain(SECRET);
      expect(each.message).toContain(REDACTED);
    }
  });
});
