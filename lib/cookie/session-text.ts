import type { JsonObject } from '../json.js';

/**
 * The JSON text of a sealed session, written so that change detection needs no stringify on read:
 * the hidden `_` keys koa-session and this plugin add (`_expire`, `_maxAge`, `_created`, ...) come
 * first, the app's data after them. What follows the `_` keys is then exactly
 * `JSON.stringify(session.toJSON())` of the session the text opens to (Session#toJSON skips `_`
 * keys and keeps the order), so it is compared with the text about to be written at commit.
 * It is still one JSON object: older readers open it as before.
 */
export function sessionText(data: JsonObject, dataText?: string): string {
  const hidden: JsonObject = {};
  const visible: JsonObject | undefined = dataText === undefined ? {} : undefined;
  for (const key in data) {
    if (key[0] === '_') hidden[key] = data[key];
    else if (visible) visible[key] = data[key];
  }
  const hiddenText = JSON.stringify(hidden);
  const appText = dataText ?? JSON.stringify(visible);
  if (hiddenText === '{}') return appText;
  if (appText === '{}') return hiddenText;
  return `${hiddenText.slice(0, -1)},${appText.slice(1)}`;
}

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const CLOSE_BRACE = 125;
const UNDERSCORE = 95;

/**
 * The app's part of a text `sessionText` wrote: `{` and what follows the leading `_` keys (whose
 * values are numbers, booleans or strings). Undefined for a text that does not start with a `_`
 * key (written another way): the caller stringifies the session instead.
 */
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
