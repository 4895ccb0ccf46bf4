/**
 * The one place that says whether a name built from outside data may become a path or a git ref.
 *
 * Tag values (`phantom:path`, `phantom:ref`), the config's template paths, stack names read from a
 * scenario's file names and the branch built from them are data anyone with console or repository
 * access can write. Each is checked here before it reaches a file system, `git` or the Git Data API,
 * and a refusal says what was wrong, so the caller can report it and go on with the rest.
 */

/** A name that passed, or why it did not. */
export type Checked =
  | { readonly ok: true; readonly value: string }
  | { readonly ok: false; readonly reason: string };

/** A path, ref or name that {@link checkRepositoryPath}, {@link checkBranchName} or {@link checkPathSegment} refused. */
export class UnsafeNameError extends Error {
  override readonly name = "UnsafeNameError";
}

// C0 and C1 controls, DEL, and the line and paragraph separators: any of them can start a second
// line in a line-based protocol (`git update-index --index-info`, a trailer, a log line).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Longest path or ref accepted: far beyond any real one, short enough to bound every use. */
const MAX_LENGTH = 1024;

const ok = (value: string): Checked => ({ ok: true, value });
const no = (reason: string): Checked => ({ ok: false, reason });

function controlIn(text: string): string | undefined {
  const hit = CONTROL.exec(text);
  if (hit === null) return undefined;
  const code = hit[0].codePointAt(0) ?? 0;
  return `contains the control character U+${code.toString(16).toUpperCase().padStart(4, "0")} at ${hit.index}`;
}

/**
 * A `.git` directory in any spelling a file system may fold onto it: any case (`.GIT` on macOS and
 * Windows), trailing dots or spaces (NTFS drops them) and the 8.3 short name `git~1`, as git's own
 * `verify_path` refuses them.
 * @see https://github.blog/2014-12-18-vulnerability-announced-update-your-git-clients/
 */
function isGitDir(segment: string): boolean {
  const folded = segment.toLowerCase().replace(/[. ]+$/, "");
  return folded === ".git" || folded === "git~1";
}

/**
 * A path inside a repository, as written: relative, `/`-separated, no empty, `.` or `..` segment, no
 * `.git` segment in any case, no backslash, no control or line-separator character.
 */
export function checkRepositoryPath(path: string): Checked {
  if (path === "") return no("is empty");
  if (path.length > MAX_LENGTH) return no(`is longer than ${MAX_LENGTH} characters`);
  const control = controlIn(path);
  if (control) return no(control);
  if (path.includes("\\")) return no("contains a backslash");
  if (path.startsWith("/")) return no("is absolute");
  for (const segment of path.split("/")) {
    if (segment === "") return no("has an empty segment (// or a trailing /)");
    if (segment === "." || segment === "..") return no(`has a "${segment}" segment`);
    if (isGitDir(segment)) return no(`has a "${segment}" segment (git's own directory)`);
  }
  return ok(path);
}

/**
 * A branch name git accepts, checked as `git check-ref-format --branch` does, and a little stricter
 * (C1 controls, `\u2028`/`\u2029` and the lone `@`, which git reads as HEAD, are refused too): no
 * control character, space or `~^:?*[\`; no `..` or `@{`; not `HEAD`, not led by `-`; no empty
 * component (`//`, a leading or trailing `/`); no component led by `.` or ending in `.lock`; not
 * ending in `.`.
 * @see https://git-scm.com/docs/git-check-ref-format
 */
export function checkBranchName(name: string): Checked {
  if (name === "") return no("is empty");
  if (name.length > MAX_LENGTH) return no(`is longer than ${MAX_LENGTH} characters`);
  const control = controlIn(name);
  if (control) return no(control);
  const bad = /[ ~^:?*[\\]/.exec(name);
  if (bad) return no(`contains ${JSON.stringify(bad[0])}`);
  if (name.includes("..")) return no('contains ".."');
  if (name.includes("@{")) return no('contains "@{"');
  if (name === "@" || name === "HEAD") return no(`is "${name}", which git reads as the current commit`);
  if (name.startsWith("-")) return no('starts with "-"');
  if (name.endsWith(".")) return no('ends with "."');
  for (const component of name.split("/")) {
    if (component === "") return no("has an empty component (// or a leading or trailing /)");
    if (component.startsWith(".")) return no(`has a component starting with "." (${component})`);
    if (component.endsWith(".lock")) return no(`has a component ending in ".lock" (${component})`);
  }
  return ok(name);
}

/**
 * One directory or file name under a directory Phantom writes into (`<out>/<stack>/<window>`): not
 * empty, not `.` or `..`, no `/` or `\`, no control character, so it can never leave its parent.
 */
export function checkPathSegment(name: string): Checked {
  if (name === "") return no("is empty");
  if (name.length > 255) return no("is longer than 255 characters");
  const control = controlIn(name);
  if (control) return no(control);
  if (name === "." || name === "..") return no(`is "${name}"`);
  if (name.includes("/") || name.includes("\\")) return no("contains a path separator");
  return ok(name);
}

const STACK_NAME = /^[A-Za-z][-A-Za-z0-9]{0,127}$/;

/**
 * A CloudFormation stack name: a letter, then letters, digits and hyphens, at most 128 characters
 * (CreateStack's `StackName` constraint). Every such name is also a safe path segment and a valid
 * component of the branch `phantom/<stack>`.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html
 */
export function checkStackName(name: string): Checked {
  if (STACK_NAME.test(name)) return ok(name);
  const control = controlIn(name);
  return no(
    control ??
      (name.length > 128
        ? "is longer than 128 characters"
        : "is not a letter followed by letters, digits and hyphens"),
  );
}

/** The value, or an {@link UnsafeNameError} naming what it is and why it was refused. */
export function mustBe(checked: Checked, what: string, value: string): string {
  if (checked.ok) return checked.value;
  throw new UnsafeNameError(`${what} ${JSON.stringify(value)} ${checked.reason}`);
}

/**
 * What a `ChangeRequests` adapter checks before writing anything: the branch, the base branch and
 * every file path. Locations are checked where they are resolved; this is the last line, so a path
 * that slipped through can never add a second index entry or a file under `.git`.
 * @throws {UnsafeNameError} naming the first refused value.
 */
export function assertSafeRequest(request: {
  readonly branch: string;
  readonly baseBranch?: string;
  readonly files: readonly { readonly path: string }[];
}): void {
  mustBe(checkBranchName(request.branch), "branch", request.branch);
  if (request.baseBranch !== undefined)
    mustBe(checkBranchName(request.baseBranch), "base branch", request.baseBranch);
  for (const file of request.files) mustBe(checkRepositoryPath(file.path), "file path", file.path);
}
