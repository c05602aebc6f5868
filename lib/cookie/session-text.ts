import type { JsonObject } from '../json.js';

// A sealed session's JSON, written so change detection needs no stringify on read: the hidden `_` keys (`_expire`, `_maxAge`, …) first, then the
// app's data as `appText`. What follows the `_` keys is thus `JSON.stringify(session.toJSON())` (toJSON skips `_` keys, keeps the order), compared at
// commit with the text about to be written. Still one JSON object: older readers open it as before.
export function sessionText(hidden: JsonObject, appText: string): string {
  const hiddenText = JSON.stringify(hidden);
  if (hiddenText === '{}') return appText;
  if (appText === '{}') return hiddenText;
  return `${hiddenText.slice(0, -1)},${appText.slice(1)}`;
}

const QUOTE = 34, BACKSLASH = 92, COMMA = 44, CLOSE_BRACE = 125, UNDERSCORE = 95; // char codes

// `{` and what follows the leading `_` keys (valued numbers, booleans or strings); undefined for a text written another way (stringify it).
export function appTextOf(text: string): string | undefined {
  if (text.charCodeAt(1) !== QUOTE || text.charCodeAt(2) !== UNDERSCORE) return;
  let i = 1;
  while (text.charCodeAt(i) === QUOTE && text.charCodeAt(i + 1) === UNDERSCORE) {
    const keyEnd = text.indexOf('"', i + 1);
    // a value starts after `":`; a string value ends at its first unescaped quote
    let j = keyEnd + 2;
    if (text.charCodeAt(j) === QUOTE) {
      for (j++; text.charCodeAt(j) !== QUOTE; j++) if (text.charCodeAt(j) === BACKSLASH) j++;
      j++;
    } else {
      while (j < text.length && text.charCodeAt(j) !== COMMA && text.charCodeAt(j) !== CLOSE_BRACE) j++;
    }
    if (j >= text.length || keyEnd < 0) return;
    if (text.charCodeAt(j) === CLOSE_BRACE) return '{}';
    i = j + 1;
  }
  return `{${text.slice(i)}`;
}
