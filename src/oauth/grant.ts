// One OAuth grant (a user's consent for one client at one origin endpoint) lives in its own Durable
// Object, so code redemption and refresh rotation are atomic: each call runs start to finish under
// blockConcurrencyWhile, KV writes included, and no other call on the same grant interleaves. The grant
// keeps only keyed hashes (the KV keys of its tokens, HMAC-SHA256 under the pepper): a code is redeemed
// once, a refresh token is used once, and a second use of either revokes the whole grant, deleting every
// token it issued from KV (RFC 9700 §4.14, OAuth 2.1 §4.1.3). It keeps its two grant-index records
// (oauth/grant-index.ts) with it: written at creation, deleted at revocation, and an alarm at the grant's
// absolute end deletes its storage. See docs/storage-schema.md.

import { DurableObject } from "cloudflare:workers";
import type { TokenRecord } from "../auth/record.js";
import { metadataOf } from "../auth/record.js";
import { grantIndexKeys, indexMetadata, type GrantIndexEntry } from "./grant-index.js";
import { rolesAtRefresh, type RolePolicy } from "./grant-roles.js";

export type GrantInit = {
  subject: string;
  name: string;
  roles: string[];
  clientId: string;
  redirectUri: string;
  /** The origin name whose endpoint this grant's tokens may reach, and no other. */
  origin: string;
  codeChallenge: string;
  /** KV key of the authorization code (the code itself is never stored). */
  codeKey: string;
  codeExpiresAt: number;
  refreshSeconds: number;
  /** The grant's absolute end (policy `oauth.grantTtl`, within `gateway.maxTokenLifetime`): no token outlives it. */
  expiresAt: number;
  /** The ID token claims the role mapping read at consent, mapped again at every refresh. */
  claims: Record<string, unknown>;
  /** The roles the client asked for as scopes; absent, every role the user maps to. */
  scopes?: string[];
};

type GrantState = GrantInit & {
  id: string;
  createdAt: number;
  codeUsed: boolean;
  revoked: boolean;
  /** The one refresh token that may be used next (its KV key) and its generation, which every issue raises. */
  refreshKey?: string;
  generation: number;
  refreshExpiresAt: number;
  /** The KV keys of the access tokens issued and not yet expired, deleted with the refresh pointer on revocation. */
  issued: { key: string; expiresAt: number }[];
};

/** What redemption or refresh asks for: the presented credential's checks and the new tokens' KV keys. */
export type Exchange = {
  presentedKey: string;
  /** For a refresh: the generation its KV pointer carries; an older one than the grant's is a reused token. */
  generation?: number;
  clientId: string;
  /** The origin the client named in `resource`, if it named one. */
  origin?: string;
  /** For a code: the S256 challenge computed from the verifier, and the redirect URI sent again. */
  codeChallenge?: string;
  redirectUri?: string;
  accessKey: string;
  refreshKey: string;
  accessSeconds: number;
  now: number;
  /** For a refresh: the policy in force, against which the stored claims are mapped again. */
  policy?: RolePolicy;
};

export type ExchangeResult =
  | { ok: true; roles: string[]; origin: string; accessExpiresAt: number }
  | { ok: false; reason: string; revoked: boolean };

export type GrantEnv = { TOKENS: KVNamespace };

const STATE = "grant";

export class OAuthGrant extends DurableObject<GrantEnv> {
  /**
   * Creates the grant; false if it already exists. Its id derives from the pending request's, so a consent
   * submitted twice at once reaches this one object twice and makes one grant, not two.
   */
  create(id: string, init: GrantInit, now: number): Promise<boolean> {
    return this.ctx.blockConcurrencyWhile(async () => {
      if (await this.ctx.storage.get<GrantState>(STATE)) return false;
      const state: GrantState = { ...init, id, createdAt: now, codeUsed: false, revoked: false, generation: 0, refreshExpiresAt: 0, issued: [] };
      await this.ctx.storage.put(STATE, state);
      await this.ctx.storage.setAlarm(init.expiresAt * 1000);
      const entry: GrantIndexEntry = { grant: id, subject: init.subject, name: init.name, client: init.clientId, origin: init.origin, roles: init.roles, createdAt: now, expiresAt: init.expiresAt };
      const metadata = indexMetadata(entry);
      // KV expires nothing sooner than a minute from now.
      const expiration = Math.max(init.expiresAt, now + 60);
      await Promise.all((await grantIndexKeys(entry)).map((key) => this.env.TOKENS.put(key, JSON.stringify(entry), { expiration, metadata })));
      return true;
    });
  }

  /** The grant's absolute end: nothing it issued can still be live, so its storage goes (its KV records expired with it). */
  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }

  redeemCode(exchange: Exchange): Promise<ExchangeResult> {
    return this.ctx.blockConcurrencyWhile(async () => {
      const state = await this.ctx.storage.get<GrantState>(STATE);
      if (!state || state.revoked) return { ok: false, reason: "grant unknown or revoked", revoked: false };
      if (state.codeKey !== exchange.presentedKey) return { ok: false, reason: "code does not belong to this grant", revoked: false };
      if (state.codeUsed) return this.revoke(state, "authorization code replayed");
      state.codeUsed = true;
      if (state.codeExpiresAt <= exchange.now) return this.fail(state, "authorization code expired");
      if (exchange.clientId !== state.clientId) return this.fail(state, "code issued to another client");
      if (exchange.redirectUri !== state.redirectUri) return this.fail(state, "redirect_uri differs from the authorization request");
      if (exchange.codeChallenge !== state.codeChallenge) return this.fail(state, "code_verifier does not match the code_challenge");
      if (exchange.origin !== undefined && exchange.origin !== state.origin) return this.fail(state, "resource differs from the authorization request");
      return this.issue(state, exchange);
    });
  }

  refresh(exchange: Exchange): Promise<ExchangeResult> {
    return this.ctx.blockConcurrencyWhile(async () => {
      const state = await this.ctx.storage.get<GrantState>(STATE);
      if (!state || state.revoked) return { ok: false, reason: "grant unknown or revoked", revoked: false };
      if (exchange.generation === undefined) return { ok: false, reason: "refresh pointer names no generation", revoked: false };
      if (exchange.generation < state.generation) return this.revoke(state, "refresh token reused");
      if (state.refreshKey !== exchange.presentedKey) return { ok: false, reason: "refresh token does not belong to this grant", revoked: false };
      if (state.refreshExpiresAt <= exchange.now) return { ok: false, reason: "refresh token expired", revoked: false };
      if (exchange.clientId !== state.clientId) return { ok: false, reason: "refresh token issued to another client", revoked: false };
      if (exchange.origin !== undefined && exchange.origin !== state.origin) return { ok: false, reason: "resource differs from the grant's", revoked: false };
      if (state.expiresAt <= exchange.now) return this.revoke(state, "grant lifetime ended");
      if (exchange.policy) {
        const roles = rolesAtRefresh(exchange.policy, state.claims, state.scopes, state.roles);
        if (roles.length === 0) return this.revoke(state, "the current policy grants none of the grant's roles");
        state.roles = roles;
      }
      return this.issue(state, exchange);
    });
  }

  /** Revokes the grant (`mcp-warden grant revoke`): its subject and client if it was live, else undefined. */
  revokeGrant(reason: string): Promise<{ subject: string; client: string } | undefined> {
    return this.ctx.blockConcurrencyWhile(async () => {
      const state = await this.ctx.storage.get<GrantState>(STATE);
      if (!state || state.revoked) return undefined;
      await this.revoke(state, reason);
      return { subject: state.subject, client: state.clientId };
    });
  }

  private async fail(state: GrantState, reason: string): Promise<ExchangeResult> {
    await this.ctx.storage.put(STATE, state);
    return { ok: false, reason, revoked: false };
  }

  private async revoke(state: GrantState, reason: string): Promise<ExchangeResult> {
    state.revoked = true;
    const keys = [...state.issued.map(({ key }) => key), ...(state.refreshKey ? [state.refreshKey] : []), ...(await grantIndexKeys({ grant: state.id, subject: state.subject, client: state.clientId }))];
    state.issued = [];
    state.refreshKey = undefined;
    await this.ctx.storage.put(STATE, state);
    await Promise.all(keys.map((key) => this.env.TOKENS.delete(key)));
    return { ok: false, reason, revoked: true };
  }

  private async issue(state: GrantState, exchange: Exchange): Promise<ExchangeResult> {
    const { now } = exchange;
    // The previous refresh pointer stays in KV until it expires, naming its older generation: its reuse is detected.
    state.generation += 1;
    state.refreshKey = exchange.refreshKey;
    state.refreshExpiresAt = Math.min(now + state.refreshSeconds, state.expiresAt);
    const accessExpiresAt = Math.min(now + exchange.accessSeconds, state.expiresAt);
    state.issued = state.issued.filter(({ expiresAt }) => expiresAt > now);
    state.issued.push({ key: exchange.accessKey, expiresAt: accessExpiresAt });
    await this.ctx.storage.put(STATE, state);
    const record: TokenRecord = {
      v: 1,
      principal: state.subject,
      name: state.name,
      roles: state.roles,
      createdAt: now,
      expiresAt: accessExpiresAt,
      origins: [state.origin],
      grant: state.id,
      client: state.clientId,
    };
    await Promise.all([
      this.env.TOKENS.put(exchange.accessKey, JSON.stringify(record), { expiration: accessExpiresAt, metadata: metadataOf(record) }),
      this.env.TOKENS.put(exchange.refreshKey, JSON.stringify({ v: 1, grant: state.id, generation: state.generation }), { expiration: state.refreshExpiresAt }),
    ]);
    return { ok: true, roles: state.roles, origin: state.origin, accessExpiresAt };
  }
}
