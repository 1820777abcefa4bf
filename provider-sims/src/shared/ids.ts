import { randomBytes } from 'node:crypto';

const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

function randomString(length: number, alphabet: string): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}

/** A Gemini-style resource id (operations, files): lowercase letters and digits. */
export function googleId(length = 12): string {
  return randomString(length, LOWER_ALNUM);
}

/** A Replicate-style prediction id: 26 characters of lowercase base32. */
export function replicateId(): string {
  return randomString(26, BASE32);
}

/** A webhook message id as Replicate's (Svix) deliveries carry it. */
export function webhookMessageId(): string {
  return `msg_${randomString(27, LOWER_ALNUM)}`;
}
