/**
 * The API token inside a Secrets Manager secret: the raw token, or JSON `{"token": "..."}`. Every
 * message here names the secret and the shape it should have, never its keys or values: a token
 * pasted in the wrong place (as a JSON key, under another key) is still a token.
 */
export class ApiTokenError extends Error {
  override readonly name = 'ApiTokenError';
}

/** The shapes a secret may have, as the messages put them. */
const EXPECTED_SHAPE = 'the raw API token, or JSON {"token": "<token>"}';

function parsedSecret(value: unknown): unknown {
  if (typeof value !== 'string' || !value.trim().startsWith('{')) return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    // Not JSON after all: a raw token that happens to start with "{".
    return value;
  }
}

/** What the secret holds, in words that reveal none of its content. */
function describeShape(secret: unknown): string {
  if (secret === null || secret === undefined || (typeof secret === 'string' && secret.trim() === '')) {
    return 'is empty';
  }
  if (Array.isArray(secret)) return 'holds a JSON array';
  if (typeof secret === 'object') {
    const keys = Object.keys(secret).length;
    return `holds a JSON object without a non-empty string "token" field (${keys} ${keys === 1 ? 'key' : 'keys'}, not shown: a token may be among them)`;
  }
  return `holds a JSON ${typeof secret}`;
}

/**
 * Reads the token from a secret value, as a string (`SecretString`) or already parsed from JSON
 * (as @middy/secrets-manager returns it).
 */
export function tokenOfSecret(value: unknown, secretId: string): string {
  const secret = parsedSecret(value);
  if (typeof secret === 'string' && secret.trim() !== '') return secret.trim();
  if (typeof secret === 'object' && secret !== null && !Array.isArray(secret)) {
    const token = (secret as Record<string, unknown>).token;
    if (typeof token === 'string' && token.trim() !== '') return token.trim();
  }
  throw new ApiTokenError(`secret "${secretId}" ${describeShape(secret)}; store ${EXPECTED_SHAPE} in it`);
}
