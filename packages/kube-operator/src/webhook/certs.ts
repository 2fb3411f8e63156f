// TLS material of the admission webhook server: from files (tls.crt, tls.key, and ca.crt when
// present, e.g. a Secret made by the Helm chart), or self-signed at start (a CA and a serving
// certificate for the given DNS names and IPs) when no files are given.
import { readFile } from 'node:fs/promises';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import forge from 'node-forge';

export interface ServingCert {
  /** PEM serving certificate (chain). */
  readonly cert: string;
  /** PEM private key. */
  readonly key: string;
  /** PEM CA that signed `cert`: the webhook configuration's caBundle. */
  readonly ca: string;
}

/** Reads `tls.crt`, `tls.key` and (if present) `ca.crt` from `dir`; ca defaults to the certificate itself. */
export async function certFromDir(dir: string): Promise<ServingCert> {
  const [cert, key] = await Promise.all([readFile(join(dir, 'tls.crt'), 'utf8'), readFile(join(dir, 'tls.key'), 'utf8')]);
  const ca = await readFile(join(dir, 'ca.crt'), 'utf8').catch(() => cert);
  return { cert, key, ca };
}

/** An RSA key pair made by Node's native crypto (fast), as node-forge keys. */
function rsaKeys(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; pem: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const priv = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  return { privateKey: priv, publicKey: forge.pki.setRsaPublicKey(priv.n, priv.e), pem: privateKey };
}

/** An unsigned certificate for `publicKey`, valid from `notBefore` to `notAfter`, with a random serial after `serialPrefix` (CA and leaf never share one). */
function certificate(publicKey: forge.pki.rsa.PublicKey, serialPrefix: string, notBefore: Date, notAfter: Date): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = `${serialPrefix}${randomBytes(8).toString('hex')}`;
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  return cert;
}

/** A PEM CA certificate and its PEM key (PKCS#8), to sign serving certificates with. */
export interface CertAuthority {
  readonly cert: string;
  readonly key: string;
}

const CA_NAME = [{ name: 'commonName', value: 'kontroler-webhook-ca' }];

/** A fresh self-signed CA valid `days` days from `now` (minus a minute of clock skew). RSA 2048, SHA-256. */
export function newAuthority(opts: { days: number; now?: Date }): CertAuthority {
  const notBefore = new Date((opts.now ?? new Date()).getTime() - 60_000);
  const notAfter = new Date(notBefore.getTime() + opts.days * 86_400_000);
  const caKeys = rsaKeys();
  const ca = certificate(caKeys.publicKey, '01', notBefore, notAfter);
  ca.setSubject(CA_NAME);
  ca.setIssuer(CA_NAME);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caKeys.privateKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(ca), key: caKeys.pem };
}

/** A serving certificate for `dnsNames` and `ips` signed by `authority`, valid `days` days (never past the CA). */
export function issueServingCert(authority: CertAuthority, opts: { dnsNames: readonly string[]; ips?: readonly string[]; days: number; now?: Date }): { cert: string; key: string } {
  const ca = forge.pki.certificateFromPem(authority.cert);
  const caKey = forge.pki.privateKeyFromPem(authority.key) as forge.pki.rsa.PrivateKey;
  const notBefore = new Date((opts.now ?? new Date()).getTime() - 60_000);
  const notAfter = new Date(Math.min(notBefore.getTime() + opts.days * 86_400_000, ca.validity.notAfter.getTime()));
  const keys = rsaKeys();
  const leaf = certificate(keys.publicKey, '02', notBefore, notAfter);
  leaf.setSubject([{ name: 'commonName', value: opts.dnsNames[0] ?? 'kontroler-webhook' }]);
  leaf.setIssuer(ca.subject.attributes);
  leaf.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [...opts.dnsNames.map((value) => ({ type: 2, value })), ...(opts.ips ?? []).map((ip) => ({ type: 7, ip }))] },
  ]);
  leaf.sign(caKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(leaf), key: keys.pem };
}

/** A fresh CA and a serving certificate for `dnsNames` and `ips`, valid `days` days (RSA 2048, SHA-256). */
export async function selfSignedCert(opts: { dnsNames: readonly string[]; ips?: readonly string[]; days?: number; now?: Date }): Promise<ServingCert> {
  const days = opts.days ?? 365;
  const authority = newAuthority({ days, ...(opts.now ? { now: opts.now } : {}) });
  const leaf = issueServingCert(authority, { dnsNames: opts.dnsNames, ...(opts.ips ? { ips: opts.ips } : {}), days, ...(opts.now ? { now: opts.now } : {}) });
  return { cert: leaf.cert, key: leaf.key, ca: authority.cert };
}
