import type { JsonObject } from '../json.js';

// The JSON text of a sealed session, written so that change detection needs no stringify on read: the hidden `_` keys koa-session and this
// plugin add (`_expire`, `_maxAge`, `_created`, ...) come first, then the app's data as `appText` (its JSON.stringify). What follows the
// `_` keys is thus exactly `JSON.stringify(session.toJSON())` of the session the text opens to (Session#toJSON skips `_` keys and keeps the
// order), compared at commit with the text about to be written. Still one JSON object: older readers open it as before.
export function sessionText(hidden: JsonObject, appText: string): string {
  const hiddenText = JSON.stringify(hidden);
  if (hiddenText === '{}') return appText;
  if (appText === '{}') return hiddenText;
  return `${hiddenText.slice(0, -1)},${appText.slice(1)}`;
}

const QUOTE = 34, BACKSLASH = 92, COMMA = 44, CLOSE_BRACE = 125, UNDERSCORE = 95; // char codes

// The app's part of a text `sessionText` wrote: `{` and what follows the leading `_` keys (whose values are numbers, booleans or strings).
// Undefined for a text that does not start with a `_` key (written another way): the caller stringifies the session instead.
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
