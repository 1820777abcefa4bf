import { createHmac } from 'node:crypto';
import { SIGNATURE_HEADER, SIGNATURE_TOLERANCE_SECONDS, signBody, verifySignature } from '@vidgen/contract';

const SECRET = 'shared-secret-1';
const BODY = JSON.stringify({ jobId: 'job-1', attemptIndex: 0, tier: 'animatediff' });
/** A whole second, so that skews below are exact. */
const NOW = new Date('2025-06-01T12:00:00.000Z');
const UNIX = NOW.getTime() / 1000;

function seconds(offset: number): Date {
  return new Date(NOW.getTime() + offset * 1000);
}

describe('signBody', () => {
  it('produces t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">', () => {
    const expected = createHmac('sha256', SECRET).update(`${UNIX}.${BODY}`).digest('hex');
    expect(signBody(SECRET, BODY, NOW)).toBe(`t=${UNIX},v1=${expected}`);
  });

  it('floors the time to whole seconds', () => {
    expect(signBody(SECRET, BODY, new Date(NOW.getTime() + 999))).toBe(signBody(SECRET, BODY, NOW));
  });

  it('differs for a different body, secret or second', () => {
    const base = signBody(SECRET, BODY, NOW);
    expect(signBody(SECRET, `${BODY} `, NOW)).not.toBe(base);
    expect(signBody('other', BODY, NOW)).not.toBe(base);
    expect(signBody(SECRET, BODY, seconds(1))).not.toBe(base);
  });

  it('names its header', () => {
    expect(SIGNATURE_HEADER).toBe('x-vidgen-signature');
  });
});

describe('verifySignature', () => {
  const header = signBody(SECRET, BODY, NOW);

  it('accepts its own signature', () => {
    expect(verifySignature(SECRET, BODY, header, NOW)).toEqual({ ok: true });
  });

  it('accepts the parts in either order and with spaces after the comma', () => {
    const [t, v1] = header.split(',');
    expect(verifySignature(SECRET, BODY, `${v1},${t}`, NOW)).toEqual({ ok: true });
    expect(verifySignature(SECRET, BODY, `${t}, ${v1}`, NOW)).toEqual({ ok: true });
  });

  it('round-trips an empty body and a unicode body', () => {
    expect(verifySignature(SECRET, '', signBody(SECRET, '', NOW), NOW)).toEqual({ ok: true });
    const body = '{"prompt":"un chat 🐱 très rapide"}';
    expect(verifySignature(SECRET, body, signBody(SECRET, body, NOW), NOW)).toEqual({ ok: true });
  });

  it('refuses a tampered body', () => {
    expect(verifySignature(SECRET, BODY.replace('"attemptIndex":0', '"attemptIndex":1'), header, NOW)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature(SECRET, `${BODY}\n`, header, NOW)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('refuses a wrong secret', () => {
    expect(verifySignature('shared-secret-2', BODY, header, NOW)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('refuses a timestamp changed after signing', () => {
    const moved = header.replace(`t=${UNIX}`, `t=${UNIX + 1}`);
    expect(verifySignature(SECRET, BODY, moved, NOW)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('refuses a tampered digest', () => {
    const digest = header.split('v1=')[1]!;
    const flipped = `${digest[0] === '0' ? '1' : '0'}${digest.slice(1)}`;
    expect(verifySignature(SECRET, BODY, `t=${UNIX},v1=${flipped}`, NOW)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it(`accepts a clock skew of up to ${SIGNATURE_TOLERANCE_SECONDS} s either way`, () => {
    expect(SIGNATURE_TOLERANCE_SECONDS).toBe(300);
    expect(verifySignature(SECRET, BODY, header, seconds(300))).toEqual({ ok: true });
    expect(verifySignature(SECRET, BODY, header, seconds(-300))).toEqual({ ok: true });
    expect(verifySignature(SECRET, BODY, header, seconds(299))).toEqual({ ok: true });
  });

  it('refuses a signature more than 300 s old or ahead as expired', () => {
    expect(verifySignature(SECRET, BODY, header, seconds(301))).toEqual({ ok: false, reason: 'expired' });
    expect(verifySignature(SECRET, BODY, header, seconds(-301))).toEqual({ ok: false, reason: 'expired' });
    expect(verifySignature(SECRET, BODY, header, seconds(3600))).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses an expired signature as expired even when it also fails to match', () => {
    expect(verifySignature('wrong', BODY, header, seconds(301))).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses a missing header', () => {
    expect(verifySignature(SECRET, BODY, undefined, NOW)).toEqual({ ok: false, reason: 'missing' });
    expect(verifySignature(SECRET, BODY, '', NOW)).toEqual({ ok: false, reason: 'missing' });
  });

  it.each([
    ['garbage', 'garbage'],
    ['no v1', `t=${UNIX}`],
    ['no t', `v1=${'a'.repeat(64)}`],
    ['a non-numeric t', `t=now,v1=${'a'.repeat(64)}`],
    ['a fractional t', `t=${UNIX}.5,v1=${'a'.repeat(64)}`],
    ['a short digest', `t=${UNIX},v1=${'a'.repeat(63)}`],
    ['a long digest', `t=${UNIX},v1=${'a'.repeat(65)}`],
    ['a non-hex digest', `t=${UNIX},v1=${'g'.repeat(64)}`],
    ['an upper-case digest', `t=${UNIX},v1=${'A'.repeat(64)}`],
    ['an empty digest', `t=${UNIX},v1=`],
    ['a different version', `t=${UNIX},v0=${'a'.repeat(64)}`],
  ])('refuses %s as malformed', (_name, malformed) => {
    expect(verifySignature(SECRET, BODY, malformed, NOW)).toEqual({ ok: false, reason: 'malformed' });
  });

  // Exposes a bug: `Number('')` is 0, an integer, so an empty `t=` passes the malformed check and
  // is reported as an expired signature from 1970 instead of a malformed header.
  it('refuses an empty t as malformed', () => {
    expect(verifySignature(SECRET, BODY, `t=,v1=${'a'.repeat(64)}`, NOW)).toEqual({ ok: false, reason: 'malformed' });
  });
});
