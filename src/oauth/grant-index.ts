// The KV index of live OAuth grants, so an operator can find them without visiting every grant object:
// two records per grant, one under its subject and one under its client, so `mcp-warden grant list
// --subject S` or `--client C` is one KV list by prefix. Written by the grant object when it is created,
// deleted by it when it is revoked, expiring with the grant. See docs/storage-schema.md.

export const GRANT_INDEX_PREFIX = "oauth-grant:";

/** What `grant list` shows of a grant: in the KV metadata, so a list needs no get (metadata holds at most 1024 bytes). */
export type GrantIndexEntry = {
  grant: string;
  subject: string;
  name: string;
  client: string;
  origin: string;
  roles: string[];
  createdAt: number;
  expiresAt: number;
};

async function digest(text: string): Promise<string> {
  const bytes = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return [...bytes.slice(0, 16)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** The key prefix of every grant of `subject` (or, with `by: "client"`, of a client id): a fixed-length hash, whatever the id's length or characters. */
export async function grantIndexPrefix(by: "subject" | "client", value: string): Promise<string> {
  return `${GRANT_INDEX_PREFIX}${by}:${await digest(value)}:`;
}

/** Both index keys of a grant. */
export async function grantIndexKeys(entry: Pick<GrantIndexEntry, "grant" | "subject" | "client">): Promise<string[]> {
  return [(await grantIndexPrefix("subject", entry.subject)) + entry.grant, (await grantIndexPrefix("client", entry.client)) + entry.grant];
}

const MAX_METADATA_BYTES = 1024;

/** The entry as KV metadata: long texts cut (the longest first, by halves) until the whole fits KV's 1024-byte metadata limit. */
export function indexMetadata(entry: GrantIndexEntry): GrantIndexEntry {
  const metadata = { ...entry, roles: entry.roles.slice(0, 8) };
  const size = () => new TextEncoder().encode(JSON.stringify(metadata)).length;
  while (size() > MAX_METADATA_BYTES) {
    const texts = [["subject", metadata.subject.length], ["name", metadata.name.length], ["client", metadata.client.length], ["origin", metadata.origin.length]] as const;
    const longestRole = Math.max(...metadata.roles.map((role) => role.length), 0);
    const [field, length] = [...texts].sort((a, b) => b[1] - a[1])[0]!;
    if (longestRole > length) metadata.roles = metadata.roles.map((role) => role.slice(0, Math.ceil(longestRole / 2)));
    else metadata[field] = metadata[field].slice(0, Math.ceil(length / 2));
  }
  return metadata;
}

/** A grant id as the revoke endpoint and the CLI take it: the 32 hex digits `grant list` shows. */
export const GRANT_ID = /^[0-9a-f]{32}$/;
