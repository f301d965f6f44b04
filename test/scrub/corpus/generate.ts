// Generates the own corpus (test/scrub/corpus/own.jsonl) in the format of ../shared/scrub/public.jsonl:
// per class of issue 24, positives written from the formats' own documentation (language grammars,
// HTTP and curl manuals, vendor token formats, numbering plans) and look-alikes that must stay
// unchanged. Every secret is synthetic: random characters from a seeded generator in the documented
// shape, never a real credential. Run `npx tsx test/scrub/corpus/generate.ts` to rewrite the file;
// the test in own-corpus.test.ts checks that the file is current and scores it.

import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

type Case = { id: string; kind: string; text: string; secrets: string[]; negative: boolean; keep?: string[]; optional?: string[] };

let seed = 0x5c2b_2401;
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const LOWER_DIGITS = "abcdefghijklmnopqrstuvwxyz0123456789";
const HEX = "0123456789abcdef";
const B64 = ALNUM + "+/";
const URLSAFE = ALNUM + "_-";
const DIGITS = "0123456789";
/** `n` characters from `set`, with at least one digit and one letter when the set has both. */
function chars(set: string, n: number): string {
  for (;;) {
    let out = "";
    for (let i = 0; i < n; i++) out += set[Math.floor(random() * set.length)];
    const hasDigit = /\d/.test(set);
    const hasLetter = /[A-Za-z]/.test(set);
    if (n < 8 || ((!hasDigit || /\d/.test(out)) && (!hasLetter || /[A-Za-z]/.test(out)) && new Set(out).size >= Math.min(10, n / 2))) return out;
  }
}
/** A password as people and generators write them: letters, digits and symbols, `symbols` chosen per syntax. */
function password(symbols: string, n = 10 + Math.floor(random() * 14)): string {
  for (;;) {
    const out = chars(ALNUM + symbols + symbols, n);
    if (/[A-Z]/.test(out) && /[a-z]/.test(out) && /\d/.test(out) && !/^[-*#]/.test(out)) return out;
  }
}

const cases: Case[] = [];
const counters: Record<string, number> = {};
/** The string as it stands in the text: itself, or JSON-escaped inside a JSON-RPC envelope. */
function within(text: string, value: string, kind: string): string {
  if (text.includes(value)) return value;
  const escaped = JSON.stringify(value).slice(1, -1);
  if (text.includes(escaped)) return escaped;
  throw new Error(`${kind}: ${value} not in ${text}`);
}
function add(kind: string, text: string, secrets: string[], extra: Partial<Case> = {}): void {
  counters[kind] = (counters[kind] ?? 0) + 1;
  secrets = secrets.map((secret) => within(text, secret, kind));
  cases.push({ id: `o-${kind}-${counters[kind]}`, kind, text, secrets, negative: false, ...extra });
}
function keep(kind: string, text: string, kept?: string[]): void {
  counters[kind] = (counters[kind] ?? 0) + 1;
  kept = (kept ?? [text]).map((k) => within(text, k, kind));
  cases.push({ id: `o-${kind}-${counters[kind]}`, kind, text, secrets: [], negative: true, keep: kept });
}
/** A look-alike kept whole: the snippet (every line of it) must come back unchanged. */
function keepAll(kind: string, snippet: string): void {
  keep(kind, wrap(snippet), snippet.split("\n").filter((line) => line.trim() !== ""));
}
/** Tool output around a snippet, as MCP results carry it: sometimes a JSON-RPC envelope, sometimes plain. */
function wrap(snippet: string): string {
  const style = random();
  if (style < 0.25) return JSON.stringify({ jsonrpc: "2.0", id: Math.floor(random() * 1000), result: { content: [{ type: "text", text: snippet }], isError: false } });
  if (style < 0.45) return `$ cat config\n${snippet}\n`;
  if (style < 0.6) return `found in src/settings:\n\n\`\`\`\n${snippet}\n\`\`\`\n`;
  return snippet;
}

// ---------------------------------------------------------------- 1. assignment syntax
const NAMES = ["password", "db_password", "DB_PASSWORD", "apiKey", "api_key", "API_KEY", "secret", "client_secret", "auth_token", "accessToken", "SECRET_KEY", "passwd", "private_key", "smtpPassword", "APP_SECRET", "github_token"];
const SAFE_SYMBOLS = "!@%^*-_.+~";
for (let i = 0; i < 8; i++) {
  const name = pick(NAMES);
  const value = password(SAFE_SYMBOLS);
  // GNU make: recursive, simple, POSIX simple, immediate-with-escape and conditional assignment.
  const op = pick(["?=", ":=", "::=", ":::=", "=", "+="]);
  add("assign-makefile", wrap(`# Makefile\n${name.toUpperCase()} ${op} ${value}\n\ndeploy:\n\t./deploy.sh --env prod\n`), [value]);
}
for (let i = 0; i < 6; i++) {
  const value = password(SAFE_SYMBOLS);
  const form = pick([`$password .= '${value}';`, `$config['db_password'] = "${value}";`, `define('DB_PASSWORD', '${value}');`, `$this->apiSecret = '${value}';`, `'password' => '${value}',`]);
  add("assign-php", wrap(`<?php\n${form}\n$db = new PDO($dsn, $user);`), [value]);
}
for (let i = 0; i < 8; i++) {
  const value = password(SAFE_SYMBOLS);
  const form = pick([
    `var apiKey string = "${value}"`,
    `var dbPassword = "${value}"`,
    `authToken := "${value}"`,
    `const secretKey = "${value}"`,
    `const SecretKey string = \`${value}\``,
  ]);
  add("assign-go", wrap(`package main\n\n${form}\n\nfunc main() {}\n`), [value]);
}
for (let i = 0; i < 8; i++) {
  const value = password(SAFE_SYMBOLS);
  const form = pick([
    `const char* key = "${value}";`,
    `const char *password = "${value}";`,
    `char password[] = "${value}";`,
    `static const std::string api_secret = "${value}";`,
    `std::string token{"${value}"};`,
    `#define API_KEY "${value}"`,
  ]);
  add("assign-c", wrap(`#include <string>\n${form}\nint main() { return 0; }`), [value]);
}
for (let i = 0; i < 8; i++) {
  const value = password(SAFE_SYMBOLS);
  const form = pick([
    `let key: string = "${value}";`,
    `const apiToken: string = '${value}';`,
    `private readonly clientSecret: string = "${value}";`,
    `export const PASSWORD = \`${value}\`;`,
    `val password: String = "${value}"`,
    `let secret = "${value}" // swift`,
  ]);
  add("assign-typed", wrap(form), [value]);
}
for (let i = 0; i < 12; i++) {
  const value = password(SAFE_SYMBOLS);
  const form = pick([
    `System.setProperty("db.password", "${value}");`,
    `System.setProperty("javax.net.ssl.keyStorePassword", "${value}");`,
    `os.environ["API_KEY"] = "${value}"`,
    `os.environ['DB_PASSWORD'] = '${value}'`,
    `os.Setenv("GITHUB_TOKEN", "${value}")`,
    `props.put("mail.smtp.password", "${value}");`,
    `new PasswordAuthentication("mailer", "${value}".toCharArray())`,
    `Credentials creds("svc-backup", "${value}");`,
    `auth = HTTPBasicAuth("admin", "${value}")`,
    `client.setPassword("${value}");`,
    `ENV["SECRET_TOKEN"] = "${value}"`,
    `config.set("auth_token", "${value}")`,
  ]);
  add("assign-setter", wrap(form), [value]);
}
for (let i = 0; i < 8; i++) {
  const value = password(SAFE_SYMBOLS);
  const form = pick([`if password == "${value}":`, `if ("${value}" == password) {`, `if (token === '${value}') return true;`, `assert "${value}" == api_key`, `if secret != "${value}" {`, `return input.equals("${value}") && password != null`]);
  if (form.includes("equals")) continue;
  add("assign-compare", wrap(form), [value]);
}
for (let i = 0; i < 10; i++) {
  const value = chars(ALNUM, 24 + Math.floor(random() * 16));
  const form = pick([`INFO  Key - '${value}'`, `DEBUG using Token - '${value}' for upstream`, `level=info msg="loaded" Key=${value} region=eu-west-1`, `[auth] KEY=${value} source=env`, `Token=${value} user=deploy`, `2025-02-01T10:00:01Z Key - "${value}"`]);
  add("assign-log", wrap(form), [value]);
}
for (let i = 0; i < 8; i++) {
  const value = password(SAFE_SYMBOLS);
  const form = pick([
    `<password>\n    ${value}\n</password>`,
    `<config>\n  <apiKey>\n    ${value}\n  </apiKey>\n</config>`,
    `<dict>\n\t<key>API_TOKEN</key>\n\t<string>${value}</string>\n</dict>`,
    `<entry key="db.password">${value}</entry>`,
    `<property name="password" value="${value}"/>`,
    `<Secret>\n${value}\n</Secret>`,
  ]);
  add("assign-xml", wrap(form), [value]);
}
for (let i = 0; i < 10; i++) {
  const value = password(SAFE_SYMBOLS);
  const form = pick([
    `db.password = ${value}`,
    `spring.datasource.password=${value}`,
    `[database]\npassword = "${value}"`,
    `password: '${value}'`,
    `export API_TOKEN='${value}'`,
    `set PASSWORD=${value}`,
    `$env:API_KEY = '${value}'`,
    `SECRET_KEY = '${value}'  # django`,
    `(def api-key "${value}")`,
    `apikey = @"${value}";`,
    `token <- "${value}"`,
    `my $password = '${value}';`,
    `local secret = "${value}"`,
    `password ||= '${value}'`,
  ]);
  add("assign-misc", wrap(form), [value]);
}

// ---------------------------------------------------------------- 2. where a value ends
const HARD = "=$#{}[]()!@%^&*-_+.:;,?~|/";
for (let i = 0; i < 40; i++) {
  const quote = pick(['"', "'"]);
  const other = quote === '"' ? "'" : '"';
  const value = password(HARD + other, 12 + Math.floor(random() * 20)).replace(/\\/g, "");
  const name = pick(NAMES);
  const form = pick([
    `${name} = ${quote}${value}${quote}`,
    `${name}: ${quote}${value}${quote}`,
    `${quote}${name}${quote}: ${quote}${value}${quote}`,
    `${name}=${quote}${value}${quote}\nnext_setting=1`,
    `${name} := ${quote}${value}${quote}`,
  ]);
  add("boundary-quoted", wrap(form), [value]);
}
for (let i = 0; i < 25; i++) {
  const value = password("=$#{}[]!@%^&*-_+.:?~/", 12 + Math.floor(random() * 20));
  const name = pick(NAMES);
  const form = pick([`${name}=${value}`, `${name}: ${value}`, `${name.toUpperCase()}=${value}\nHOST=db.internal`, `--${name.replace(/_/g, "-").toLowerCase()}=${value} --verbose`]);
  add("boundary-bare", wrap(form), [value]);
}
for (let i = 0; i < 10; i++) {
  const value = chars(B64, 1000 + Math.floor(random() * 1500));
  const name = pick(["ssh_private_key_b64", "SERVICE_ACCOUNT_SECRET", "session_token", "client_secret", "license_key_blob"]);
  const form = pick([`${name}=${value}`, `"${name}": "${value}"`, `${name}: '${value}'`, `export ${name.toUpperCase()}="${value}"`]);
  add("boundary-long", wrap(form), [value]);
}
for (let i = 0; i < 8; i++) {
  const value = password(" !@%^*-_.+", 18);
  if (!value.includes(" ")) continue;
  add("boundary-spaces", wrap(`password = "${value}"\nuser = "svc"`), [value]);
}

// ---------------------------------------------------------------- 3. commands and headers
for (let i = 0; i < 30; i++) {
  const value = password("!@%^*-_.+", 14);
  const token = chars(URLSAFE, 32);
  const b64 = Buffer.from(`svc-${chars(LOWER_DIGITS, 5)}:${password("!@%-_.", 12)}`).toString("base64");
  const form = pick([
    [`curl --user deploy:'${value}' https://ci.example.com/api`, value],
    [`curl -u admin:${value} https://nexus.example.com/service/rest/v1/status`, value],
    [`curl -sS -u "bot:${value}" -X POST https://api.example.com/v2/jobs`, value],
    [`mysql --user=root --password=${value} shop < dump.sql`, value],
    [`psql "host=db user=app password=${value} dbname=app"`, value],
    [`wget --user=ci --password='${value}' https://repo.example.com/pkg.tgz`, value],
    [`Authorization: Api-Token ${token}`, token],
    [`Authorization: Token token="${token}"`, token],
    [`Authorization: Basic ${b64}`, b64],
    [`authorization: ${token}`, token],
    [`Proxy-Authorization: Basic ${b64}`, b64],
    [`X-Api-Key: ${token}`, token],
    [`x-auth-token: ${token}`, token],
    [`curl -H "X-API-KEY: ${token}" https://api.example.com/v1/items`, token],
    [`curl -H 'Authorization: Bearer ${token}' https://api.example.com`, token],
    [`Authorization: Digest username="ops", realm="api", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", response="${chars(HEX, 32)}"`, ""],
    [`Authorization: SSWS ${token}`, token],
    [`Authorization: GenieKey ${token}`, token],
    [`http -a ops:${value} GET https://api.example.com/me`, value],
  ] as const);
  let [text, secret] = form;
  if (secret === "") {
    const response = /response="([0-9a-f]{32})"/.exec(text)![1]!;
    secret = response;
  }
  add("header-command", wrap(text), [secret]);
}

// ---------------------------------------------------------------- 4. provider formats
const providers: [string, () => string][] = [
  ["github", () => `${pick(["ghp", "gho", "ghu", "ghs", "ghr"])}_${chars(ALNUM, 36)}`],
  ["github-fine", () => `github_pat_${chars(ALNUM, 22)}_${chars(ALNUM, 59)}`],
  ["gitlab", () => `${pick(["glpat-", "gldt-", "glrt-", "glft-", "glsoat-", "glffct-"])}${chars(URLSAFE, 20)}`],
  ["gitlab-cbt", () => `glcbt-${chars(HEX, 2)}_${chars(URLSAFE, 20)}`],
  ["gitlab-ptt", () => `glptt-${chars(HEX, 40)}`],
  ["gitlab-imt", () => `glimt-${chars(URLSAFE, 25)}`],
  ["gitlab-agent", () => `glagent-${chars(URLSAFE, 50)}`],
  ["gitlab-oauth", () => `gloas-${chars(URLSAFE, 64)}`],
  ["gitlab-runner-reg", () => `GR1348941${chars(URLSAFE, 20)}`],
  ["gitlab-routable", () => `glpat-${chars(URLSAFE, 27)}.01.${chars(LOWER_DIGITS, 9)}`],
  // Discord bot tokens: base64 of the bot's 17–19 digit user id, a timestamp, an HMAC.
  ["discord-bot", () => `${Buffer.from(String(1 + Math.floor(random() * 9)) + chars(DIGITS, 16 + Math.floor(random() * 3))).toString("base64url")}.${chars(URLSAFE, 6)}.${chars(URLSAFE, 38)}`],
  ["azure-ad-secret", () => `${chars(ALNUM, 3)}${pick(DIGITS.split(""))}Q~${chars(ALNUM + "_~.-", 34)}`],
  ["langsmith", () => `lsv2_${pick(["pt", "sk"])}_${chars(HEX, 32)}_${chars(HEX, 10)}`],
  ["newrelic", () => pick([`NRAK-${chars(UPPER_DIGITS, 27)}`, `NRII-${chars(URLSAFE, 32)}`, `NRJS-${chars(HEX, 19)}`, `NRAA-${chars(HEX, 27)}`])],
  ["notion", () => pick([`secret_${chars(ALNUM, 43)}`, `ntn_${chars(DIGITS, 11)}${chars(ALNUM, 35)}`])],
  ["facebook", () => `EAA${pick(["B", "G", "C", "M", "J"])}${chars(ALNUM, 120 + Math.floor(random() * 60))}`],
  ["onepassword-sa", () => `ops_eyJ${chars(B64, 300)}`],
  ["onepassword-secret-key", () => `A3-${chars(UPPER_DIGITS, 6)}-${chars(UPPER_DIGITS, 11)}-${chars(UPPER_DIGITS, 5)}-${chars(UPPER_DIGITS, 5)}-${chars(UPPER_DIGITS, 5)}`],
  ["aws-sts", () => `${pick(["FwoGZXIvYXdzE", "IQoJb3JpZ2luX2Vj", "FQoGZXIvYXdzE", "AQoDYXdzE"])}${chars(B64, 300 + Math.floor(random() * 300))}`],
  ["age", () => `AGE-SECRET-KEY-1${chars("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58)}`],
  ["adobe", () => `p8e-${chars(ALNUM, 32)}`],
  ["artifactory", () => `AKCp${chars(ALNUM, 69)}`],
  ["alibaba", () => `LTAI${chars(ALNUM, 20)}`],
  ["anthropic", () => `sk-ant-api03-${chars(URLSAFE, 93)}AA`],
  ["bedrock", () => `ABSK${chars(B64, 120)}`],
  ["clojars", () => `CLOJARS_${chars(LOWER_DIGITS, 60)}`],
  ["databricks", () => `dapi${chars(HEX, 32)}`],
  ["digitalocean", () => `${pick(["dop", "doo", "dor"])}_v1_${chars(HEX, 64)}`],
  ["doppler", () => `dp.${pick(["pt", "st", "sa", "ct"])}.${chars(ALNUM, 43)}`],
  ["duffel", () => `duffel_${pick(["test", "live"])}_${chars(URLSAFE, 43)}`],
  ["dynatrace", () => `dt0c01.${chars(UPPER_DIGITS, 24)}.${chars(UPPER_DIGITS, 64)}`],
  ["easypost", () => `${pick(["EZAK", "EZTK"])}${chars(ALNUM, 54)}`],
  ["flutterwave", () => `FLWSECK_TEST-${chars(HEX, 32)}-X`],
  ["flyio", () => `fo1_${chars(URLSAFE, 43)}`],
  ["frameio", () => `fio-u-${chars(URLSAFE, 64)}`],
  ["grafana", () => pick([`glc_${chars(B64, 60)}`, `glsa_${chars(ALNUM, 32)}_${chars(HEX, 8)}`, `eyJrIjoi${chars(ALNUM, 72)}`])],
  ["harness", () => `pat.${chars(URLSAFE, 22)}.${chars(ALNUM, 24)}.${chars(ALNUM, 20)}`],
  ["terraform", () => `${chars(LOWER_DIGITS, 14)}.atlasv1.${chars(URLSAFE, 67)}`],
  ["heroku", () => `HRKU-AA${chars(URLSAFE, 58)}`],
  ["huggingface", () => pick([`hf_${chars("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 34)}`, `api_org_${chars("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", 34)}`])],
  ["infracost", () => `ico-${chars(ALNUM, 32)}`],
  ["intra42", () => `s-s4t2ud-${chars(HEX, 64)}`],
  ["linear", () => `lin_api_${chars(ALNUM, 40)}`],
  ["maxmind", () => `${chars(ALNUM, 6)}_${chars(ALNUM, 29)}_mmk`],
  ["npm", () => `npm_${chars(ALNUM, 36)}`],
  ["octopus", () => `API-${chars(UPPER_DIGITS, 26)}`],
  ["openai", () => `sk-proj-${chars(URLSAFE, 58)}T3BlbkFJ${chars(URLSAFE, 58)}`],
  ["openshift", () => `sha256~${chars(URLSAFE, 43)}`],
  ["perplexity", () => `pplx-${chars(ALNUM, 48)}`],
  ["planetscale", () => `${pick(["pscale_tkn_", "pscale_oauth_", "pscale_pw_"])}${chars(URLSAFE, 43)}`],
  ["postman", () => `PMAK-${chars(HEX, 24)}-${chars(HEX, 34)}`],
  ["prefect", () => `pnu_${chars(ALNUM, 36)}`],
  ["pulumi", () => `pul-${chars(HEX, 40)}`],
  ["pypi", () => `pypi-AgEIcHlwaS5vcmc${chars(URLSAFE, 70)}`],
  ["readme", () => `rdme_${chars(LOWER_DIGITS, 70)}`],
  ["rubygems", () => `rubygems_${chars(HEX, 48)}`],
  ["scalingo", () => `tk-us-${chars(URLSAFE, 48)}`],
  ["sendgrid", () => `SG.${chars(URLSAFE, 22)}.${chars(URLSAFE, 43)}`],
  ["sendinblue", () => `xkeysib-${chars(HEX, 64)}-${chars(ALNUM, 16)}`],
  ["sentry", () => pick([`sntryu_${chars(HEX, 64)}`, `sntrys_eyJpYXQiOjE3MDAwMDAwMDAsInJlZ2lvbl91cmwiOiJodHRwczovL3VzLnNlbnRyeS5pbyJ9_${chars(B64, 43)}`])],
  ["settlemint", () => `sm_${pick(["aat", "pat", "sat"])}_${chars(ALNUM, 16)}`],
  ["shippo", () => `shippo_${pick(["live", "test"])}_${chars(HEX, 40)}`],
  ["shopify", () => `${pick(["shpat", "shpca", "shppa", "shpss"])}_${chars(HEX, 32)}`],
  ["slack", () => pick([`xoxb-${chars(DIGITS, 12)}-${chars(DIGITS, 13)}-${chars(ALNUM, 24)}`, `xoxp-${chars(DIGITS, 12)}-${chars(DIGITS, 12)}-${chars(DIGITS, 13)}-${chars(HEX, 32)}`, `xoxe.xoxp-1-${chars(UPPER_DIGITS, 164)}`, `xoxe-1-${chars(UPPER_DIGITS, 146)}`])],
  // The secret part of a webhook URL is its path; the host and `/services/` are the same for everyone.
  ["slack-webhook", () => `T${chars(UPPER_DIGITS, 8)}/B${chars(UPPER_DIGITS, 10)}/${chars(ALNUM, 24)}`],
  ["stripe", () => `${pick(["sk", "rk"])}_${pick(["live", "test", "prod"])}_${chars(ALNUM, 24 + Math.floor(random() * 70))}`],
  ["square", () => pick([`sq0atp-${chars(URLSAFE, 22)}`, `sq0csp-${chars(URLSAFE, 43)}`, `EAAA${chars(URLSAFE, 60)}`])],
  ["twilio", () => `SK${chars(HEX, 32)}`],
  ["typeform", () => `tfp_${chars(URLSAFE, 59)}`],
  ["vault", () => pick([`hvs.${chars(URLSAFE, 95)}`, `hvb.${chars(URLSAFE, 140)}`])],
  ["telegram", () => `${chars(DIGITS, 10)}:AA${chars(URLSAFE, 33)}`],
  ["mapbox", () => `sk.eyJ1Ijoi${chars(ALNUM, 40)}.${chars(URLSAFE, 22)}`],
  ["cloudflare-ca", () => `v1.0-${chars(HEX, 24)}-${chars(HEX, 146)}`],
  ["atlassian", () => `ATATT3${chars(URLSAFE, 186)}`],
  ["mailchimp", () => `${chars(HEX, 32)}-us${pick(["6", "14", "21"])}`],
  ["groq", () => `gsk_${chars(ALNUM, 52)}`],
  ["replicate", () => `r8_${chars(ALNUM, 37)}`],
  ["tailscale", () => `tskey-${pick(["auth", "api", "client"])}-${chars(ALNUM, 12)}-${chars(ALNUM, 30)}`],
  ["supabase", () => `sbp_${chars(HEX, 40)}`],
  ["xai", () => `xai-${chars(ALNUM, 80)}`],
  ["jwt-unsigned", () => `${Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url")}.${Buffer.from(JSON.stringify({ sub: chars(ALNUM, 10), admin: true, iat: 1700000000 })).toString("base64url")}.`],
  ["jwt-two-part", () => `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from(JSON.stringify({ user: chars(ALNUM, 12), role: "admin" })).toString("base64url")}`],
];
const PROVIDER_CONTEXTS = [
  (t: string) => `token: ${t}`,
  (t: string) => `export CI_CREDENTIAL="${t}"`,
  (t: string) => `{"credential": "${t}", "scope": "read"}`,
  (t: string) => `the build log printed ${t} before failing`,
  (t: string) => `curl -H "Authorization: Bearer ${t}" https://api.example.com/v1/me`,
  (t: string) => `- name: deploy\n  env:\n    SERVICE_CREDENTIAL: ${t}\n`,
  (t: string) => `client = Client("${t}")`,
  (t: string) => `${t}`,
];
for (const [name, make] of providers) {
  for (let i = 0; i < 3; i++) {
    const token = make();
    const written = name === "slack-webhook" ? `https://hooks.slack.com/services/${token}` : token;
    add(`provider-${name}`, wrap(pick(PROVIDER_CONTEXTS)(written)), [token]);
  }
}

// STS session tokens in the layouts AWS prints them: URL-encoded in a presigned URL or a log, JSON with
// escaped slashes, an INI credentials file.
for (let i = 0; i < 6; i++) {
  const token = `${pick(["FwoGZXIvYXdzE", "IQoJb3JpZ2luX2Vj"])}${chars(B64, 300)}`;
  const layout = pick([
    [`GET /report.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Security-Token=${encodeURIComponent(token)}&X-Amz-Expires=300`, encodeURIComponent(token)],
    [`retrying with session ${encodeURIComponent(token)} (expired)`, encodeURIComponent(token)],
    [`{"SessionToken":"${token.replace(/\//g, "\\/")}","Expiration":"2025-03-01T10:00:00Z"}`, token.replace(/\//g, "\\/")],
    [`[profile ci]\naws_session_token = ${token}\nregion = eu-west-1`, token],
  ] as const);
  add("provider-aws-sts-layout", layout[0], [layout[1]]);
}

// Keyword-style provider credentials (gitleaks' keyword rules, detect-secrets' keyword plugin): the
// provider's name in the variable, a value in the provider's documented charset.
const KEYWORD_PROVIDERS: [string, () => string][] = [
  ["adafruit", () => chars(LOWER_DIGITS + "_-", 32)],
  ["algolia", () => chars(LOWER_DIGITS, 32)],
  ["asana", () => chars(LOWER_DIGITS, 32)],
  ["bitbucket", () => chars(LOWER_DIGITS, 32)],
  ["cloudflare", () => chars(LOWER_DIGITS + "_-", 40)],
  ["codecov", () => chars(LOWER_DIGITS, 32)],
  ["datadog", () => chars(LOWER_DIGITS, 40)],
  ["dropbox", () => chars(LOWER_DIGITS, 15)],
  ["fastly", () => chars(URLSAFE, 32)],
  ["hubspot", () => `${chars(HEX, 8)}-${chars(HEX, 4)}-${chars(HEX, 4)}-${chars(HEX, 4)}-${chars(HEX, 12)}`],
  ["launchdarkly", () => chars(URLSAFE, 40)],
  ["netlify", () => chars(URLSAFE, 43)],
  ["okta", () => `00${chars(URLSAFE, 40)}`],
  ["sendbird", () => chars(HEX, 40)],
  ["sumologic", () => chars(ALNUM, 64)],
  ["travis", () => chars(LOWER_DIGITS, 22)],
  ["twitch", () => chars(LOWER_DIGITS, 30)],
  ["twitter", () => chars(ALNUM, 45)],
  ["zendesk", () => chars(LOWER_DIGITS, 40)],
  ["heroku", () => `${chars(HEX, 8)}-${chars(HEX, 4)}-${chars(HEX, 4)}-${chars(HEX, 4)}-${chars(HEX, 12)}`],
];
for (const [name, make] of KEYWORD_PROVIDERS) {
  for (let i = 0; i < 3; i++) {
    const value = make();
    const camel = name[0]!.toUpperCase() + name.slice(1);
    const form = pick([
      `${name}_api_token = "${value}"`,
      `${name}Token := "${value}"`,
      `"${name}_secret": "${value}",`,
      `${name.toUpperCase()}_API_KEY=${value}`,
      `export ${name.toUpperCase()}_ACCESS_TOKEN='${value}'`,
      `${camel}Client.init(apiKey: "${value}")`,
      `${name}.auth_token: ${value}`,
    ]);
    add(`keyword-${name}`, wrap(form), [value]);
  }
}

// Sentences as PII recognizers' tests write them.
for (let i = 0; i < 30; i++) {
  const d = (n: number) => chars(DIGITS, n);
  const [kind, secret, sentence] = pick([
    ["phone", () => `(212) 555-${d(4)}`, (v: string) => `My phone number is ${v}`],
    ["phone", () => `+1-212-555-${d(4)}`, (v: string) => `you can reach me at ${v} after 5pm`],
    ["phone", () => `212.555.${d(4)}`, (v: string) => `Call ${v} to confirm`],
    ["phone", () => `+44 7700 900${d(3)}`, (v: string) => `Mobile: ${v}`],
    ["phone", () => `+49 30 ${d(8)}`, (v: string) => `Telefonnummer ${v}`],
    ["card", () => { const c = luhnComplete("4095", 16); return `${c.slice(0, 4)}-${c.slice(4, 8)}-${c.slice(8, 12)}-${c.slice(12)}`; }, (v: string) => `My credit card number is ${v} and it expires soon`],
    ["card", () => luhnComplete("5425", 16), (v: string) => `cc: ${v}`],
    ["card", () => { const c = luhnComplete("37", 15); return `${c.slice(0, 4)} ${c.slice(4, 10)} ${c.slice(10)}`; }, (v: string) => `Amex ${v}`],
    ["email", () => `${pick(["john.smith", "maria", "k.tanaka"])}${d(2)}@${pick(["example.com", "mail.example.org", "corp.example.co.uk"])}`, (v: string) => `Please send it to ${v}, thanks`],
    ["iban", () => pick(["DE89 3704 0044 0532 0130 00", "GB33 BUKB 2020 1555 5555 55", "FR14 2004 1010 0505 0001 3M02 606"]), (v: string) => `transfer to IBAN ${v} by Friday`],
    ["ssn", () => `${pick(["078", "219", "457"])}-${d(2).replace(/^0/, "1")}-${d(4).replace(/^0/, "2")}`, (v: string) => `His social security number is ${v}`],
  ] as const);
  const value = secret();
  add(`pii-sentence-${kind}`, wrap(sentence(value)), [value]);
}
for (const text of [
  "Call me at extension 4521",
  "The meeting is at 10:30 in room 2045",
  "Order #123-456-7890-XYZ shipped",
  "Version 10.4.2.1 is out",
  "The invoice total is 1,234,567.89",
  "ZIP code 90210 and 10001",
  "Flight LH 400 departs 13:45",
  "see RFC 7231 section 6.5.1",
]) keepAll("keep-pii-sentence", text);

// ---------------------------------------------------------------- 5. personal data
function luhnComplete(prefix: string, length: number): string {
  let digits = prefix + chars(DIGITS, length - prefix.length - 1);
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits + String((10 - (sum % 10)) % 10);
}
for (let i = 0; i < 24; i++) {
  const [scheme, prefix, length, groups] = pick([
    ["diners", "3056", 14, [4, 6, 4]],
    ["diners", "36", 14, [4, 6, 4]],
    ["diners", "38", 14, [4, 6, 4]],
    ["uatp", "1", 15, [4, 5, 6]],
    ["jcb", "3528", 16, [4, 4, 4, 4]],
    ["jcb", "3589", 16, [4, 4, 4, 4]],
    ["unionpay", "62", 16, [4, 4, 4, 4]],
    ["unionpay", "6212", 19, [4, 4, 4, 4, 3]],
    ["maestro", "6759", 16, [4, 4, 4, 4]],
    ["discover", "6011", 16, [4, 4, 4, 4]],
  ] as const);
  const digits = luhnComplete(prefix, length);
  let grouped = "";
  let at = 0;
  const separator = pick([" ", "-", ""]);
  for (const size of groups) {
    grouped += (at ? separator : "") + digits.slice(at, at + size);
    at += size;
  }
  add(`card-${scheme}`, wrap(pick([`card number: ${grouped}`, `paid with ${scheme.toUpperCase()} ${grouped} exp 11/28`, `{"pan":"${grouped}","cvv":"***"}`, `Kartennummer ${grouped}`])), [grouped]);
}
for (let i = 0; i < 8; i++) {
  const ssn = `${100 + Math.floor(random() * 560)}.${10 + Math.floor(random() * 89)}.${1000 + Math.floor(random() * 8999)}`;
  add("ssn-dots", wrap(pick([`SSN: ${ssn}`, `social security number ${ssn} on file`, `ssn=${ssn}`])), [ssn]);
}
for (let i = 0; i < 36; i++) {
  const d = (n: number) => chars(DIGITS, n);
  const [country, phone, line] = pick([
    ["jp", () => `090-${d(4)}-${d(4)}`, (p: string) => `携帯電話: ${p}`],
    ["jp", () => `080-${d(4)}-${d(4)}`, (p: string) => `Japan mobile ${p}`],
    ["jp", () => `03-${d(4)}-${d(4)}`, (p: string) => `Tokyo office (JP) tel ${p}`],
    ["cn", () => `138${d(8)}`, (p: string) => `手机号码：${p}`],
    ["cn", () => `139 ${d(4)} ${d(4)}`, (p: string) => `China mobile: ${p}`],
    ["uk", () => `07700 ${d(6)}`, (p: string) => `UK mobile ${p}`],
    ["uk", () => `020 7946 ${d(4)}`, (p: string) => `London office, United Kingdom: ${p}`],
    ["de", () => `030 ${d(8)}`, (p: string) => `Telefon (Deutschland): ${p}`],
    ["de", () => `0171 ${d(7)}`, (p: string) => `Handy: ${p}`],
    ["fr", () => `06 ${d(2)} ${d(2)} ${d(2)} ${d(2)}`, (p: string) => `Téléphone portable : ${p}`],
    ["fr", () => `01.${d(2)}.${d(2)}.${d(2)}.${d(2)}`, (p: string) => `France, tél. ${p}`],
    ["in", () => `98${d(3)} ${d(5)}`, (p: string) => `India mobile: ${p}`],
    ["in", () => `+91-98${d(8)}`, (p: string) => `contact ${p}`],
    ["glued", () => `555-${d(3)}-${d(4)}`, (p: string) => `Phone:${p}`],
    ["glued", () => `+1${d(10)}`, (p: string) => `tel${p}`],
    ["glued", () => `(212) 555-${d(4)}`, (p: string) => `mobile(cell)${p}`],
  ] as const);
  const number = phone();
  add(`phone-${country}`, wrap(line(number)), [number]);
}
// Numbers glued to the word that announces them.
for (let i = 0; i < 8; i++) {
  const d = (n: number) => chars(DIGITS, n);
  const [kind, value, line] = pick([
    ["phone", () => `415-555-${d(4)}`, (v: string) => `phone${v}`],
    ["phone", () => `07700 900${d(3)}`, (v: string) => `Mob.${v} UK`],
    ["iban", () => pick(["DE89370400440532013000", "GB33BUKB20201555555555"]), (v: string) => `IBAN${v}`],
    ["ssn", () => `${pick(["219", "457"])}-${pick(["09", "31", "66"])}-${pick(["9999", "1120", "4711"])}`, (v: string) => `SSN${v}`],
  ] as const);
  const number = value();
  add(`glued-${kind}`, wrap(line(number)), [number]);
}
const IBANS = ["DE89370400440532013000", "GB33BUKB20201555555555", "FR1420041010050500013M02606", "NL91ABNA0417164300", "ES9121000418450200051332", "IT60X0542811101000000123456", "CH9300762011623852957", "BE68539007547034"];
for (const iban of IBANS) {
  add("iban-capitals", wrap(pick([`IBAN ${iban}BIC DEUTDEFF`, `${iban}EUR`, `Konto: ${iban} BIC COBADEFFXXX`, `iban:${iban}TRANSFER`])), [iban]);
}
for (let i = 0; i < 12; i++) {
  const local = pick(["jose", "marie.curie", "wang.wei", "o.brien", "bob+news"]);
  const host = pick(["xn--bcher-kva.example", "xn--mller-kva.de", "xn--80ak6aa92e.com", "müller.de", "пример.рф", "例え.jp", "bücher.example"]);
  const email = `${local}@${host}`;
  add("email-idn", wrap(pick([`contact: ${email}`, `From: "Customer" <${email}>`, `{"email":"${email}"}`])), [email]);
}

// ---------------------------------------------------------------- 7. one marker per secret
for (let i = 0; i < 20; i++) {
  const a = password(SAFE_SYMBOLS);
  const b = `ghp_${chars(ALNUM, 36)}`;
  const form = pick([
    [`password=${a} user=deploy token=${b}`, "user=deploy"],
    [`{"password": "${a}", "region": "eu-west-1", "token": "${b}"}`, "eu-west-1"],
    [`db_password: ${a}\nregion: eu-west-1\ngithub_token: ${b}`, "eu-west-1"],
    [`Authorization: Bearer ${b} ; keep-alive ; X-Api-Key: ${a}`, "keep-alive"],
    [`card 4111 1111 1111 1111 and password '${a}' for invoice 2231`, "invoice"],
  ] as const);
  add("multi", wrap(form[0]), form[0].startsWith("card") ? ["4111 1111 1111 1111", a] : [a, b]);
}

// ---------------------------------------------------------------- 6. precision: look-alikes that stay
const PLACEHOLDERS = ["xxxxxxxxxxxxxxxx", "XXXXXXXXXXXXXXXXXXXX", "****************", "PUT_YOUR_API_KEY_HERE", "<your-key>", "<YOUR_TOKEN>", "changeme", "${API_TOKEN}", "$API_TOKEN", "{apiKey}", "[API_KEY]", "%(password)s", "{{ api_token }}", "{{.Values.password}}", "your-secret-here", "REPLACE_ME", "<redacted>", "$(cat /run/secrets/db)", "%DB_PASSWORD%", "#{ENV['TOKEN']}", "__API_KEY__", "...", "<token>", "********"];
for (const placeholder of PLACEHOLDERS) {
  const form = pick([`password = "${placeholder}"`, `API_KEY=${placeholder}`, `Authorization: Bearer ${placeholder}`, `"token": "${placeholder}"`, `curl -u admin:${placeholder} https://x.example.com`, `X-Api-Key: ${placeholder}`]);
  keep("keep-placeholder", wrap(form), [form]);
}
for (const prefix of ["ghp_", "glpat-", "sk-", "sk_live_", "xoxb-", "AKIA", "npm_", "hf_", "SG.", "lsv2_pt_", "NRAK-", "ntn_", "ops_", "dop_v1_", "pplx-"]) {
  const tail = pick(["xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "************************************", "<your-token>", "YOUR_TOKEN_HERE", "${TOKEN}", "...", "REPLACE_ME_WITH_YOUR_TOKEN", "0000000000000000000000000000000000000000"]);
  const text = pick([`token: ${prefix}${tail}`, `export TOKEN=${prefix}${tail}`, `Tokens look like ${prefix}${tail}.`]);
  keep("keep-prefix-placeholder", wrap(text), [`${prefix}${tail}`]);
}
const CODE = [
  "apiKey: this.apiKey,",
  "const password = process.env.DB_PASSWORD;",
  "token = os.getenv('GITHUB_TOKEN')",
  "String password = request.getParameter(\"password\");",
  "secret_key = settings.SECRET_KEY",
  "password = getPassword()",
  "self.api_key = api_key",
  "let token = await getToken(client);",
  "if (token == null) return;",
  "password: hashPassword(input.password),",
  "auth_token = request.headers.get('Authorization')",
  "const secret = config.get('secret');",
  "func (c *Client) SetToken(token string) {",
  "def rotate_key(self, key_id: str) -> None:",
  "tokenizer = AutoTokenizer.from_pretrained(model_name)",
  "max_tokens: 4096",
  "keyboardShortcut: ctrl+k",
  "passwordResetUrl: /account/reset",
  "KeyboardInterrupt raised in worker",
  "$password = $input;",
  "token_count = len(tokens)",
  "secretsmanager.get_secret_value(SecretId=secret_name)",
  "password_hash = bcrypt.hashpw(password, salt)",
  "tokens_per_second: 52.1",
  "api_key_header = \"X-Api-Key\"",
  "login(username=username, password=password)",
  "<input type=\"password\" name=\"password\" id=\"password\">",
  "  private_key_path: ~/.ssh/id_ed25519",
  "ssl_key: /etc/ssl/private/server.key",
  "key_file = \"certs/client-key.pem\"",
];
for (const code of CODE) keepAll("keep-code", code);
const HANDLES = [
  "bucket_key: uploads/2025/03/report-final.pdf",
  "sort_key: created_at#2025-03-01T10:00:00Z",
  "partition_key: tenant-7f3a9c21",
  "S3Key: logs/2025/03/01/app-7f3a9c21e0.log.gz",
  "object_key = \"images/avatars/u-81726354.png\"",
  "\"primaryKey\": \"order_id\"",
  "cache_key=user:81726354:profile:v3",
  "KeyName: prod-bastion-keypair-2025",
  "kms_key_id: arn:aws:kms:eu-west-1:123456789012:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
  "key: status.conditions[0].type",
  "\"key\": \"PROJ-4821\"",
  "foreign_key: customer_id",
  "hotkey: ctrl+shift+p",
  "\"Key\": \"reports/2025/q1/summary.csv\"",
  "sortKey: updatedAt",
  "routing_key: orders.created.eu",
];
for (const handle of HANDLES) keepAll("keep-handle", handle);
const IN_WORDS = [
  "see docs/guides/ghp_token-setup.md for setup",
  "https://example.com/blog/sk-learn-tutorial-for-beginners-2024-edition",
  "download xoxb-setup-instructions-v2.png from the wiki",
  "the task-scheduler skipped askpass-helper-and-more-things-long-name",
  "npm_config_cache=/tmp/npm-cache npm_config_loglevel=warn",
  "file: reports/glpat-rotation-checklist-2025.pdf",
  "riskAssessmentForTheQuarterlyReviewMeeting2025Edition",
  "https://gitlab.example.com/api/v4/projects/glpat-migration-notes/wiki",
  "mv dapi-backup-archive.tar.gz /srv/old/",
  "import sk_learn_utils_for_models as sklu",
  "github.com/acme/ghs_pipeline_runner_tools",
  "/var/lib/EAAB-scheduler/cache",
];
for (const text of IN_WORDS) keepAll("keep-prefix-in-word", text);
const PERSONAL_KEEP = [
  "build 20250301.1234.5678 finished",
  "order 1354 1234 5678 911 shipped",
  "version 3.14.159265 released",
  "trace id 4bf92f3577b34da6a3ce929d0e0e4736",
  "ISBN 978-3-16-148410-0",
  "tracking number 1Z999AA10123456784",
  "invoice INV-2025-000184 total 1,234.56 EUR",
  "timestamp 1741000000000 ms",
  "port range 30000-32767 open",
  "uuid 123e4567-e89b-12d3-a456-426614174000",
  "DE89 is the prefix of German IBANs",
  "ip 192.168.100.200 and 10.0.0.1",
  "sha1 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",
  "coordinates 48.858844, 2.294351",
  "ssn-like 000.12.3456 is not valid",
  "user@localhost accepted",
  "ssh deploy@host.example.com",
  "x = 090-1234-5678 + 1",
  "part no. 0171-1234567-A",
  "release 2025.03.01.12 tag",
];
for (const text of PERSONAL_KEEP) keepAll("keep-personal", text);
const EXAMPLES = [
  "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
  "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  "Stripe publishable key: pk_test_TYooMQauvdEDq54NiTphI7jx",
  "NEXT_PUBLIC_API_URL=https://api.example.com",
  "public_key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGdummyKEYforDOCSonly0000000000000000000 ops@laptop",
  "token_type: Bearer",
  "Authorization header missing",
  "password reset link sent",
  "Use the --password-stdin flag",
  "auth: required",
];
for (const text of EXAMPLES) keepAll("keep-example", text);
// Made-up ids that merely end in EXAMPLE are not AWS's documented examples: they are redacted.
for (let i = 0; i < 3; i++) {
  const id = `AKIA${chars(UPPER_DIGITS, 9)}EXAMPLE`;
  add("provider-aws-not-documented", wrap(`aws_access_key_id = ${id}`), [id]);
}

const out = cases.map((c) => JSON.stringify(c)).join("\n") + "\n";
export const OWN_CORPUS = out;
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(new URL("./own.jsonl", import.meta.url), out);
  const positives = cases.filter((c) => !c.negative).length;
  console.log(`${cases.length} cases: ${positives} positives, ${cases.length - positives} negatives`);
}
