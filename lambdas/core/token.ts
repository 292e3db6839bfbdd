/**
 * The API token inside a Secrets Manager secret: the raw token, or JSON `{"token": "..."}`. Every
 * message here names the secret and never its value.
 */
export class ApiTokenError extends Error {
  override readonly name = 'ApiTokenError';
}

function parsedSecret(value: unknown): unknown {
  if (typeof value !== 'string' || !value.trim().startsWith('{')) return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    // Not JSON after all: a raw token that happens to start with "{".
    return value;
  }
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
    const keys = Object.keys(secret).join(', ') || 'none';
    throw new ApiTokenError(
      `secret "${secretId}" is JSON without a non-empty "token" field (its keys: ${keys}); store the raw token or {"token": "..."}`,
    );
  }
  throw new ApiTokenError(`secret "${secretId}" is empty; store the raw API token or {"token": "..."}`);
}
