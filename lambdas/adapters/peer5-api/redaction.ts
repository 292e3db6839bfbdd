/**
 * Keeps the API token out of every message the client writes: each token the client is given is
 * remembered, and any text that might echo one (server bodies, library errors, headers) passes
 * through `redact` before it goes into an error or an event.
 */

/** Text with every known secret replaced by `[redacted]`. */
export type Redact = (text: string) => string;

export const REDACTED = '[redacted]';

export class Redactor {
  private readonly secrets = new Set<string>();

  /** Remembers a secret; from now on `redact` removes it. */
  add(secret: string): void {
    if (secret !== '') this.secrets.add(secret);
  }

  readonly redact: Redact = (text) => {
    let result = text;
    for (const secret of this.secrets) result = result.split(secret).join(REDACTED);
    return result;
  };

  /** `name: message` of a thrown value, redacted. */
  detail(thrown: unknown): string {
    return this.redact(thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown));
  }

  /**
   * A last line of defence: if any message or stack in the error's cause chain still holds a secret
   * (library text we did not foresee), rewrite it before the error leaves the client.
   */
  scrub<E extends Error>(error: E): E {
    let current: unknown = error;
    for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
      for (const key of ['message', 'stack'] as const) {
        const value = current[key];
        if (typeof value === 'string') {
          const clean = this.redact(value);
          if (clean !== value)
            Object.defineProperty(current, key, { value: clean, configurable: true, writable: true });
        }
      }
      current = current.cause;
    }
    return error;
  }
}
