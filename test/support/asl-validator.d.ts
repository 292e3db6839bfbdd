/** asl-validator ships no types: the one call the tests make. */
declare module 'asl-validator' {
  export default function validator(
    definition: unknown,
    options?: { readonly checkPaths?: boolean; readonly checkArn?: boolean },
  ): { isValid: boolean; errors: unknown[] };
}
