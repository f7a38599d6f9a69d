/**
 * Credentials inside text: `scheme://user:password@host` anywhere in a string (a log line, an ffmpeg error,
 * a stats payload) loses its user info. Used by the logger on every line and by `redact` on config values.
 */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"]*(?:@[^\s/?#@"]*)*@/gi;

/** C0 and C1 control characters (ESC, BEL, CR, LF, CSI ...): terminal escapes and forged lines. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;

/** `text` with every control character replaced by `replacement` (default '?'). */
export function stripControlCharacters(text: string, replacement = '?'): string {
  return text.replace(CONTROL_CHARACTERS, replacement);
}

/** Replaces the user info of every URL in `text` with `***` (`rtsp://***@cam/stream`). */
export function redactUrlCredentials(text: string): string {
  return text.includes('@') ? text.replace(URL_USERINFO, '$1***@') : text;
}

/** True when `text` holds a URL with user info (a user name or a password). */
export function hasUrlCredentials(text: string): boolean {
  URL_USERINFO.lastIndex = 0;
  const found = URL_USERINFO.test(text);
  URL_USERINFO.lastIndex = 0;
  return found;
}
