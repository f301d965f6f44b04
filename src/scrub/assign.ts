// The assignment finder: `name <operator> value` where the name says secret, in the syntax of every
// common language and tool, and where the value ends. Called by the scrubber at each secret word the
// needle automaton found; reads outwards from the word with bounded steps and finds line ends through
// a cache, so a text costs O(n) however many names it holds. Pure.

/** Words in key names whose value is a secret, matched inside longer identifiers (DB_PASSWORD, twilioAuthToken). */
export const SECRET_WORDS = ["token", "secret", "pass", "pwd", "key", "credential"];
/** The secret words as a case-insensitive pattern source without the `i` flag, so it can join a case-sensitive scan. */
export const SECRET_WORD_SOURCE = SECRET_WORDS.map((word) => [...word].map((char) => `[${char}${char.toUpperCase()}]`).join("")).join("|");

/** Values that stand for a secret without being one: placeholders, masks, references, templates. */
export const NOT_A_SECRET =
  /^(?:x{3,}|X{3,}|\*+|.*\*{3,}.*|.*•.*|.*….*|.*\.\.\..*|<[^<>]*>|\$\{[^{}]*\}|\$?\{\{[^{}]*\}\}|\$\([^()]*\)|\$[A-Za-z_][A-Za-z0-9_]*|\{[A-Za-z_][\w.-]*\}|\[[A-Za-z_][\w .-]*\]|%\(?[A-Za-z_][\w]*\)?[sd%]?|#\{[^{}]*\}|__[A-Za-z_][\w]*__|@[A-Za-z_][\w]*@|(?:put|insert|enter|add|set|replace)[_-]?(?:your|the|a)[_-].*|.*your[_-].*|.*[_-]here|replace[_-]?me.*|change[_-]?me.*|dummy.*|placeholder.*|null|none|nil|true|false|undefined|required|optional|redacted|\[redacted.*|op:\/\/.*|arn:.*|vault:.*|secretKeyRef.*|env:.*|ref\+.*|sm:\/\/.*|x+[-_][x-]+)$/i;
/** Publicly documented example credentials (AWS's documentation): kept by name, nothing that merely contains EXAMPLE. */
export const DOCUMENTED_EXAMPLES = new Set([
  "AKIAIOSFODNN7EXAMPLE",
  "ASIAIOSFODNN7EXAMPLE",
  "AKIAI44QH8DHBEXAMPLE",
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
]);

/** A later part of a name starts here: after `_`, `-`, `.` or a camelCase hump (DB_PASS, smtpPass), not inside a word (bypass). */
function startsLaterPart(text: string, at: number): boolean {
  const before = text[at - 1] ?? "";
  return /[_.-]/.test(before) || (/[a-z0-9]/.test(before) && /[A-Z]/.test(text[at]!));
}
/** Words that make `<word> key` one name (`API key: …`, `Secret Key = …`). */
const KEY_QUALIFIER = /(?:api|secret|access|private|signing|encryption|decryption|master|license|client|hmac|jwt|webhook|shared)[ ]$/i;
/**
 * The secret word at `at` really names a secret: `pass` as password/passwd/passphrase, or as the whole
 * last part of a longer name (DB_PASS, smtpPass; not bypass, passenger, or a test runner's `PASS:`);
 * `key` ending a longer name, after a qualifier, or as a whole name (`key = "…"`, which then needs a
 * value that looks generated).
 */
function isSecretWord(text: string, at: number, word: string): boolean {
  switch (word.toLowerCase()) {
    case "pass":
      return /^pass(?:word|wd|phrase)/i.test(text.slice(at, at + 10)) || (startsLaterPart(text, at) && !isLetter(text.charCodeAt(at + 4)));
    case "key": {
      if (isLower(text.charCodeAt(at + 3))) return false;
      const before = text.charCodeAt(at - 1);
      return at === 0 || isIdentifierChar(before) || !isLetterOrDigit(before) || KEY_QUALIFIER.test(text.slice(Math.max(0, at - 12), at));
    }
    case "token": {
      // tokenizer, tokens (a count or list), but TOKEN and Token stay.
      const next = text.charCodeAt(at + 5);
      return !(isLetter(next) || next === 95) || !/^(?:token(?:i[sz]|s\b|s_|s[A-Z]|count|_count|ize))/i.test(text.slice(at, at + 9));
    }
    default:
      return true;
  }
}
const isLower = (code: number) => code >= 97 && code <= 122;
const isUpper = (code: number) => code >= 65 && code <= 90;
const isLetter = (code: number) => isLower(code) || (code >= 65 && code <= 90);
const isLetterOrDigit = (code: number) => isLetter(code) || (code >= 48 && code <= 57);
/** `…key` names that always hold a secret; other `…_key` names need a value that looks generated. */
const STRONG_KEY_NAME = /(?:api|access|private|auth|signing|master|encryption|session|secret|client|app|license|service)[_.-]?key|secret|passw|pwd|credential/i;
/** Words before a bare `key` that make it a handle or a public key: `sort key`, `primary key`, `publishable key`. */
const BARE_KEY_NOT_SECRET = /(?<![A-Za-z])(?:public|publishable|sort|primary|partition|foreign|unique|composite|cache|hash|range|row|object|bucket|routing|lookup|map|dict|registry|translation|the|a|an|no|each|which|this|that|every|ssh|gpg|pgp|deploy|host)[ \t]+$/i;
/** Keys that are published on purpose (Stripe publishable keys, NEXT_PUBLIC_* settings). */
const PUBLIC_NAME = /public|publishable/i;
/** A secret name is a key, not part of a path, URL or ARN (`arn:aws:secretsmanager:…`). */
const NOT_KEY_POSITION = /[:/@]/;
/** …except a Ruby symbol (`:password => "…"`, a colon that itself starts a word) and PowerShell's `$env:NAME`. */
const SYMBOL_KEY = /(?:^|[\s{(,[]):$|\$env:$/i;

/** Long enough and mixed enough to be a generated credential rather than a word or an id. */
export function looksRandom(value: string): boolean {
  return value.length >= 16 && /\d/.test(value) && /[A-Za-z]/.test(value) && new Set(value).size >= 10;
}
/** Random, or a password as people choose them: upper and lower case letters and a digit. */
function looksSecret(value: string): boolean {
  return (looksRandom(value) && !UUID.test(value)) || (value.length >= 8 && /[a-z]/.test(value) && /[A-Z]/.test(value) && /\d/.test(value) && !/\s/.test(value));
}
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Key names that mention a secret but hold something else: its type, lifetime, location or name. */
const NOT_A_SECRET_NAME =
  /(?:type|ttl|stdin|expires?(?:_?in|_?at)?|url|uri|endpoint|path|file|dir|name|id|ids|header|length|count|size|enabled|required|provider|scope|version|format|mode|method|usage|hint|policy|rotation|prefix|ref|arn|env|field|label|param|column|attr|prop|hash|hashed|digest|salt|pattern|regex|rule|store|storeType|alias|algorithm|algo|bits|strength|min|max|limit|timeout|reset|changed|updated|created|input|widget|placeholder|template|schema|visible|visibility|icon|class|style)$/i;
/** Tokens and keys that are handles, not credentials: pagination cursors, cache, idempotency, storage and database keys. */
const HANDLE_NAME =
  /(?:(?:page|next|continuation|resume|pagination|change|delta|csrf|xsrf)[_-]?token|cursor|(?:cache|idempotency|partition|sort|primary|foreign|routing|dedup|lookup|hash|range|row|shard|object|message|event|request|correlation|bucket|s3|blob|storage|file|map|dict|hot|sort|group|order|index|unique|composite|natural|surrogate|short|keyboard|registry|translation|i18n|locale|label|name|kms)[_-]?key|keys?[_-]?(?:name|pair|id|ring|store|space|word|board|frame|stroke|code|path|file))(?:[_.-]?v?\d+)?$/i;

function isIdentifierChar(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 46 || code === 45;
}

/** A value written as code, not a literal: `this.apiKey`, `process.env.X`, `getToken()`, `req["x"]`, a snake or camel variable. */
function looksLikeCode(value: string, next: string): boolean {
  if (/^[A-Za-z_$][\w$]*(?:(?:\.|->|::)[A-Za-z_$][\w$]*|\([^()]*\)|\[[^[\]]*\])*[([]?$/.test(value)) {
    if (/[([]/.test(value) || next === "(" || next === "[") return true;
    const parts = value.split(/\.|->|::/);
    if (parts.length > 1 && parts.every((part) => /^[A-Za-z_$][A-Za-z_$]*\d{0,2}$/.test(part))) return true;
    if (/^[a-z]+(?:_[a-z]+)*\d{0,2}$/.test(value)) return true;
    if (/^[a-z]+(?:[A-Z][a-z]+)+$/.test(value)) return true;
  }
  return false;
}
/** A file or object path (`certs/client-key.pem`, `~/.ssh/id_ed25519`, `uploads/2025/x.pdf`), not a secret. */
function looksLikePath(value: string): boolean {
  const extension = /\.[A-Za-z][A-Za-z0-9]{0,4}$/.test(value);
  if (/^(?:~|\.{1,2})?\/[\w.@-]+(?:\/[\w.@-]*)*$/.test(value)) return extension || !/[A-Z]/.test(value);
  if (/^[\w.@-]+(?:\/[\w.@-]+)+$/.test(value)) return extension;
  return /^[\w.-]+\.(?:pem|key|crt|cer|p12|pfx|jks|json|ya?ml|txt|env|ini|conf|cfg|pub|der|asc|gpg|kdbx)$/i.test(value);
}

/** Lines end at a line break or, in JSON-escaped text, at a `\n` escape; found through a forward-only cache. */
type LineEnds = { from: number; end: number; escapedFrom: number; escapedEnd: number };
export function lineEnds(): LineEnds {
  return { from: -1, end: -1, escapedFrom: -1, escapedEnd: -1 };
}
function lineEnd(text: string, at: number, cache: LineEnds, escaped: boolean): number {
  if (!(at >= cache.from && at <= cache.end)) {
    const end = text.indexOf("\n", at);
    cache.from = at;
    cache.end = end === -1 ? text.length : end;
  }
  if (!escaped) return cache.end;
  if (!(at >= cache.escapedFrom && at <= cache.escapedEnd)) {
    const end = text.indexOf("\\n", at);
    cache.escapedFrom = at;
    cache.escapedEnd = end === -1 ? text.length : end;
  }
  return Math.min(cache.end, cache.escapedEnd);
}

/** Type annotations between a name and its `=`: TypeScript/Kotlin/Swift/Python `: T`, Go's `name T`, C's `name[]`. */
const TYPE_ANNOTATION =
  /(?:[ \t]*:[ \t]*(?:string|String|str|Str|&'?\w*[ \t]*str|char\[\]|CharArray|ByteArray|bytes|SecretStr|SecretString|SecureString|Secret|Optional\[str\]|str \| None|string \| undefined|any|Any)\??|[ \t]+(?:string|\[\]byte)|\[\d{0,4}\])(?=[ \t]*[:=])/y;
/**
 * The operator between a name and its value, and the value's opening quote if any. Groups: `keyquote`
 * (the name's own closing quote and an index bracket), `op`, `open`.
 */
const OPERATOR =
  /(?<keyquote>\\{0,3}["'`](?:[ \t]{1,4}value)?\]?|\])?[ \t]*(?<op>:{1,3}=|\?\?=|\|\|=|[?+.]=|<-|=>|->|===|!==|==|!=|=|:(?!:)|\|(?!\|)|\{|,|[ \t]-(?=[ \t]+\\{0,3}["'])|(?<=[A-Za-z0-9_\]"'])[ \t](?=[ \t]*@?\\{0,3}["']))[ \t]*@?(?:[rbuRBUL]{1,2}(?=["']))?(?<open>\\{0,3}(?:"""|'''|["'`]))?/y;

export type Assignment = { keyEnd: number; value?: [number, number] };

/**
 * `name = value`, `name: value`, `"name": "value"` and friends, where the name contains the secret word
 * found at `at`. `keyEnd` is where the next secret word may start counting (words inside the same key
 * are skipped); `value` is the span to redact. `lastEnd` is the end of the previous redacted value.
 */
export function assignmentAt(text: string, at: number, word: string, lastEnd: number, lines: LineEnds = lineEnds()): Assignment | undefined {
  if (!isSecretWord(text, at, word)) return undefined;
  let keyStart = at;
  for (let steps = 0; keyStart > 0 && steps < 64 && isIdentifierChar(text.charCodeAt(keyStart - 1)); steps++) keyStart--;
  let keyEnd = at + word.length;
  for (let steps = 0; keyEnd < text.length && steps < 64 && isIdentifierChar(text.charCodeAt(keyEnd)); steps++) keyEnd++;
  // A trailing `.` or `-` ends a sentence or a dash, not the name.
  while (keyEnd > at + word.length && /[.-]/.test(text[keyEnd - 1]!)) keyEnd--;
  const before = text[keyStart - 1] ?? "";
  if (keyStart < lastEnd || (NOT_KEY_POSITION.test(before) && !SYMBOL_KEY.test(text.slice(Math.max(0, keyStart - 5), keyStart)))) return { keyEnd };
  const key = text.slice(keyStart, keyEnd);
  const bareKey = /^key$/i.test(key);
  if (bareKey && BARE_KEY_NOT_SECRET.test(text.slice(Math.max(0, keyStart - 16), keyStart))) return { keyEnd };
  const span = valueAfter(text, keyStart, keyEnd, lines) ?? valueBefore(text, keyStart);
  if (!span || NOT_A_SECRET_NAME.test(key) || PUBLIC_NAME.test(key) || HANDLE_NAME.test(key)) return { keyEnd };
  const [start, end, quoted] = span;
  const secret = text.slice(start, end);
  if (!acceptable(secret, quoted, text[end + (quoted ? 1 : 0)] ?? "")) return { keyEnd };
  if ((word.toLowerCase() === "key" && !STRONG_KEY_NAME.test(key)) || bareKey) {
    if (!looksSecret(secret) || (!quoted && !looksRandom(secret))) return { keyEnd };
  }
  return { keyEnd, value: [start, end] };
}

/** A provider prefix followed by a placeholder or a mask (`glpat-xxxx…`, `NRAK-${TOKEN}`, `xoxb-0000…`). */
function placeholderAfterPrefix(value: string): boolean {
  const rest = /^[A-Za-z0-9]{1,12}[-_.](?:[A-Za-z0-9]{1,8}[-_.])?(.+)$/.exec(value)?.[1];
  return rest !== undefined && (NOT_A_SECRET.test(rest) || /^(.)\1{5,}$/.test(rest) || /^(?:your|my)[_-]/i.test(rest));
}
/** Public halves and certificates stand where keys do: `ssh-ed25519 AAAA…`, `-----BEGIN PUBLIC KEY-----`. */
const PUBLIC_VALUE = /^(?:ssh-(?:rsa|ed25519|dss)|ecdsa-sha2-nistp\d+|sk-(?:ssh|ecdsa)-\S+|-----BEGIN (?:PUBLIC KEY|CERTIFICATE|RSA PUBLIC KEY|PGP PUBLIC))/;

function acceptable(secret: string, quoted: boolean, next: string): boolean {
  if (secret.length < 6 || NOT_A_SECRET.test(secret) || DOCUMENTED_EXAMPLES.has(secret) || placeholderAfterPrefix(secret) || PUBLIC_VALUE.test(secret)) return false;
  if (/^\d+$/.test(secret) || /^[a-z]+$/.test(secret) || /^[\d.:-]+$/.test(secret)) return false;
  if (looksLikePath(secret)) return false;
  if (!quoted && (looksLikeCode(secret, next) || /^[A-Z][a-z]+$/.test(secret))) return false;
  // A provider prefix alone, its placeholder cut off as markup (`lsv2_pt_<your-token>`).
  if (!quoted && next === "<" && /^[A-Za-z0-9]{1,12}[-_.](?:[A-Za-z0-9]{1,8}[-_.])?$/.test(secret)) return false;
  // An interpolation cut short by the quotes inside it (`#{ENV['X']}`, `${env["X"]}`).
  if (!quoted && /^[#$]\{[^}]*$/.test(secret)) return false;
  if (quoted && /^\$\w+$|^\w+\(.*\)$/.test(secret)) return false;
  return true;
}

/** The value after a name: [start, end, quoted], or undefined. */
function valueAfter(text: string, keyStart: number, keyEnd: number, lines: LineEnds): [number, number, boolean] | undefined {
  // A command-line long option (`--auth-token VALUE`) takes its value after whitespace.
  if (text.startsWith("--", keyStart) && (text[keyEnd] === " " || text[keyEnd] === "\t")) {
    OPTION_VALUE.lastIndex = keyEnd;
    const option = OPTION_VALUE.exec(text);
    const range = option?.indices?.groups?.quoted ?? option?.indices?.groups?.bare;
    if (range) return [range[0], range[1], option!.groups!.quoted !== undefined];
  }
  // An XML element (`<password>VALUE</password>`, its text on the next line too), a property list's
  // `<key>NAME</key><string>VALUE</string>`, an attribute name's element (`<entry key="db.password">VALUE<`).
  const opened = text[keyStart - 1];
  if (opened === "<" && text[keyEnd] === ">") {
    ELEMENT_VALUE.lastIndex = keyEnd;
    const range = ELEMENT_VALUE.exec(text)?.indices?.groups?.bare;
    if (range) return [range[0], range[1], false];
  }
  if (opened === ">" && text.startsWith("</key>", keyEnd)) {
    PLIST_VALUE.lastIndex = keyEnd;
    const range = PLIST_VALUE.exec(text)?.indices?.groups?.bare;
    if (range) return [range[0], range[1], false];
  }
  if ((opened === '"' || opened === "'") && text[keyEnd] === opened && text[keyEnd + 1] === ">") {
    ELEMENT_VALUE.lastIndex = keyEnd + 1;
    const range = ELEMENT_VALUE.exec(text)?.indices?.groups?.bare;
    if (range) return [range[0], range[1], false];
  }
  let pos = keyEnd;
  TYPE_ANNOTATION.lastIndex = pos;
  if (TYPE_ANNOTATION.test(text)) pos = TYPE_ANNOTATION.lastIndex;
  // A call whose name says secret: a setter or constructor (`setPassword("…")`, `PasswordAuthentication("u", "…")`).
  if (text[pos] === "(" || (text[pos] === " " && isUpper(text.charCodeAt(keyStart)) && /^ [A-Za-z_]\w{0,30}[({]/.test(text.slice(pos, pos + 34)))) return callValue(text, keyStart, keyEnd, pos, lines);
  OPERATOR.lastIndex = pos;
  const operator = OPERATOR.exec(text);
  if (!operator) return siblingValue(text, keyStart, keyEnd);
  const { keyquote, op, open } = operator.groups!;
  const quote = /["'`]/.exec(keyquote ?? "")?.[0];
  const keyQuoted = quote !== undefined && text[keyStart - 1] === quote;
  // A comma separates a quoted name from its value in a call (`setProperty("db.password", "…")`) only.
  if (op === ",") {
    const sibling = siblingValue(text, keyStart, keyEnd);
    if (sibling || !keyQuoted || open === undefined) return sibling;
    const value = quotedValue(text, operator.index + operator[0].length, open, lines);
    // `"name", "other": …` lists keys, not a name and its value.
    return value && !/^\\{0,3}["'`][ \t]*:/.test(text.slice(value[1], value[1] + 8)) ? value : undefined;
  }
  if ((op === "{" || op!.trim() === "" || op!.trim() === "-") && open === undefined) return undefined;
  const start = operator.index + operator[0].length;
  if (open !== undefined) return quotedValue(text, start, open, lines);
  if (op === "->" || op === "{") return undefined;
  return bareValue(text, start, lines);
}

/** A quoted value: everything up to its closing quote on the same line (escaped quotes included). */
function quotedValue(text: string, start: number, open: string, lines: LineEnds): [number, number, boolean] | undefined {
  const escaped = open.startsWith("\\");
  const limit = lineEnd(text, start, lines, escaped);
  if (open.length === 3 && !escaped) {
    const close = text.indexOf(open, start);
    if (close === -1 || close - start > 65536) return undefined;
    return [start, close, true];
  }
  let at = start;
  for (;;) {
    const close = text.indexOf(open, at);
    if (close === -1 || close > limit) return start < limit ? [start, limit, true] : undefined;
    // An escaped quote of the same kind (`\"` in a `"…"` string) is part of the value.
    if (!escaped && text[close - 1] === "\\" && text[close - 2] !== "\\") {
      at = close + 1;
      continue;
    }
    return close > start ? [start, close, true] : undefined;
  }
}

/** An unquoted value: up to whitespace, a quote, markup, a JSON escape, or a `;`/`&` that separates settings. */
function bareValue(text: string, start: number, lines: LineEnds): [number, number, boolean] | undefined {
  const limit = lineEnd(text, start, lines, false);
  let end = start;
  while (end < limit) {
    const code = text.charCodeAt(end);
    if (code <= 32 || code === 34 || code === 39 || code === 96) break;
    // Markup ends a value (`x</password>`, `value=x>`); a `<` or `>` inside one does not.
    if (code === 60 && /[A-Za-z/!?]/.test(text[end + 1] ?? "")) break;
    if (code === 62 && /^(?:[\s<\\"']|$)/.test(text.slice(end + 1, end + 2))) break;
    // `&` and `;` separate settings (`a=1&b=2`, `Password=x;Server=y`, `cmd && next`) but may sit inside a value.
    if ((code === 38 || code === 59) && (end === start ? false : /^[&;](?:[\s&\\]|$)|^[&;][A-Za-z_][\w.-]{0,40}=/.test(text.slice(end, end + 44)))) break;
    if (code === 92 && /["'\\nrt/]/.test(text[end + 1] ?? "")) break;
    if (code === 44 && /[\s"'\\]/.test(text[end + 1] ?? " ")) break;
    end++;
  }
  // Closing punctuation of the surrounding syntax (`password=x)`, `{a: x}`, `x.`), when it is unbalanced.
  while (end > start) {
    const last = text[end - 1]!;
    if (last === "," || (last === "." && text[end - 2] !== ".") || last === ";" || last === ":" || (last === ")" && !balanced(text, start, end, "(", ")")) || (last === "]" && !balanced(text, start, end, "[", "]")) || (last === "}" && !balanced(text, start, end, "{", "}"))) end--;
    else break;
  }
  return end > start ? [start, end, false] : undefined;
}
function balanced(text: string, start: number, end: number, open: string, close: string): boolean {
  let depth = 0;
  for (let i = start; i < end; i++) {
    if (text[i] === open) depth++;
    else if (text[i] === close) depth--;
  }
  return depth >= 0;
}

/** The last string literal among a setter's or constructor's arguments, on the same line. */
function callValue(text: string, keyStart: number, keyEnd: number, pos: number, lines: LineEnds): [number, number, boolean] | undefined {
  const name = text.slice(keyStart, keyEnd).split(/\.|->|::/).at(-1)!;
  // Setters and constructors take a secret; getters, checks and hashers take something else.
  if (!/^(?:set|with|put|new|add|use|create|make|init)|^[A-Z]/.test(name) && !/^ [A-Za-z_]/.test(text.slice(pos, pos + 2))) return undefined;
  if (/^(?:get|is|has|check|verify|validate|hash|compare|encode|decode|read|load|fetch|find|reset|generate|rotate|revoke|delete|remove)/i.test(name)) return undefined;
  const limit = Math.min(lineEnd(text, pos, lines, false), pos + 512);
  let open = pos;
  while (open < pos + 34 && text[open] !== "(" && text[open] !== "{") open++;
  if (open >= limit || (text[open] !== "(" && text[open] !== "{")) return undefined;
  let last: [number, number, boolean] | undefined;
  let at = open + 1;
  while (at < limit) {
    const char = text[at]!;
    if (char === ")" || char === "}" || char === ";") break;
    if (char === '"' || char === "'" || char === "`") {
      const close = text.indexOf(char, at + 1);
      if (close === -1 || close > limit) break;
      last = [at + 1, close, true];
      at = close + 1;
      continue;
    }
    at++;
  }
  return last;
}

/** `"value" == password`: a literal compared with a secret name, the literal first. */
function valueBefore(text: string, keyStart: number): [number, number, boolean] | undefined {
  let at = keyStart;
  while (at > 0 && (text[at - 1] === " " || text[at - 1] === "\t" || text[at - 1] === "(")) at--;
  let ops = 0;
  while (at > 0 && ops < 3 && (text[at - 1] === "=" || (text[at - 1] === "!" && ops > 0))) {
    at--;
    ops++;
  }
  if (ops < 2) return undefined;
  while (at > 0 && (text[at - 1] === " " || text[at - 1] === "\t")) at--;
  const quote = text[at - 1];
  if (quote !== '"' && quote !== "'") return undefined;
  const open = text.lastIndexOf(quote, at - 2);
  if (open === -1 || text.slice(open, at).includes("\n")) return undefined;
  return [open + 1, at - 1, true];
}

/** A name that is itself a `name:` field's value has its secret in the `value:` field beside it (Kubernetes env lists, SSM). */
function siblingValue(text: string, keyStart: number, keyEnd: number): [number, number, boolean] | undefined {
  // Cheap first: a `:` or `=` just before the name, past its opening quote.
  let before = keyStart - 1;
  while (before > keyStart - 8 && before >= 0 && /["'\\ \t]/.test(text[before]!)) before--;
  if (text[before] !== ":" && text[before] !== "=") return undefined;
  if (!NAME_FIELD.test(text.slice(Math.max(0, keyStart - 16), keyStart))) return undefined;
  SIBLING_VALUE.lastIndex = keyEnd;
  const value = SIBLING_VALUE.exec(text);
  const range = value?.indices?.groups?.quoted ?? value?.indices?.groups?.bare;
  return range ? [range[0], range[1], value!.groups!.quoted !== undefined] : undefined;
}

/** After a long option's name: blanks, then the value, quoted or bare. */
const OPTION_VALUE = /[ \t]{1,4}(?:(?<open>["'])(?<quoted>[^"'\\\n]{1,4096})\k<open>|(?<bare>[^\s"'`\\<>&;|=-][^\s"'`\\<>&;|]{0,4095}))/dy;
/** Before a name that is a field's value: `name: `, `"Name": "`, `key=`. */
const NAME_FIELD = /(?:name|key)\\{0,3}["']?[ \t]*[:=][ \t]*\\{0,3}["']?$/i;
/** After such a name: its closing quote, a comma or a line break, and the `value` field beside it. */
const SIBLING_VALUE =
  /\\{0,3}["']?[ \t]*(?:,|\r?\n|\\n)[ \t]*\\{0,3}["']?[Vv]alue\\{0,3}["']?[ \t]*[:=][ \t]*(?:(?<open>\\{0,3}["'`])(?<quoted>[^"'`\\\n]{1,4096})\k<open>|(?<bare>[^\s"'`\\<>&;|=,}]{1,4096}))/dy;
/** After an XML element's name: its text, alone on its lines or not, up to the closing tag. */
const ELEMENT_VALUE = />(?:\s|\\[nrt]){0,64}(?<bare>[^<>\s\\]{1,4096})(?:\s|\\[nrt]){0,64}<\//dy;
/** After a property list's `<key>NAME`: the `<string>` beside it. */
const PLIST_VALUE = /<\/key>(?:\s|\\[nrt]){0,64}<string>(?<bare>[^<>]{1,4096})<\/string>/dy;
