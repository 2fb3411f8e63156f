// TLS material of the admission webhook server: from files (tls.crt, tls.key, and ca.crt when
// present, e.g. a Secret made by the Helm chart), or self-signed at start (a CA and a serving
// certificate for the given DNS names and IPs) when no files are given.
import { readFile } from 'node:fs/promises';
import { webcrypto } from 'node:crypto';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

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

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** A fresh CA and a serving certificate for `dnsNames` and `ips`, valid `days` days (ECDSA P-256). */
export async function selfSignedCert(opts: { dnsNames: readonly string[]; ips?: readonly string[]; days?: number; now?: Date }): Promise<ServingCert> {
  const crypto = webcrypto;
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const notBefore = new Date((opts.now ?? new Date()).getTime() - 60_000);
  const notAfter = new Date(notBefore.getTime() + (opts.days ?? 365) * 86_400_000);
  const caKeys = (await crypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: 'CN=kontroler-webhook-ca',
      keys: caKeys,
      notBefore,
      notAfter,
      signingAlgorithm: alg,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  const keys = (await crypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const leaf = await x509.X509CertificateGenerator.create(
    {
      subject: `CN=${opts.dnsNames[0] ?? 'kontroler-webhook'}`,
      issuer: ca.subject,
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      notBefore,
      notAfter,
      signingAlgorithm: alg,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([
          ...opts.dnsNames.map((value) => ({ type: 'dns' as const, value })),
          ...(opts.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
        ]),
      ],
    },
    crypto,
  );
  const key = await crypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { cert: leaf.toString('pem') + '\n', key: pem('PRIVATE KEY', key), ca: ca.toString('pem') + '\n' };
}
