/**
 * The ASCII characters the body parsers, the row checker and the lake's encoder scan for, named
 * once: the same numbers as UTF-16 code units and as UTF-8 bytes.
 */
export const CHAR = {
  TAB: 0x09,
  NEWLINE: 0x0a,
  CARRIAGE_RETURN: 0x0d,
  SPACE: 0x20,
  QUOTE: 0x22,
  COMMA: 0x2c,
  DOT: 0x2e,
  ZERO: 0x30,
  NINE: 0x39,
  COLON: 0x3a,
  LESS_THAN: 0x3c,
  OPEN_BRACKET: 0x5b,
  BACKSLASH: 0x5c,
  CLOSE_BRACKET: 0x5d,
  OPEN_BRACE: 0x7b,
  CLOSE_BRACE: 0x7d,
} as const;
