/**
 * What `JSON.parse`'s error says, without the input it quotes. V8 quotes up to about ten characters of
 * the text around a bad token (`Unexpected token '}', ..."e!!"},"x":}" is not valid JSON`), or the
 * whole text when it is short; in a capture those characters may be part of a password. The reason
 * keeps V8's words and its position (`in JSON at position 45`) and drops the quoted text (and the
 * unexpected character itself): the caller
 * names the line or field, which is where a reader looks.
 */
export function jsonErrorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text
    .replace(/^Unexpected token '[\s\S]{1,2}', [\s\S]* is not valid JSON$/u, "Unexpected token")
    .replace(/^"[\s\S]*" is not valid JSON$/u, "the text is not valid JSON");
}
