// Planted secrets, one or more per detector kind, each in a sentence as tool output would carry it,
// plus look-alikes that must survive. Synthetic values only: none of them is a real credential.

import { generateToken } from "../../src/auth/token.js";

const warden = generateToken();

export const PLANTED: { kind: string; family: "credentials" | "personal"; text: string; secret: string }[] = [
  { kind: "mcp-warden-token", family: "credentials", text: `token in the log: ${warden}`, secret: warden },
  { kind: "github-token", family: "credentials", text: "Authorization: token ghp_Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8", secret: "ghp_Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8" },
  { kind: "github-token", family: "credentials", text: "GH=github_pat_11ABCDEFG0123456789abc_0123456789abcdefghijABCDEFGHIJ0123456789abcdefghijABCDEFGHI", secret: "github_pat_11ABCDEFG0123456789abc_0123456789abcdefghijABCDEFGHIJ0123456789abcdefghijABCDEFGHI" },
  { kind: "gitlab-token", family: "credentials", text: "curl -H 'PRIVATE-TOKEN: glpat-Zx9Yw8Vu7Ts6Rq5Po4Nm' https://gitlab.example", secret: "glpat-Zx9Yw8Vu7Ts6Rq5Po4Nm" },
  { kind: "npm-token", family: "credentials", text: "//registry.npmjs.org/:_authToken=npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", secret: "npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8" },
  { kind: "slack-token", family: "credentials", text: "bot token xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx ok", secret: "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx" },
  { kind: "stripe-key", family: "credentials", text: "stripe.api_key = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc'", secret: "sk_live_4eC39HqLyjWDarjtT1zdp7dc" },
  { kind: "openai-key", family: "credentials", text: "OPENAI: sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78St90", secret: "sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78St90" },
  { kind: "google-api-key", family: "credentials", text: "maps key AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q", secret: "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q" },
  { kind: "aws-access-key-id", family: "credentials", text: "aws_access_key_id = AKIAQ3EGRKLMNOPQ7XYZ", secret: "AKIAQ3EGRKLMNOPQ7XYZ" },
  { kind: "secret-assignment", family: "credentials", text: "aws_secret_access_key = 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", secret: "kR9pL2mX8vN4bQ7wT1yU6iO3eA5sD0fG2hJ9kLzX" },
  { kind: "aws-secret-key", family: "credentials", text: "Access key ID,Secret access key\nAKIAQ3EGRKLMNOPQ7XYZ,Hq7/Lm2Np9Rs4Tv8Wx1Yz3Ab6Cd0Ef5Gh2Ij7Kl9", secret: "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" },
  { kind: "secret-assignment", family: "credentials", text: "$ deploy --api-token Zx81Qw72Er63Ty54Ui45 --region eu-west-1", secret: "Zx81Qw72Er63Ty54Ui45" },
  { kind: "secret-assignment", family: "credentials", text: '<appSettings>\n  <add key="DbPassword" value="Tr0ub4dor-and-3" />\n</appSettings>', secret: "Tr0ub4dor-and-3" },
  { kind: "secret-assignment", family: "credentials", text: "<server>\n  <id>nexus</id>\n  <username>deploy</username>\n  <password>p4ss-W0rd-nexus!</password>\n</server>", secret: "p4ss-W0rd-nexus!" },
  { kind: "private-key", family: "credentials", text: "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8s9t0u1v2w3x4y\nz5A6B7C8D9E0F1G2H3I4J5K6L7M8N9O0P1Q2R3S4T5U6V7W8X9Y0Z1a2b3c4d5e6\n-----END RSA PRIVATE KEY-----", secret: "MIIEpAIBAAKCAQEA1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8s9t0u1v2w3x4y" },
  { kind: "jwt", family: "credentials", text: "id_token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEyMyIsInJvbGUiOiJhZG1pbiJ9.c2lnbmF0dXJlLXZhbHVlLWhlcmUtMTIzNDU2", secret: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEyMyIsInJvbGUiOiJhZG1pbiJ9.c2lnbmF0dXJlLXZhbHVlLWhlcmUtMTIzNDU2" },
  { kind: "url-credentials", family: "credentials", text: "DATABASE_URL=postgres://app:Sup3r-S3cret-Pw@db.internal:5432/app", secret: "Sup3r-S3cret-Pw" },
  { kind: "bearer-token", family: "credentials", text: "the proxy sent Bearer Zq8Xw7Cv6Bn5Mm4Ll3Kk2Jj1Hh0 upstream", secret: "Zq8Xw7Cv6Bn5Mm4Ll3Kk2Jj1Hh0" },
  { kind: "aws-session-token", family: "credentials", text: "session IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDx1Tt8Yk2Lm9Np3Qr5St7Uv expires at noon", secret: "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDx1Tt8Yk2Lm9Np3Qr5St7Uv" },
  { kind: "azure-storage-key", family: "credentials", text: "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=Kq3Lm9Np2Qr5St8Uv1Wx4Yz7Ab0Cd3Ef6Gh9Ij2Kl5Mn8Op1Qr4St7Uv0Wx3Yz6Ab9Cd2Ef5Gh8Ij1Kl4Mn7Op0Q==;EndpointSuffix=core.windows.net", secret: "Kq3Lm9Np2Qr5St8Uv1Wx4Yz7Ab0Cd3Ef6Gh9Ij2Kl5Mn8Op1Qr4St7Uv0Wx3Yz6Ab9Cd2Ef5Gh8Ij1Kl4Mn7Op0Q==" },
  { kind: "authorization", family: "credentials", text: "> Authorization: Basic YWRtaW46aHVudGVyMjAyNSE=", secret: "YWRtaW46aHVudGVyMjAyNSE=" },
  { kind: "url-secret-parameter", family: "credentials", text: "download https://files.example/x.csv?id=7&token=Zq8Xw7Cv6Bn5Mm4Ll3Kk2", secret: "Zq8Xw7Cv6Bn5Mm4Ll3Kk2" },
  { kind: "secret-assignment", family: "credentials", text: 'config: {"db_password": "tangerine-Orbit-4471"}', secret: "tangerine-Orbit-4471" },
  { kind: "email", family: "personal", text: "contact jane.doe@globex-mail.example for details", secret: "jane.doe@globex-mail.example" },
  { kind: "phone", family: "personal", text: "call me back on +44 20 7946 0958 tomorrow", secret: "+44 20 7946 0958" },
  { kind: "phone", family: "personal", text: "customer phone: (415) 555-0134", secret: "(415) 555-0134" },
  { kind: "payment-card", family: "personal", text: "card 4111 1111 1111 1111 exp 12/29", secret: "4111 1111 1111 1111" },
  { kind: "ssn", family: "personal", text: "ssn 123-45-6789 on file", secret: "123-45-6789" },
  { kind: "iban", family: "personal", text: "pay to GB82WEST12345698765432 today", secret: "GB82WEST12345698765432" },
];

/** Look-alikes that must come back unchanged. */
export const KEEP = [
  "commit 47b6a6480aecc1c49f5c2d2f9bb22cc984d1e0e3",
  "id 6f1ba389-851b-4965-8b93-7ace0c4375ae",
  "batch 4134-2363-1864-4985 settled",
  "part no. 633-555-0166 fits model 265.877.7724",
  "git@github.com:acme/billing-worker.git",
  "export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
  "API_TOKEN=YOUR_API_KEY_HERE",
  "password: ••••••••",
  "Bearer tokens are checked on every request.",
  "sha256:f2854b363b6df583c50cf76cbceb9aa5ff4e66c6110a0476dbdf60fa4b039a58",
  "pk_live_51cxdTIzdKXJ60xgAbiWs7U3LuUMyILrM8iWb4xc1GMKf8QrNz",
  "version 5.9.1 released 2025-04-10T10:42:02.711Z (epoch 1763618356)",
  "docker login --password-stdin registry.example.com",
  '<add key="PasswordMinLength" value="12" />',
  "<passwordPolicy>strict</passwordPolicy>",
  "mcp-warden token create --principal alice --roles developer --expires 30d",
  "gh secret set --secret-name DEPLOY_KEY --env production",
];
