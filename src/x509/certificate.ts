// X.509 certificates (RFC 5280 Section 4.1), parsed from DER.

export interface NameAttribute {
  readonly oid: string; // "2.5.4.3"
  readonly shortName: string | undefined; // "CN", "O", "OU", "C", "ST", "L", "emailAddress", ...
  readonly value: string;
}

export interface Name {
  /** The DER encoding of the Name (for issuer/subject matching and CertificateRequest). */
  readonly raw: Uint8Array;
  readonly attributes: readonly NameAttribute[];
}

export interface SubjectAltName {
  readonly dnsNames: readonly string[];
  /** 4 or 16 bytes each. */
  readonly ipAddresses: readonly Uint8Array[];
  readonly emails: readonly string[];
  readonly uris: readonly string[];
}

export interface CertificateExtension {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Uint8Array;
}

export interface Certificate {
  readonly raw: Uint8Array;
  /** The DER TBSCertificate, what the issuer signed. */
  readonly tbsCertificate: Uint8Array;
  readonly version: number; // 1, 2 or 3
  readonly serialNumber: Uint8Array; // big-endian, as encoded
  /** The signature algorithm OID and, where it maps to one, the TLS SignatureScheme used to verify it. */
  readonly signatureAlgorithm: { readonly oid: string; readonly scheme: number | undefined };
  readonly signatureValue: Uint8Array;
  readonly issuer: Name;
  readonly subject: Name;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The DER SubjectPublicKeyInfo. */
  readonly subjectPublicKeyInfo: Uint8Array;
  readonly publicKeyAlgorithm: 'rsa' | 'rsa-pss' | 'ec' | 'ed25519' | 'unknown';
  /** NamedGroup of an EC key's curve. */
  readonly namedCurve: number | undefined;
  readonly extensions: readonly CertificateExtension[];
  readonly basicConstraints: { readonly ca: boolean; readonly pathLenConstraint: number | undefined } | undefined;
  /** KeyUsage bits, bit 0 = digitalSignature (RFC 5280 Section 4.2.1.3), or undefined when absent. */
  readonly keyUsage: number | undefined;
  /** ExtendedKeyUsage OIDs, or undefined when absent. */
  readonly extKeyUsage: readonly string[] | undefined;
  readonly subjectAltName: SubjectAltName | undefined;
  readonly subjectKeyIdentifier: Uint8Array | undefined;
  readonly authorityKeyIdentifier: Uint8Array | undefined;
}

/** Parses one DER certificate. Throws TlsError(bad_certificate) naming what is malformed. */
export declare function parseCertificate(der: Uint8Array): Certificate;

/** The subject's or issuer's attribute value by short name ("CN"), or undefined. */
export declare function nameAttribute(name: Name, shortName: string): string | undefined;

/** A one-line form of a Name, e.g. "CN=localhost, O=Example". */
export declare function formatName(name: Name): string;
