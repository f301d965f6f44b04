// What the scrubber looks for. Each detector names a kind (the marker says `[REDACTED:<kind>]`), a
// family (`credentials` or `personal`, which policy can switch), a cheap needle test that skips the
// pattern when the text cannot contain it, and a linear-time pattern whose `value` group is what gets
// redacted. Checksums (Luhn, mod-97, CRC32) and context rules keep look-alikes intact. Pure.

import { isWellFormedToken } from "../auth/token.js";

export type Family = "credentials" | "personal";

export type Detector = {
  kind: string;
  family: Family;
  /** The pattern runs only when the text contains one of these substrings (in any ASCII letter case). */
  needles?: string[];
  /** Global pattern; the named group `value` (or the whole match) is redacted. */
  pattern: RegExp;
  /** For patterns that find an anchor (`@`, `==`): the span around it, or undefined. */
  around?: (text: string, at: number) => [number, number] | undefined;
  /** The pattern begins with one of the needles (exact case), in the provider group: a candidate read to
   *  its end hides the needles inside it from the whole group. */
  prefixed?: boolean;
  /** The pattern begins with one of the needles (any ASCII case): it is tried only where one starts. */
  anchored?: boolean;
  /** The match must start a token (checked in code, so the pattern can begin with a literal). */
  token?: boolean;
  /** Extra check on the value, with the whole text and the value's offset for context rules. */
  accept?: (value: string, text: string, at: number) => boolean;
};

const AWS_EXAMPLE = /EXAMPLE/;
/** Provider formats start with a literal, so the engine can skip ahead to it; the boundary is checked after. */
const provider = (body: string) => new RegExp(body, "g");

/** A token starts here: not inside a word, except right after a JSON escape (`\n`, `\t`) in raw JSON text. */
export function startsToken(text: string, at: number): boolean {
  if (at === 0 || !/[A-Za-z0-9_]/.test(text[at - 1]!)) return true;
  return at >= 2 && text[at - 2] === "\\" && "nrtbf".includes(text[at - 1]!);
}

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

function ibanValid(candidate: string): boolean {
  const iban = candidate.replace(/ /g, "");
  if (iban.length < 15 || iban.length > 34) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const char of rearranged) {
    const value = char >= "A" ? String(char.charCodeAt(0) - 55) : char;
    for (const digit of value) remainder = (remainder * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  return remainder === 1;
}

/** Values that stand for a secret without being one: placeholders, masks, references, templates. */
const NOT_A_SECRET =
  /^(?:x{3,}|X{3,}|\*+.*|.*\*{3,}.*|.*•.*|.*….*|<[^>]*>|\$\{.*|\{\{.*|%[A-Za-z_]+%|your[_-].*|.*_here|change[_-]?me|null|none|nil|true|false|undefined|required|optional|redacted|\[redacted.*|op:\/\/.*|arn:.*|vault:.*|secretKeyRef.*|env:.*|ref\+.*|sm:\/\/.*)$/i;

/** Words in key names whose value is a secret, matched inside longer identifiers (DB_PASSWORD, twilioAuthToken). */
export const SECRET_WORDS = ["token", "secret", "pass", "pwd", "key", "credential"];
/** The secret words as a case-insensitive pattern source without the `i` flag, so it can join a case-sensitive scan. */
export const SECRET_WORD_SOURCE = SECRET_WORDS.map((word) => [...word].map((char) => `[${char}${char.toUpperCase()}]`).join("")).join("|");
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
 * `key` ending a longer name or after a qualifier.
 */
function isSecretWord(text: string, at: number, word: string): boolean {
  switch (word.toLowerCase()) {
    case "pass":
      return /^pass(?:word|wd|phrase)/i.test(text.slice(at, at + 10)) || (startsLaterPart(text, at) && !/[A-Za-z]/.test(text[at + 4] ?? ""));
    case "key":
      return ((at > 0 && /[A-Za-z0-9_.-]/.test(text[at - 1]!)) || KEY_QUALIFIER.test(text.slice(Math.max(0, at - 12), at))) && !/[a-z]/.test(text[at + 3] ?? "");
    default:
      return true;
  }
}
/** `…key` names that always hold a secret; other `…_key` names need a random-looking value. */
const STRONG_KEY_NAME = /(?:api|access|private|auth|signing|master|encryption|session)[_.-]?key|secret/i;
/** Keys that are published on purpose (Stripe publishable keys, NEXT_PUBLIC_* settings). */
const PUBLIC_NAME = /public|publishable/i;
/** A secret name is a key, not part of a path, URL or ARN (`arn:aws:secretsmanager:…`). */
const NOT_KEY_POSITION = /[:/.@]/;
/** …except a Ruby symbol (`:password => "…"`, a colon that itself starts a word) and PowerShell's `$env:NAME`. */
const SYMBOL_KEY = /(?:^|[\s{(,[]):$|\$env:$/i;

/** Long enough and mixed enough to be a generated credential rather than a word or an id. */
export function looksRandom(value: string): boolean {
  return value.length >= 16 && /\d/.test(value) && /[A-Za-z]/.test(value) && new Set(value).size >= 10;
}
/** Key names that mention a secret but hold something else: its type, lifetime, location or name. */
const NOT_A_SECRET_NAME = /(?:type|ttl|stdin|expires?(?:_?in|_?at)?|url|uri|endpoint|path|file|dir|name|id|header|length|count|size|enabled|required|provider|scope|version|format|mode|method|usage|hint|policy|rotation|prefix|ref|arn|env)$/i;
/** Tokens and keys that are handles, not credentials: pagination cursors, cache, idempotency and database keys. */
const HANDLE_NAME = /(?:page|next|continuation|resume|pagination|change|delta)[_-]?token|cursor|(?:cache|idempotency|partition|sort|primary|foreign|routing|dedup|lookup|hash|range|row|shard|object|message|event|request|correlation)[_-]?key/i;

function isIdentifierChar(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 46 || code === 45;
}

/**
 * `name = value`, `name: value`, `"name": "value"` and friends, where the name contains the secret word
 * found at `at`. Reads outwards from the word with bounded steps, so a long identifier costs O(n).
 * `keyEnd` is where the next secret word may start counting (words inside the same key are skipped);
 * `value` is the span to redact. `lastEnd` is the end of the previous redacted value.
 */
export function assignmentAt(text: string, at: number, word: string, lastEnd: number): { keyEnd: number; value?: [number, number] } | undefined {
  if (!isSecretWord(text, at, word)) return undefined;
  let keyStart = at;
  for (let steps = 0; keyStart > 0 && steps < 64 && isIdentifierChar(text.charCodeAt(keyStart - 1)); steps++) keyStart--;
  let keyEnd = at + word.length;
  for (let steps = 0; keyEnd < text.length && steps < 64 && isIdentifierChar(text.charCodeAt(keyEnd)); steps++) keyEnd++;
  if (keyStart < lastEnd || (NOT_KEY_POSITION.test(text[keyStart - 1] ?? "") && !SYMBOL_KEY.test(text.slice(Math.max(0, keyStart - 5), keyStart)))) return { keyEnd };
  // A command-line long option (`--auth-token VALUE`) takes its value after whitespace; an XML element
  // (`<password>VALUE</password>`) between its tags; everything else after a separator (ASSIGNED_VALUE,
  // which also reads XML's `key="DbPassword" value="…"`). A name that is itself a `name:` field's value
  // has its secret in the `value:` field beside it (Kubernetes env lists, ECS and SSM parameters).
  const option = text.startsWith("--", keyStart) && (text[keyEnd] === " " || text[keyEnd] === "\t");
  const element = text[keyStart - 1] === "<" && text[keyEnd] === ">";
  const pattern = option ? OPTION_VALUE : element ? ELEMENT_VALUE : ASSIGNED_VALUE;
  pattern.lastIndex = keyEnd;
  let value = pattern.exec(text);
  if (!value && NAME_FIELD.test(text.slice(Math.max(0, keyStart - 16), keyStart))) {
    SIBLING_VALUE.lastIndex = keyEnd;
    value = SIBLING_VALUE.exec(text);
  }
  const range = value?.indices?.groups?.quoted ?? value?.indices?.groups?.bare;
  if (!value || !range) return { keyEnd };
  const key = text.slice(keyStart, keyEnd);
  if (NOT_A_SECRET_NAME.test(key) || PUBLIC_NAME.test(key) || HANDLE_NAME.test(key)) return { keyEnd };
  let secret = value.groups!.quoted ?? value.groups!.bare!;
  if (value.groups!.bare !== undefined) secret = secret.replace(/[)\]},.]+$/, "");
  const start = range[0];
  if (secret.length < 6 || NOT_A_SECRET.test(secret) || AWS_EXAMPLE.test(secret) || /^\d+$/.test(secret) || /^[a-z]+$/.test(secret)) return { keyEnd };
  if (word.toLowerCase() === "key" && !STRONG_KEY_NAME.test(key) && !looksRandom(secret)) return { keyEnd };
  return { keyEnd, value: [start, start + secret.length] };
}

/** After a long option's name: blanks, then the value, quoted or bare, in the same groups as ASSIGNED_VALUE. */
const OPTION_VALUE = /[ \t]{1,4}(?:(?<open>["'])(?<quoted>[^"'\\\n]{1,512})\k<open>|(?<bare>[^\s"'`\\<>&;|=-][^\s"'`\\<>&;|=]{0,511}={0,2}))/dy;

/** Before a name that is a field's value: `name: `, `"Name": "`, `key=`. */
const NAME_FIELD = /(?:name|key)\\{0,3}["']?[ \t]*[:=][ \t]*\\{0,3}["']?$/i;
/** After such a name: its closing quote, a comma or a line break, and the `value` field beside it. */
const SIBLING_VALUE =
  /\\{0,3}["']?[ \t]*(?:,|\r?\n|\\n)[ \t]*\\{0,3}["']?[Vv]alue\\{0,3}["']?[ \t]*[:=][ \t]*(?:(?<open>\\{0,3}["'`])(?<quoted>[^"'`\\\n]{1,512})\k<open>|(?<bare>[^\s"'`\\<>&;|=,}]{1,512}))/dy;

/** After an XML element's name: its text, up to its closing tag. */
const ELEMENT_VALUE = />(?<bare>[^<>\s]{1,512})<\//dy;

/** After a secret name: closing quote of the key (and XML's ` value`), a separator, an opening quote, the value. */
const ASSIGNED_VALUE =
  /(?:\\{0,3}["'](?:[ \t]{1,4}value)?)?[ \t]*(?:=>|:=|=|:|\|)[ \t]*(?:(?<open>\\{0,3}["'`])(?<quoted>[^"'`\\\n]{1,512})\k<open>|(?<bare>[^\s"'`\\<>&;|=]{1,512}={0,2}))/dy;

export const DETECTORS: Detector[] = [
  // Provider formats, most specific first: prefix, charset, length, and checksum where there is one.
  { kind: "mcp-warden-token", family: "credentials", needles: ["mcpw_"], token: true, prefixed: true, pattern: provider(String.raw`mcpw_[0-9A-Za-z]{38}\b`), accept: (value) => isWellFormedToken(value) },
  { kind: "github-token", family: "credentials", needles: ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"], token: true, prefixed: true, pattern: provider(String.raw`gh[pousr]_[A-Za-z0-9]{36,255}\b`) },
  { kind: "github-token", family: "credentials", needles: ["github_pat_"], token: true, prefixed: true, pattern: provider(String.raw`github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}\b`) },
  { kind: "gitlab-token", family: "credentials", needles: ["glpat-", "gldt-", "glrt-"], token: true, prefixed: true, pattern: provider(String.raw`gl(?:pat|dt|rt)-[A-Za-z0-9_-]{20,64}\b`) },
  { kind: "npm-token", family: "credentials", needles: ["npm_"], token: true, prefixed: true, pattern: provider(String.raw`npm_[A-Za-z0-9]{36}\b`) },
  { kind: "pypi-token", family: "credentials", needles: ["pypi-"], token: true, prefixed: true, pattern: provider(String.raw`pypi-AgE[A-Za-z0-9_-]{50,}`) },
  { kind: "slack-token", family: "credentials", needles: ["xox", "xapp-"], token: true, prefixed: true, pattern: provider(String.raw`(?:xox[abposre]|xapp)-[A-Za-z0-9-]{10,250}\b`) },
  { kind: "slack-webhook", family: "credentials", needles: ["hooks.slack.com"], prefixed: true, pattern: /hooks\.slack\.com\/(?:services|workflows)\/[A-Z0-9]+\/[A-Z0-9]+\/(?<value>[A-Za-z0-9]{16,64})/g },
  { kind: "stripe-key", family: "credentials", needles: ["sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_"], token: true, prefixed: true, pattern: /(?:[sr]k_(?:live|test)|whsec)_[A-Za-z0-9]{16,250}\b/g },
  { kind: "anthropic-key", family: "credentials", needles: ["sk-ant-"], token: true, prefixed: true, pattern: provider(String.raw`sk-ant-[a-z0-9]{2,10}-[A-Za-z0-9_-]{32,200}`) },
  { kind: "openai-key", family: "credentials", needles: ["sk-"], token: true, prefixed: true, pattern: provider(String.raw`sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,250}`) },
  { kind: "google-oauth-secret", family: "credentials", needles: ["GOCSPX-"], token: true, prefixed: true, pattern: provider(String.raw`GOCSPX-[A-Za-z0-9_-]{28}(?![A-Za-z0-9_-])`) },
  // Anchored, not prefixed: its needle starts with the secret word `key`, which the provider group would hide.
  { kind: "mailgun-key", family: "credentials", needles: ["key-"], token: true, anchored: true, pattern: provider(String.raw`key-[0-9a-z]{32}\b`) },
  { kind: "google-api-key", family: "credentials", needles: ["AIza"], token: true, prefixed: true, pattern: provider(String.raw`AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])`) },
  { kind: "huggingface-token", family: "credentials", needles: ["hf_"], token: true, prefixed: true, pattern: provider(String.raw`hf_[A-Za-z0-9]{30,40}\b`) },
  { kind: "sendgrid-key", family: "credentials", needles: ["SG."], token: true, prefixed: true, pattern: provider(String.raw`SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}`) },
  { kind: "shopify-token", family: "credentials", needles: ["shpat_", "shpca_", "shppa_", "shpss_"], token: true, prefixed: true, pattern: provider(String.raw`shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b`) },
  { kind: "docker-token", family: "credentials", needles: ["dckr_pat_"], token: true, prefixed: true, pattern: provider(String.raw`dckr_pat_[A-Za-z0-9_-]{20,64}`) },
  // The secret half of an AWS key pair written right after its key id, as in the console's CSV download
  // (`AKIA…,wJal…`) or a `key secret` listing: only separators between them, 40 base64 characters.
  { kind: "aws-secret-key", family: "credentials", needles: ["AKIA", "ASIA"], token: true, prefixed: true, pattern: /(?:AKIA|ASIA)[A-Z0-9]{16}[ \t,;:|"']{1,8}(?<value>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/dy, accept: (value) => looksRandom(value) && !AWS_EXAMPLE.test(value) },
  { kind: "aws-access-key-id", family: "credentials", needles: ["AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA"], token: true, prefixed: true, pattern: provider(String.raw`(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b`), accept: (value) => !AWS_EXAMPLE.test(value) },
  { kind: "aws-session-token", family: "credentials", needles: ["IQoJb3JpZ2luX2Vj", "FwoGZXIvYXdzE"], anchored: true, pattern: /(?:IQoJb3JpZ2luX2Vj|FwoGZXIvYXdzE)[A-Za-z0-9/+]{40,}={0,2}/g },
  { kind: "azure-storage-key", family: "credentials", needles: ["AccountKey="], anchored: true, pattern: /AccountKey=(?<value>[A-Za-z0-9/+]{80,100}={0,2})/g },
  // 64 random bytes in base64 (Azure account keys and the like), but not a sha512 integrity hash.
  { kind: "base64-key", family: "credentials", needles: ["=="], pattern: /==/g, around: base64KeyAround },
  // Whole private keys, PEM or OpenSSH, with real or JSON-escaped line breaks.
  { kind: "private-key", family: "credentials", needles: ["-----BEGIN "], prefixed: true, pattern: /-----BEGIN (?<label>[A-Z ]{0,20}PRIVATE KEY)-----(?:[A-Za-z0-9+/=\s:,]|-(?!----)|\\{1,3}[nr]){0,16384}?-----END \k<label>-----/g },
  { kind: "jwt", family: "credentials", needles: ["eyJ"], anchored: true, pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
  // Credentials in context: headers, URLs, connection strings, command lines, assignments.
  { kind: "authorization", family: "credentials", needles: ["authorization"], anchored: true, pattern: /authorization\\{0,3}["']?[ \t]*[:=][ \t]*\\{0,3}["']?(?:bearer|basic|token|digest|bot|apikey)[ \t]+(?<value>[A-Za-z0-9._~+/%-]{8,}=*)/gi },
  { kind: "bearer-token", family: "credentials", needles: ["bearer"], anchored: true, pattern: /\b[Bb]earer[ \t]+(?<value>[A-Za-z0-9._~+/-]{16,}=*)/g, accept: (value) => /\d/.test(value) && /[A-Za-z]/.test(value) },
  { kind: "url-credentials", family: "credentials", needles: ["://"], prefixed: true, pattern: /:\/\/[^\s:/@"'<>]{0,128}:(?<value>[^\s@/"'<>]{1,256})@/g },
  { kind: "url-secret-parameter", family: "credentials", needles: ["?", "&"], anchored: true, pattern: /[?&](?:access_token|refresh_token|id_token|token|sig|signature|x-amz-signature|x-amz-security-token|x-goog-signature|api_key|apikey|key|secret|client_secret|password|pwd|auth|code)=(?<value>[^&\s"'<>)\]\\#]{8,})/gi },
  // Passwords on command lines and in their files: `-p'…'`, mysql's `-pVALUE` (its `-P` is the port),
  // sshpass's `-p VALUE`, curl's `-u user:VALUE`, .netrc's `login NAME password VALUE`; never a
  // variable such as `$DB_PASSWORD` or `${TOKEN}`.
  { kind: "password", family: "credentials", needles: ["-p'", '-p"'], pattern: /(?:^|\s)-p(?<quote>['"])(?<value>[^'"\s]{4,128})\k<quote>/g },
  { kind: "password", family: "credentials", needles: ["mysql", "mariadb"], anchored: true, pattern: /(?:mysql(?:dump|admin)?|mariadb(?:-dump|-admin)?)\b[^\n]{0,120}?[ \t]-p(?<value>[^\s'"-][^\s'"]{3,127})/g, accept: literalSecret },
  { kind: "password", family: "credentials", needles: ["sshpass"], anchored: true, pattern: /sshpass[ \t]+-p[ \t]*(?<quote>['"]?)(?<value>[^'"\s]{4,128})\k<quote>/g, accept: literalSecret },
  { kind: "password", family: "credentials", needles: ["curl"], anchored: true, pattern: /curl\b[^\n]{0,200}?[ \t](?:-u|--user)[ \t=]+(?<quote>['"]?)[^\s:'"]{1,128}:(?<value>[^\s'"]{1,128})\k<quote>/g, accept: literalSecret },
  { kind: "password", family: "credentials", needles: ["login"], anchored: true, token: true, pattern: /login[ \t]+\S{1,128}\s+password[ \t]+(?<value>\S{6,128})/g, accept: (value) => literalSecret(value) && !/^[a-z]+$/.test(value) },
  // A registry's `"auth"` field (Docker's config.json): base64 of `user:password`.
  { kind: "basic-credentials", family: "credentials", needles: ["auth"], anchored: true, pattern: /(?<=["'])auth\\{0,3}["'][ \t]*:[ \t]*\\{0,3}["'](?<value>[A-Za-z0-9+/]{8,}={0,2})\\{0,3}["']/g, accept: (value) => decodesToUserPassword(value) },
  // Personal data.
  { kind: "email", family: "personal", needles: ["@"], pattern: /@/g, around: emailAround },
  // Every card layout cardLike accepts opens with four digits, the first 2–6: only there can a match start.
  { kind: "payment-card", family: "personal", pattern: /[2-6](?<![\d.-][2-6])\d{3}(?:[ -]?\d){9,15}(?![\d.])/g, accept: (value) => cardLike(value) },
  { kind: "ssn", family: "personal", pattern: /(?<![\d-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\d-])/g },
  { kind: "iban", family: "personal", pattern: /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b/g, accept: (value) => ibanValid(value) },
  { kind: "phone", family: "personal", needles: ["+"], anchored: true, pattern: /(?<![\w+])\+[1-9]\d{0,2}(?:[ .-]?\((?:0|\d{2,4})\))?(?:[ .-]?\d){7,13}(?!\d)/g },
  { kind: "phone", family: "personal", pattern: /(?<![\w.+-])(?:1[ .-])?(?:\(\d{3}\)[ ]?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w-])/g, accept: (value, text, at) => phoneContext(value, text, at) },
];

/** A value written out, not a variable (`$DB_PASSWORD`, `${TOKEN}`, `%PASS%`) or a placeholder. */
function literalSecret(value: string): boolean {
  return !/^\$[A-Za-z_{(]/.test(value) && !NOT_A_SECRET.test(value);
}

/** Base64 of `user:password`, as HTTP Basic and registry configs carry credentials. */
function decodesToUserPassword(value: string): boolean {
  try {
    return /^[\x21-\x39\x3b-\x7e]{1,128}:[\x20-\x7e]{1,256}$/.test(atob(value));
  } catch {
    return false;
  }
}

function cardLike(value: string): boolean {
  const separators = new Set(value.replace(/\d/g, ""));
  if (separators.size > 1) return false;
  const digits = value.replace(/\D/g, "");
  if (digits.length < 13 || digits.length > 19 || /^(\d)\1+$/.test(digits) || !/^[2-6]/.test(digits)) return false;
  // An ungrouped run is a card only at the common lengths (13-digit runs are usually epoch milliseconds).
  if (separators.size === 0 && digits.length !== 15 && digits.length !== 16) return false;
  if (separators.size === 1 && !/^\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}$|^\d{4}([ -])\d{6}\2\d{4,5}$/.test(value)) return false;
  return luhn(digits);
}

const PHONE_WORDS = /\b(?:phone|ph|tel|telephone|call|callback|called|mobile|mob|cell|sms|text|voice|contact|fax|whatsapp|dial|reach|number|hotline|landline)\b/i;
const NOT_PHONE_WORDS = /\b(?:part|model|sku|serial|catalog|item|order|invoice|ticket|ref|no\.|id)\b/i;
/** Identifier parts as words, so `phone_number`, `phoneNumber` and `order_id` read as phone, number, order, id. */
const asWords = (text: string) => text.replace(/([a-z])(?=[A-Z])/g, "$1 ").replace(/_/g, " ");

/** A bare 10-digit number is a phone only with a country prefix, parentheses, or phone words around it. */
function phoneContext(value: string, text: string, at: number): boolean {
  if (value.startsWith("1") || value.startsWith("(")) return true;
  const before = asWords(text.slice(Math.max(0, at - 120), at));
  const after = asWords(text.slice(at + value.length, at + value.length + 40));
  if (NOT_PHONE_WORDS.test(before.slice(-40))) return false;
  return PHONE_WORDS.test(before) || PHONE_WORDS.test(after);
}

const BASE64 = /[A-Za-z0-9/+]/;

/** 64 random bytes in base64 (Azure account keys and the like) ending at this `==`; not a sha512 integrity hash. */
function base64KeyAround(text: string, at: number): [number, number] | undefined {
  const start = at - 86;
  if (start < 0 || BASE64.test(text[at + 2] ?? "") || text[at + 2] === "=") return undefined;
  if (start > 0 && (BASE64.test(text[start - 1]!) || text[start - 1] === "=" || text[start - 1] === "-")) return undefined;
  const value = text.slice(start, at);
  if (!/^[A-Za-z0-9/+]{86}$/.test(value) || !looksRandom(value)) return undefined;
  return [start, at + 2];
}

const EMAIL_HOST = /[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}/y;
const EMAIL_LOCAL = /[A-Za-z0-9._%+-]/;
const TOP_LEVEL_DOMAIN = /\.[A-Za-z]{2,24}$/;
/** Just before `user@host`: a command that logs in or copies to an account on a host. */
const LOGIN_COMMAND = /\b(?:ssh|scp|sftp|rsync|mosh|ssh-copy-id)[ \t][^\n@]{0,80}$/;

/**
 * An address around this `@`. Accounts on hosts are not addresses: `git@host`, scp's `user@host:path`,
 * `ssh user@host`, and a shell prompt's `[user@host dir]$`.
 */
function emailAround(text: string, at: number): [number, number] | undefined {
  let start = at;
  while (start > 0 && at - start < 64 && EMAIL_LOCAL.test(text[start - 1]!)) start--;
  if (start === at || text.slice(start, at) === "git") return undefined;
  if (start >= 2 && text[start - 2] === "\\" && "nrtbf".includes(text[start - 1]!)) start++;
  EMAIL_HOST.lastIndex = at + 1;
  const host = EMAIL_HOST.exec(text)?.[0];
  if (!host || !TOP_LEVEL_DOMAIN.test(host)) return undefined;
  const end = at + 1 + host.length;
  if (text[end] === ":" && /[\w/~]/.test(text[end + 1] ?? "")) return undefined;
  if (LOGIN_COMMAND.test(text.slice(Math.max(0, start - 100), start)) || /^[ \t]\S{0,64}\][#$]/.test(text.slice(end, end + 70))) return undefined;
  return [start, end];
}
