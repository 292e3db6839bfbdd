/**
 * A caught value as one line for a message: `Name: message` for an Error (the SDK's errors carry
 * their code in the name), the value as text otherwise. The caller still decides what may be
 * quoted: nothing here redacts.
 */
export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
