// What the scrubber looks for. Each detector names a kind (the marker says `[REDACTED:<kind>]`), a
// family (`credentials` or `personal`, which policy can switch), a cheap needle test that skips the
// pattern when the text cannot contain it, and a linear-time pattern whose `value` group is what gets
// redacted. Checksums (Luhn, mod-97, CRC32) and context rules keep look-alikes intact. Pure.

import { isWellFormedToken } from "../auth/token.js";
import { DOCUMENTED_EXAMPLES, NOT_A_SECRET, looksRandom } from "./assign.js";

export { SECRET_WORDS, SECRET_WORD_SOURCE, assignmentAt, lineEnds, looksRandom } from "./assign.js";

export type Family = "credentials" | "personal";

export type Detector = {
  kind: string;
  family: Family;
  /** The pattern runs only when the text contains one of these substrings (in any ASCII letter case). */
  needles?: string[];
  /** Global pattern; the named group `value` (or the whole match) is redacted. */
  pattern: RegExp;
  /** For patterns that find an anchor (`@`, `==`): the span around it, or undefined. */
  around?: (text: string, at: number, match: RegExpExecArray) => [number, number] | undefined;
  /** Like `around`, for a match that holds several secrets (an Authorization header's parameters), or
   *  for a detector of several formats, each span with its kind and family. */
  spans?: (text: string, at: number, match: RegExpExecArray) => ([number, number] | [number, number, string, Family])[];
  /** For a detector of several formats: it runs when any of these families is enabled. */
  families?: Family[];
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

/** A provider token that starts with one of its literal prefixes, read to the end of its charset. */
function token(kind: string, needles: string[], source: string, accept?: Detector["accept"]): Detector {
  return { kind, family: "credentials", needles, token: true, prefixed: true, pattern: provider(source), accept };
}
const END = String.raw`(?![A-Za-z0-9_-])`;

// Provider formats, most specific first: prefix, charset, length, and checksum where there is one. Many
// of them follow gitleaks' rule set (https://github.com/gitleaks/gitleaks, config/gitleaks.toml, MIT
// licence, Copyright (c) 2019 Zachary Rice), rewritten so each starts with its literal prefix.
const PROVIDERS: Detector[] = [
  { kind: "mcp-warden-token", family: "credentials", needles: ["mcpw_"], token: true, prefixed: true, pattern: provider(String.raw`mcpw_[0-9A-Za-z]{38}\b`), accept: (value) => isWellFormedToken(value) },
  token("github-token", ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"], String.raw`gh[pousr]_[A-Za-z0-9]{36,255}\b`),
  token("github-token", ["github_pat_"], String.raw`github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}\b`),
  token("gitlab-token", ["glpat-", "gldt-", "glrt-", "glcbt-", "glptt-", "glft-", "glimt-", "glagent-", "glsoat-", "gloas-", "glffct-", "GR1348941"], String.raw`(?:glpat-|gldt-|glrt-|glcbt-|glptt-|glft-|glimt-|glagent-|glsoat-|gloas-|glffct-|GR1348941)[A-Za-z0-9_-]{20,300}(?:\.[0-9a-z]{2}\.?[0-9a-z]{7,9})?${END}`),
  token("gitlab-token", ["_gitlab_session="], String.raw`_gitlab_session=[0-9a-z]{32}\b`),
  token("npm-token", ["npm_"], String.raw`npm_[A-Za-z0-9]{36}\b`),
  token("pypi-token", ["pypi-"], String.raw`pypi-AgE[A-Za-z0-9_-]{50,}`),
  token("slack-token", ["xox", "xapp-"], String.raw`(?:xox[abposre](?:\.xox[bp])?|xapp)-[A-Za-z0-9-]{10,250}\b`),
  { kind: "slack-webhook", family: "credentials", needles: ["hooks.slack.com"], prefixed: true, pattern: /hooks\.slack\.com\/(?:services|workflows|triggers)\/(?<value>[A-Z0-9]+\/[A-Z0-9]+\/[A-Za-z0-9]{16,64})/g },
  { kind: "teams-webhook", family: "credentials", needles: ["webhook.office.com"], prefixed: true, pattern: /webhook\.office\.com\/webhookb2\/(?<value>[A-Za-z0-9@-]{40,120}\/IncomingWebhook\/[A-Za-z0-9]{32}\/[A-Za-z0-9-]{36}(?:\/[A-Za-z0-9_-]{10,80})?)/g },
  { kind: "discord-webhook", family: "credentials", needles: ["/api/webhooks/"], prefixed: true, pattern: /\/api\/webhooks\/\d{17,20}\/(?<value>[A-Za-z0-9_-]{60,80})/g },
  token("stripe-key", ["sk_live_", "sk_test_", "sk_prod_", "rk_live_", "rk_test_", "rk_prod_", "whsec_"], String.raw`(?:[sr]k_(?:live|test|prod)|whsec)_[A-Za-z0-9]{16,250}\b`),
  token("anthropic-key", ["sk-ant-"], String.raw`sk-ant-[a-z0-9]{2,10}-[A-Za-z0-9_-]{32,200}`),
  token("openai-key", ["sk-"], String.raw`sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,250}`),
  token("mapbox-token", ["sk.eyJ"], String.raw`sk\.eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{16,}`),
  token("google-oauth-secret", ["GOCSPX-"], String.raw`GOCSPX-[A-Za-z0-9_-]{28}${END}`),
  token("google-oauth-token", ["ya29."], String.raw`ya29\.[A-Za-z0-9_-]{20,2048}${END}`),
  token("google-api-key", ["AIza"], String.raw`AIza[0-9A-Za-z_-]{35}${END}`),
  token("huggingface-token", ["hf_", "api_org_"], String.raw`(?:hf|api_org)_[A-Za-z0-9]{30,40}\b`),
  token("sendgrid-key", ["SG."], String.raw`SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}`),
  token("shopify-token", ["shpat_", "shpca_", "shppa_", "shpss_"], String.raw`shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b`),
  token("docker-token", ["dckr_pat_", "dckr_oat_"], String.raw`dckr_[po]at_[A-Za-z0-9_-]{20,64}`),
  token("langsmith-key", ["lsv2_"], String.raw`lsv2_(?:pt|sk)_[0-9a-f]{32}_[0-9a-f]{10}\b`),
  token("newrelic-key", ["NRAK-", "NRII-", "NRJS-", "NRAA-"], String.raw`NR(?:AK|II|JS|AA)-[A-Za-z0-9_-]{19,40}${END}`),
  token("notion-token", ["ntn_"], String.raw`ntn_[0-9]{11}[A-Za-z0-9]{35}\b`),
  token("facebook-token", ["EAA"], String.raw`EAA[A-Za-z0-9_-]{24,512}${END}`),
  token("square-token", ["sq0atp-", "sq0csp-"], String.raw`sq0(?:atp|csp)-[A-Za-z0-9_-]{22,60}${END}`),
  token("1password-token", ["ops_eyJ"], String.raw`ops_eyJ[A-Za-z0-9+/]{100,}={0,3}`),
  token("1password-secret-key", ["A3-"], String.raw`A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}\b`),
  token("age-secret-key", ["AGE-SECRET-KEY-1"], String.raw`AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}\b`),
  token("adobe-secret", ["p8e-"], String.raw`p8e-[A-Za-z0-9]{32}\b`),
  token("artifactory-token", ["AKCp", "cmVmd"], String.raw`(?:AKCp[A-Za-z0-9]{69}|cmVmd[A-Za-z0-9]{59})\b`),
  token("alibaba-key", ["LTAI"], String.raw`LTAI[A-Za-z0-9]{20}\b`),
  token("aws-bedrock-key", ["ABSK", "bedrock-api-key-"], String.raw`(?:ABSK[A-Za-z0-9+/]{109,269}={0,2}|bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t[A-Za-z0-9+/=%]{0,2048})`),
  token("clickhouse-key", ["4b1d"], String.raw`4b1d[A-Za-z0-9]{38}\b`),
  token("clojars-token", ["CLOJARS_"], String.raw`CLOJARS_[a-z0-9]{60}\b`),
  token("cloudflare-origin-ca-key", ["v1.0-"], String.raw`v1\.0-[a-f0-9]{24}-[a-f0-9]{146}\b`),
  token("databricks-token", ["dapi"], String.raw`dapi[a-f0-9]{32}(?:-\d)?\b`),
  token("digitalocean-token", ["dop_v1_", "doo_v1_", "dor_v1_"], String.raw`do[opr]_v1_[a-f0-9]{64}\b`),
  token("doppler-token", ["dp.pt.", "dp.st.", "dp.sa.", "dp.ct.", "dp.scim.", "dp.audit."], String.raw`dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9._-]{40,128}${END}`),
  token("duffel-token", ["duffel_"], String.raw`duffel_(?:test|live)_[A-Za-z0-9_=-]{43}${END}`),
  token("dynatrace-token", ["dt0c01."], String.raw`dt0c01\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64}\b`),
  token("easypost-key", ["EZAK", "EZTK"], String.raw`EZ[AT]K[A-Za-z0-9]{54}\b`),
  token("flutterwave-key", ["FLWSECK", "FLWPUBK"], String.raw`FLW(?:SECK|PUBK)(?:_TEST)?-[A-Za-z0-9]{12,32}(?:-X)?\b`),
  token("flyio-token", ["fo1_", "fm1a_", "fm1r_", "fm2_"], String.raw`(?:fo1_[A-Za-z0-9_-]{43}|fm(?:1[ar]|2)_[A-Za-z0-9+/]{100,}={0,3})`),
  token("frameio-token", ["fio-u-"], String.raw`fio-u-[A-Za-z0-9_=-]{64}${END}`),
  token("grafana-token", ["glc_", "glsa_", "eyJrIjoi"], String.raw`(?:glc_[A-Za-z0-9+/]{32,400}={0,3}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}\b|eyJrIjoi[A-Za-z0-9]{50,400}={0,3})`),
  token("harness-token", ["pat.", "sat."], String.raw`[ps]at\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20}\b`),
  token("heroku-key", ["HRKU-"], String.raw`HRKU-[A-Za-z0-9_-]{60}${END}`),
  token("infracost-token", ["ico-"], String.raw`ico-[A-Za-z0-9]{32}\b`),
  token("intra42-secret", ["s-s4t2"], String.raw`s-s4t2(?:ud|af)-[a-f0-9]{64}\b`),
  token("linear-key", ["lin_api_", "lin_oauth_"], String.raw`lin_(?:api|oauth)_[A-Za-z0-9]{40}\b`),
  token("octopus-key", ["API-"], String.raw`API-[A-Z0-9]{26}\b`),
  token("openshift-token", ["sha256~"], String.raw`sha256~[A-Za-z0-9_-]{43}${END}`),
  token("perplexity-key", ["pplx-"], String.raw`pplx-[A-Za-z0-9]{48}\b`),
  token("planetscale-token", ["pscale_"], String.raw`pscale_(?:tkn|oauth|pw)_[A-Za-z0-9_=.-]{32,64}${END}`),
  token("postman-key", ["PMAK-"], String.raw`PMAK-[A-Fa-f0-9]{24}-[A-Fa-f0-9]{34}\b`),
  token("prefect-key", ["pnu_"], String.raw`pnu_[A-Za-z0-9]{36}\b`),
  token("pulumi-token", ["pul-"], String.raw`pul-[a-f0-9]{40}\b`),
  token("readme-key", ["rdme_"], String.raw`rdme_[a-z0-9]{70}\b`),
  token("rubygems-key", ["rubygems_"], String.raw`rubygems_[a-f0-9]{48}\b`),
  token("scalingo-token", ["tk-us-"], String.raw`tk-us-[A-Za-z0-9_-]{48}${END}`),
  token("sendinblue-key", ["xkeysib-", "xsmtpsib-"], String.raw`x(?:key|smtp)sib-[a-f0-9]{64}-[A-Za-z0-9]{16}\b`),
  token("sentry-token", ["sntryu_", "sntrys_"], String.raw`(?:sntryu_[a-f0-9]{64}\b|sntrys_eyJ[A-Za-z0-9+/=_]{40,800})`),
  token("settlemint-token", ["sm_aat_", "sm_pat_", "sm_sat_"], String.raw`sm_[aps]at_[A-Za-z0-9]{16}\b`),
  token("shippo-token", ["shippo_"], String.raw`shippo_(?:live|test)_[a-fA-F0-9]{40}\b`),
  token("typeform-token", ["tfp_"], String.raw`tfp_[A-Za-z0-9_.=-]{40,80}${END}`),
  token("vault-token", ["hvs.", "hvb.", "hvr."], String.raw`hv[sbr]\.[A-Za-z0-9_-]{24,400}${END}`),
  token("atlassian-token", ["ATATT3", "ATCTT3", "ATOAT"], String.raw`AT(?:ATT3|CTT3|OAT)[A-Za-z0-9_=-]{60,300}${END}`),
  token("groq-key", ["gsk_"], String.raw`gsk_[A-Za-z0-9]{48,56}\b`),
  token("replicate-token", ["r8_"], String.raw`r8_[A-Za-z0-9]{37}\b`),
  token("tailscale-key", ["tskey-"], String.raw`tskey-(?:auth|api|client|webhook|scim)-[A-Za-z0-9]{6,}-[A-Za-z0-9]{20,}\b`),
  token("supabase-token", ["sbp_"], String.raw`sbp_[a-f0-9]{40}\b`),
  token("xai-key", ["xai-"], String.raw`xai-[A-Za-z0-9]{60,100}\b`),
  token("google-refresh-token", ["1//0"], String.raw`1\/\/0[A-Za-z0-9_-]{40,300}${END}`),
  token("aws-secret-key", ["AKIA", "ASIA"], String.raw`(?:AKIA|ASIA)[A-Z0-9]{16}[ \t,;:|"']{1,8}(?<value>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])`, (value) => looksRandom(value) && !DOCUMENTED_EXAMPLES.has(value)),
  token("aws-access-key-id", ["AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA", "ABIA", "ACCA", "APKA", "ASCA", "A3T"], String.raw`(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|ABIA|ACCA|APKA|ASCA|A3T[A-Z0-9])[A-Z0-9]{16}\b`, (value) => !DOCUMENTED_EXAMPLES.has(value)),
];

/** Phone and country words, as needles: the national phone detector tries the text around each. */
const NATIONAL_NEEDLES = "phone tel mob cell handy portable fax call sms whatsapp contact number japan china chinese india german deutschland france french kingdom britain british england london tokyo osaka beijing shanghai paris berlin munich mumbai delhi bangalore jp cn uk gb".split(" ");

export const DETECTORS: Detector[] = [
  ...PROVIDERS,
  // STS session tokens: base64 of a binary structure that opens the same way in every region and layout,
  // also URL-encoded (a presigned URL's X-Amz-Security-Token) or with JSON-escaped slashes.
  { kind: "aws-session-token", family: "credentials", needles: ["IQoJb3JpZ2luX2Vj", "FwoGZXIvYXdzE", "FQoGZXIvYXdzE", "AQoDYXdzE", "AQoEXAMPLE"], anchored: true, pattern: /(?:IQoJb3JpZ2luX2Vj|FwoGZXIvYXdzE|FQoGZXIvYXdzE|AQoDYXdzE|AQoEXAMPLE)(?:[A-Za-z0-9/+]|%2[FfBb]|%3[Dd](?=[A-Za-z0-9%])|\\\/){40,}(?:=|%3[Dd]){0,2}/g },
  // Anchored, not prefixed: their needles start with a secret word (`key`, `secret`), which the provider group would hide.
  { kind: "mailgun-key", family: "credentials", needles: ["key-"], token: true, anchored: true, pattern: provider(String.raw`key-[0-9a-z]{32}\b`) },
  { kind: "notion-token", family: "credentials", needles: ["secret_"], token: true, anchored: true, pattern: provider(String.raw`secret_[A-Za-z0-9]{43}\b`) },
  // Formats whose literal part is not at the start: the needle is found, the span is read around it.
  { kind: "azure-client-secret", family: "credentials", needles: ["Q~"], anchored: true, pattern: /Q~/g, around: azureSecretAround },
  { kind: "telegram-bot-token", family: "credentials", needles: [":AA"], anchored: true, pattern: /:AA/g, around: telegramAround },
  { kind: "mailchimp-key", family: "credentials", needles: ["-us"], anchored: true, pattern: /-us\d{1,2}\b/g, around: mailchimpAround },
  { kind: "maxmind-key", family: "credentials", needles: ["_mmk"], anchored: true, pattern: /_mmk\b/g, around: maxmindAround },
  { kind: "terraform-token", family: "credentials", needles: [".atlasv1."], anchored: true, pattern: /\.atlasv1\.[A-Za-z0-9_=-]{60,70}/g, around: terraformAround },
  // Formats that open with capitals and no fixed prefix, in one pass (one read of the text costs more
  // than the alternation): IBANs; Discord bot tokens, base64 of the bot's numeric id (every fourth
  // character M, N or O, as digits encode), a timestamp and an HMAC; Twilio API key SIDs.
  {
    kind: "iban",
    family: "personal",
    families: ["personal", "credentials"],
    pattern:
      /(?<iban>(?:\b|(?<=IBAN|iban))[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30})|(?<twilio>SK[0-9a-fA-F]{32}(?![0-9A-Za-z]))|(?<discord>[MNO][A-Za-z0-9_-]{3}(?:[MNO][A-Za-z0-9_-]{3}){4,5}[A-Za-z0-9_-]{0,3}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}(?![A-Za-z0-9_-]))/g,
    spans: capitalsSpans,
  },
  // 64 random bytes in base64 (Azure account keys and the like), but not a sha512 integrity hash.
  { kind: "base64-key", family: "credentials", needles: ["=="], pattern: /==/g, around: base64KeyAround },
  // Whole private keys, PEM or OpenSSH, with real or JSON-escaped line breaks.
  { kind: "private-key", family: "credentials", needles: ["-----BEGIN "], prefixed: true, pattern: /-----BEGIN (?<label>[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?)-----(?:[A-Za-z0-9+/=\s:,.()-](?<!-----)|\\{1,3}[nr]){0,65536}?-----END \k<label>-----/g },
  { kind: "jwt", family: "credentials", needles: ["eyJ"], anchored: true, pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*)?/g },
  // Credentials in context: headers, URLs, connection strings, command lines, assignments.
  // An Authorization or Proxy-Authorization header, any scheme (or none): the credentials after the scheme,
  // to the end of the header when they are parameters (Digest, `Token token="…"`, AWS4).
  { kind: "authorization", family: "credentials", needles: ["authorization"], anchored: true, pattern: /authorization\\{0,3}["']?[ \t]*[:=][ \t]*\\{0,3}["']?/gi, spans: authorizationSpans },
  { kind: "bearer-token", family: "credentials", needles: ["bearer"], anchored: true, pattern: /\b[Bb]earer[ \t]+(?<value>[A-Za-z0-9._~+/-]{16,}=*)/g, accept: (value) => /\d/.test(value) && /[A-Za-z]/.test(value) },
  { kind: "url-credentials", family: "credentials", needles: ["://"], prefixed: true, pattern: /:\/\/[^\s:/@"'<>]{0,128}:(?<value>[^\s@/"'<>]{1,256})@/g },
  { kind: "url-secret-parameter", family: "credentials", needles: ["?", "&"], anchored: true, pattern: /[?&](?:access_token|refresh_token|id_token|token|sig|signature|x-amz-signature|x-amz-security-token|x-goog-signature|api_key|apikey|key|secret|client_secret|password|pwd|auth|code)=(?<value>[^&\s"'<>)\]\\#]{8,})/gi },
  // Passwords on command lines and in their files: `-p'…'`, mysql's `-pVALUE` (its `-P` is the port),
  // sshpass's `-p VALUE`, curl's `-u user:VALUE`, .netrc's `login NAME password VALUE`; never a
  // variable such as `$DB_PASSWORD` or `${TOKEN}`.
  { kind: "password", family: "credentials", needles: ["-p'", '-p"'], pattern: /(?:^|\s)-p(?<quote>['"])(?<value>[^'"\s]{4,128})\k<quote>/g },
  { kind: "password", family: "credentials", needles: ["mysql", "mariadb"], anchored: true, pattern: /(?:mysql(?:dump|admin)?|mariadb(?:-dump|-admin)?)\b[^\n]{0,120}?[ \t]-p(?<value>[^\s'"-][^\s'"]{3,127})/g, accept: literalSecret },
  { kind: "password", family: "credentials", needles: ["sshpass"], anchored: true, pattern: /sshpass[ \t]+-p[ \t]*(?<quote>['"]?)(?<value>[^'"\s]{4,128})\k<quote>/g, accept: literalSecret },
  { kind: "password", family: "credentials", needles: ["curl", "wget"], anchored: true, pattern: /(?:curl|wget)\b[^\n]{0,200}?[ \t](?:-u|--user|--proxy-user|-U)[ \t=]*(?:(?<q1>['"])[^\s:'"]{1,128}:(?<value>[^'"\n]{1,256})\k<q1>|[^\s:'"]{1,128}:(?:(?<q2>['"])(?<value2>[^'"\n]{1,256})\k<q2>|(?<value3>[^\s'"]{1,256})))/g, accept: literalSecret },
  { kind: "password", family: "credentials", needles: ["http -a", "https -a", "http --auth", "https --auth"], anchored: true, pattern: /https?[ \t]+(?:-a|--auth)[ \t=]*(?<q1>['"]?)[^\s:'"]{1,128}:(?<value>[^\s'"]{1,256})\k<q1>/g, accept: literalSecret },
  // requests' and similar clients' basic auth: `HTTPBasicAuth("user", "…")`, `auth=("user", "…")`.
  { kind: "password", family: "credentials", needles: ["auth("], anchored: true, pattern: /auth\([ \t]*(?<q1>["'])[^"'\n]{1,128}\k<q1>[ \t]*,[ \t]*(?<q2>["'])(?<value>[^"'\n]{4,256})\k<q2>/gi, accept: literalSecret },
  { kind: "password", family: "credentials", needles: ["login"], anchored: true, token: true, pattern: /login[ \t]+\S{1,128}\s+password[ \t]+(?<value>\S{6,128})/g, accept: (value) => literalSecret(value) && !/^[a-z]+$/.test(value) },
  // A registry's `"auth"` field (Docker's config.json): base64 of `user:password`.
  { kind: "basic-credentials", family: "credentials", needles: ["auth"], anchored: true, pattern: /(?<=["'])auth\\{0,3}["'][ \t]*:[ \t]*\\{0,3}["'](?<value>[A-Za-z0-9+/]{8,}={0,2})\\{0,3}["']/g, accept: (value) => decodesToUserPassword(value) },
  // Personal data.
  { kind: "email", family: "personal", needles: ["@"], pattern: /@/g, around: emailAround },
  // Every card layout cardLike accepts opens with four digits, the first 1–6: only there can a match start.
  { kind: "payment-card", family: "personal", pattern: /[1-6](?<![\d.-][1-6])\d{3}(?:[ -]?\d){9,15}(?![\d.])/g, accept: (value) => cardLike(value) },
  { kind: "ssn", family: "personal", pattern: /(?<![\d.-])(?!000|666|9\d\d)\d{3}([- .])(?!00)\d{2}\1(?!0000)\d{4}(?![\d-]|\.\d)/g },
  { kind: "phone", family: "personal", needles: ["+"], anchored: true, pattern: /(?<![\d+])\+[1-9]\d{0,2}(?:[ .-]?\((?:0|\d{2,4})\))?(?:[ .-]?\d){7,13}(?!\d)/g },
  // National formats (JP 090-…, CN 138…, UK 07…/020…, DE 030…/0171…, FR 06 12…, IN 98…) with a phone
  // or country word nearby.
  { kind: "phone", family: "personal", needles: NATIONAL_NEEDLES, anchored: true, pattern: /(?<![A-Za-z\u00c0-\u024f])(?:phone|tel|t[eé]l[eé]phone|telefon[oe]?|mob|mobile?|cell(?:phone)?|handy|portable|fax|call|sms|whatsapp|contact|number|japan(?:ese)?|china|chinese|india[n]?|german[y]?|deutschland|france|french|united kingdom|britain|british|england|london|tokyo|osaka|beijing|shanghai|paris|berlin|munich|mumbai|delhi|bangalore|JP|CN|UK|GB)(?![A-Za-z\u00c0-\u024f])/gi, spans: nationalPhones },
  { kind: "phone", family: "personal", needles: ["電", "携", "手", "号", "號", "連", "联", "휴", "전"], anchored: true, pattern: /電話|携帯|手机|电话|號碼|号码|連絡先|联系|휴대폰|전화/g, spans: nationalPhones },
  // US numbers: not inside a longer number; glued to a word only when the word says phone (`phone415-…`).
  { kind: "phone", family: "personal", pattern: /(?:(?<![\w.+-])1[ .-]|(?<![\d_.+-]))(?:\(\d{3}\)[ ]?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w-])/g, accept: (value, text, at) => gluedToPhoneWord(text, at) && phoneContext(value, text, at) },
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
  if (digits.length < 13 || digits.length > 19 || /^(\d)\1+$/.test(digits) || !/^[1-6]/.test(digits)) return false;
  // UATP cards start with 1 and have 15 digits; Diners Club's 14 digits start with 30, 36, 38 or 39.
  if (digits.startsWith("1") && digits.length !== 15) return false;
  if (digits.length === 14 && !/^3[0689]/.test(digits)) return false;
  // An ungrouped run is a card only at the common lengths (13-digit runs are usually epoch milliseconds).
  if (separators.size === 0 && ![14, 15, 16].includes(digits.length) && !(digits.length === 19 && digits.startsWith("62"))) return false;
  if (separators.size === 1 && !/^\d{4}([ -])\d{4}\1\d{4}\1\d{1,4}(?:\1\d{1,3})?$|^\d{4}([ -])\d{6}\2\d{4,5}$|^\d{4}([ -])\d{5}\3\d{6}$/.test(value)) return false;
  if (separators.size === 1 && digits.startsWith("1") && !/^\d{4}[ -]\d{5}[ -]\d{6}$/.test(value)) return false;
  return luhn(digits);
}

const PHONE_WORDS = /\b(?:phone|ph|tel|telephone|call|callback|called|mobile|mob|cell|sms|text|voice|contact|fax|whatsapp|dial|reach|number|hotline|landline)\b/i;
const NOT_PHONE_WORDS = /\b(?:part|model|sku|serial|catalog|item|order|invoice|ticket|ref|no\.|id)\b/i;
/** Identifier parts as words, so `phone_number`, `phoneNumber` and `order_id` read as phone, number, order, id. */
const asWords = (text: string) => text.replace(/([a-z])(?=[A-Z])/g, "$1 ").replace(/_/g, " ");

function gluedToPhoneWord(text: string, at: number): boolean {
  const before = text[at - 1] ?? " ";
  if (/[\d_.+-]/.test(before)) return false;
  return !/[A-Za-z]/.test(before) || /(?:^|[^A-Za-z])(?:phone|tel|mobile|mob|cell|fax|ph|call|contact)$/i.test(text.slice(Math.max(0, at - 9), at));
}

/** A bare 10-digit number is a phone only with a country prefix, parentheses, or phone words around it. */
function phoneContext(value: string, text: string, at: number): boolean {
  if (value.startsWith("1") || value.startsWith("(")) return true;
  const before = asWords(text.slice(Math.max(0, at - 120), at));
  const after = asWords(text.slice(at + value.length, at + value.length + 40));
  if (NOT_PHONE_WORDS.test(before.slice(-40))) return false;
  return PHONE_WORDS.test(before) || PHONE_WORDS.test(after);
}

/** Words that say a number nearby is a phone in a national format: phone words in several languages, countries. */
/** National formats: JP 090-…/03-…, CN 138…, UK 07…/020…, DE 030…/0171…, FR 06 12…/01.23…, IN 98765 43210. */
const NATIONAL_NUMBER = /(?<![\d+-])(?<!\d\.)(?:0\d{1,4}[ .-]?\d{2,4}(?:[ .-]?\d{2,4}){1,3}|1[3-9]\d[ -]?\d{4}[ -]?\d{4}|[6-9]\d{4}[ -]?\d{5})(?![\d-]|\.\d)/g;

/** A national number (no +country prefix) is a phone only near such a word: up to 60 characters after it, 30 before. */
function nationalPhones(text: string, at: number, match: RegExpExecArray): [number, number][] {
  const word = match[0];
  // Country codes count only in capitals (JP, not jp in file.jp).
  if (word.length === 2 && word !== word.toUpperCase()) return [];
  const from = Math.max(0, at - 30);
  const to = Math.min(text.length, at + word.length + 60);
  // Most such words (call, number, contact in code and prose) have no number near them.
  let digits = 0;
  for (let i = from; i < to && digits < 9; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57) digits++;
  }
  if (digits < 9) return [];
  const window = text.slice(from, to);
  const spans: [number, number][] = [];
  NATIONAL_NUMBER.lastIndex = 0;
  for (let number = NATIONAL_NUMBER.exec(window); number; number = NATIONAL_NUMBER.exec(window)) {
    const value = number[0];
    const digits = value.replace(/\D/g, "").length;
    if (digits < 9 || digits > 12) continue;
    // A Chinese mobile number is 11 digits; an ungrouped run of other lengths is an id.
    if (!/[ .-]/.test(value) && !/^1[3-9]\d{9}$/.test(value) && !/^0\d{9,10}$/.test(value)) continue;
    const start = from + number.index;
    const end = start + value.length;
    // The window may cut a longer number: it must not go on outside.
    if ((number.index === 0 && /[\d.+-]/.test(text[start - 1] ?? "")) || (end === from + window.length && /[\d-]/.test(text[end] ?? ""))) continue;
    if (NOT_PHONE_WORDS.test(asWords(text.slice(Math.max(0, start - 30), start)))) continue;
    spans.push([start, start + value.length]);
  }
  return spans;
}

const BASE64 = /[A-Za-z0-9/+]/;

function capitalsSpans(text: string, at: number, match: RegExpExecArray): [number, number, string, Family][] {
  const { iban, twilio } = match.groups!;
  if (iban !== undefined) {
    const span = ibanAround(text, at, match);
    return span ? [[span[0], span[1], "iban", "personal"]] : [];
  }
  if (!startsToken(text, at)) return [];
  if (twilio !== undefined) return /[a-f]/i.test(twilio.slice(2)) && /\d/.test(twilio) ? [[at, at + twilio.length, "twilio-key", "credentials"]] : [];
  return [[at, at + match[0].length, "discord-token", "credentials"]];
}

/** IBAN lengths by country (ISO 13616 registry). */
const IBAN_LENGTHS: Record<string, number> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, BY: 28, CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DK: 18, DO: 28, EE: 20, EG: 29,
  ES: 24, FI: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20,
  LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, MC: 27, MD: 24, ME: 22, MK: 19, MR: 27, MT: 31, MU: 30, NL: 18, NO: 15, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29,
  RO: 24, RS: 22, SA: 24, SC: 31, SE: 24, SI: 19, SK: 24, SM: 27, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20,
};
/** The IBAN at the start of the match: the country's length when known (letters may follow it, `…3000BIC`), else the longest valid prefix. */
function ibanAround(text: string, at: number, match: RegExpExecArray): [number, number] | undefined {
  const candidate = match[0];
  const ends: number[] = [];
  let count = 0;
  for (let i = 0; i < candidate.length; i++) {
    if (candidate[i] !== " ") ends[++count] = i + 1;
  }
  const known = IBAN_LENGTHS[candidate.slice(0, 2)];
  const lengths = known ? [known] : Array.from({ length: count - 14 }, (_, i) => count - i);
  for (const length of lengths) {
    if (length > count) continue;
    const end = ends[length]!;
    // The IBAN ends a word, or capitals follow it (a BIC, a currency) that are not part of it.
    if (/[0-9a-z]/.test(text[at + end] ?? "") || (text[at + end] === " " && end < candidate.length && /^ [A-Z0-9]{1,4}(?: |$)/.test(candidate.slice(end)) && !known)) continue;
    if (ibanValid(candidate.slice(0, end))) return [at, at + end];
  }
  return undefined;
}

/** Azure AD client secrets: three characters, a digit, `Q~`, then 31–34 more. */
function azureSecretAround(text: string, at: number): [number, number] | undefined {
  const start = at - 4;
  if (start < 0 || !/^[A-Za-z0-9_~.]{3}\d$/.test(text.slice(start, at)) || /[A-Za-z0-9_~.-]/.test(text[start - 1] ?? "")) return undefined;
  let end = at + 2;
  while (end < text.length && end - at < 40 && /[A-Za-z0-9_~.-]/.test(text[end]!)) end++;
  const length = end - at - 2;
  return length >= 31 && length <= 34 ? [start, end] : undefined;
}
/** Telegram bot tokens: the bot's numeric id, `:AA`, then 33 URL-safe characters. */
function telegramAround(text: string, at: number): [number, number] | undefined {
  let start = at;
  while (start > 0 && at - start < 16 && /\d/.test(text[start - 1]!)) start--;
  if (at - start < 5 || /[A-Za-z0-9_]/.test(text[start - 1] ?? "")) return undefined;
  let end = at + 3;
  while (end < text.length && end - at < 40 && /[A-Za-z0-9_-]/.test(text[end]!)) end++;
  return end - at - 3 >= 30 && end - at - 3 <= 36 ? [start, end] : undefined;
}
/** Mailchimp API keys: 32 hex digits, then the datacenter (`-us6`). */
function mailchimpAround(text: string, at: number, match: RegExpExecArray): [number, number] | undefined {
  const start = at - 32;
  if (start < 0 || !/^[0-9a-f]{32}$/.test(text.slice(start, at)) || /[A-Za-z0-9_-]/.test(text[start - 1] ?? "")) return undefined;
  return [start, at + match[0].length];
}
/** MaxMind license keys: 6 characters, `_`, 29 characters, `_mmk`. */
function maxmindAround(text: string, at: number): [number, number] | undefined {
  const start = at - 36;
  if (start < 0 || !/^[A-Za-z0-9]{6}_[A-Za-z0-9]{29}$/.test(text.slice(start, at)) || /[A-Za-z0-9_]/.test(text[start - 1] ?? "")) return undefined;
  return [start, at + 4];
}
/** Terraform Cloud tokens: 14 characters, `.atlasv1.`, 60–70 more. */
function terraformAround(text: string, at: number, match: RegExpExecArray): [number, number] | undefined {
  const start = at - 14;
  if (start < 0 || !/^[a-z0-9]{14}$/i.test(text.slice(start, at)) || /[A-Za-z0-9_]/.test(text[start - 1] ?? "")) return undefined;
  return [start, at + match[0].length];
}

const HEADER_SCHEME = /^[A-Za-z][A-Za-z0-9_-]{1,30}$/;
/**
 * The credentials of an Authorization header: after the scheme (Bearer, Basic, Token, Api-Token, SSWS…)
 * or, without one, the header's whole value; parameters (Digest, `Token token="…"`, AWS4-HMAC-SHA256)
 * to the end of the header.
 */
function authorizationSpans(text: string, at: number, match: RegExpExecArray): [number, number][] {
  const start = at + match[0].length;
  let end = start;
  const stop = (i: number) => {
    const char = text[i]!;
    return char === " " || char === "\t" || char === "\n" || char === "\r" || char === '"' || char === "'" || char === "`" || (char === "\\" && /[nrt"'\\]/.test(text[i + 1] ?? ""));
  };
  while (end < text.length && end - start < 4096 && !stop(end)) end++;
  const first = text.slice(start, end);
  let next = end;
  while (text[next] === " " || text[next] === "\t") next++;
  let second = next;
  while (second < text.length && second - next < 4096 && !stop(second)) second++;
  if (HEADER_SCHEME.test(first) && second > next && text[next] !== "-") {
    if (/^[A-Za-z_-]+=/.test(text.slice(next, second))) return parameterSpans(text, next);
    let valueEnd = second;
    while (valueEnd > next && /[,;]/.test(text[valueEnd - 1]!)) valueEnd--;
    return acceptHeaderValue(text.slice(next, valueEnd)) ? [[next, valueEnd]] : [];
  }
  let valueEnd = end;
  while (valueEnd > start && /[,;]/.test(text[valueEnd - 1]!)) valueEnd--;
  const value = text.slice(start, valueEnd);
  return value.length >= 8 && acceptHeaderValue(value) && !/^[A-Za-z]+$/.test(value) ? [[start, valueEnd]] : [];
}

/** Parameter names whose values are public in an Authorization header (Digest, AWS4, OAuth 1.0). */
const PUBLIC_PARAMETER = /^(?:username|realm|uri|qop|nc|algorithm|opaque|nonce|cnonce|userhash|charset|SignedHeaders|Credential|oauth_version|oauth_signature_method|oauth_timestamp|oauth_nonce|oauth_callback)$/i;
/** `name="value", name=value` parameters: the values of those that are not public. */
const PARAMETER = /[ \t]*,?[ \t]*(?<name>[A-Za-z_-]{1,40})=(?:(?<open>\\{0,3}")(?<quoted>[^"\\\n]{0,4096})\k<open>|(?<bare>[^\s,"'\\]{1,4096}))/dy;
function parameterSpans(text: string, at: number): [number, number][] {
  const spans: [number, number][] = [];
  PARAMETER.lastIndex = at;
  for (let parameter = PARAMETER.exec(text); parameter; parameter = PARAMETER.exec(text)) {
    const range = parameter.indices!.groups!.quoted ?? parameter.indices!.groups!.bare!;
    const value = text.slice(range[0], range[1]);
    if (!PUBLIC_PARAMETER.test(parameter.groups!.name!) && value.length >= 6 && literalSecret(value)) spans.push([range[0], range[1]]);
  }
  return spans;
}
function acceptHeaderValue(value: string): boolean {
  // An interpolation cut short by the quotes inside it (`#{ENV['TOKEN']}`) is a template, not a value.
  return value.length >= 6 && literalSecret(value) && !/^[a-z]+$/.test(value) && !/^[#$]\{[^}]*$/.test(value);
}

/** 64 random bytes in base64 (Azure account keys and the like) ending at this `==`; not a sha512 integrity hash. */
function base64KeyAround(text: string, at: number): [number, number] | undefined {
  const start = at - 86;
  if (start < 0 || BASE64.test(text[at + 2] ?? "") || text[at + 2] === "=") return undefined;
  if (start > 0 && (BASE64.test(text[start - 1]!) || text[start - 1] === "=" || text[start - 1] === "-")) return undefined;
  const value = text.slice(start, at);
  if (!/^[A-Za-z0-9/+]{86}$/.test(value) || !looksRandom(value)) return undefined;
  return [start, at + 2];
}

/** Host names, internationalized (`bücher.example`) or in punycode (`xn--bcher-kva.example`). */
const EMAIL_HOST = /[\p{L}\p{N}-]{1,63}(?:\.[\p{L}\p{N}-]{1,63}){0,8}/uy;
const EMAIL_LOCAL = /[\p{L}\p{N}._%+-]/u;
const TOP_LEVEL_DOMAIN = /\.(?:\p{L}{2,24}|xn--[a-z0-9-]{1,59})$/u;
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
