/* The station's CA: a root and an issuing CA, created by `sealkey ca init`.
 *
 * Files in <station>/ca/: root.crt, root.key, issuing.crt, chain.pem (issuing then root),
 * and issuing.key unless the issuing key lives on an HSM (station ca.key_uri); and the SM2
 * seal-maker hierarchy (seal/sealmaker.h: seal-root.*, seal-maker.*). Key files are PKCS#8
 * PEM encrypted with AES-256 under the CA secret, mode 0600. With an HSM the same secret is
 * the HSM token's user PIN. */
#ifndef SK_CA_H
#define SK_CA_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <time.h>

#include "issuer/records/ledger.h"
#include "issuer/orders/order.h"
#include "issuer/station/station.h"
#include "pkcs11/tok.h"
#include "util/sk_err.h"

typedef struct ca ca;

typedef struct ca_init_opts {
    sk_keyalg key_alg;  /* CA key algorithm (ec-p256 default, rsa-3072 option) */
    int root_days;      /* default 7300 */
    int issuing_days;   /* default 3650 */
} ca_init_opts;

/* Create the hierarchy. Under an exclusive lock on <station>/ca.lock, refuses (SK_ESTATE) if
 * any CA or seal-maker file exists in <station>/ca, and creates each file exclusively, so of
 * two inits at once exactly one makes the CA. SK_EINPUT unless 1 <= issuing_days <= root_days.
 * secret is the key-file passphrase (and HSM PIN when st->ca_key_uri is set; hsm must then be
 * the loaded module). */
int ca_init(const station_config *st, const ca_init_opts *o, const char *secret, tok_module *hsm,
            sk_err *e);

/* Load the issuing CA: certificates, and the key from its file or the HSM. Checks that the
 * files are one CA: the issuing key (file, or on the HSM by a test signature) and the root
 * key (when ca/root.key is in the station) match their certificates, chain.pem holds
 * issuing.crt, any policy CAs, then root.crt, each signed by the next; SK_ECRYPTO naming the
 * files otherwise. */
int ca_open(const station_config *st, const char *secret, tok_module *hsm, ca **out, sk_err *e);

/* The root CA key from ca/root.key, checked against root.crt; *out NULL (and SK_OK) when the
 * station does not hold the root key. The caller frees it. */
int ca_load_root_key(const station_config *st, const ca *c, const char *secret, EVP_PKEY **out,
                     sk_err *e);
void ca_free(ca *c);

X509 *ca_issuing_cert(const ca *c);
X509 *ca_root_cert(const ca *c);
/* The issuing key (software or on the HSM); owned by the ca. */
EVP_PKEY *ca_issuing_key(const ca *c);
/* Hex SubjectKeyIdentifier of the issuing CA: the issuer id serials are unique under. */
const char *ca_issuer_id(const ca *c);

/* A policy CA, or a few, may stand between the CA's root and the station's issuing CA
 * (ca import --chain, docs/pki.md). */
#define CA_POLICY_MAX 4
#define CA_CHAIN_MAX (CA_POLICY_MAX + 2)
/* The CA certificates above a leaf, as ca/chain.pem, the tokens and out/ORDER/chain.pem carry
 * them: the issuing CA, the policy CAs (nearest first), the root. Returns how many (2 with no
 * policy CA); the certificates are the ca's. */
size_t ca_chain(const ca *c, X509 *out[CA_CHAIN_MAX]);

/* A fresh serial: 128 random bits, positive, as upper-case hex. */
int ca_new_serial(char *hex, size_t hexlen, sk_err *e);

/* A leaf certificate never outlives the issuing CA: its notAfter is not_before +
 * validity_days, capped at the issuing CA's notAfter (*capped tells). SK_ESTATE when the cap
 * leaves less than CA_LEAF_MIN_DAYS (or validity_days, if shorter): time to renew the CA. */
#define CA_LEAF_MIN_DAYS 30
int ca_leaf_validity(const ca *c, const station_project *p, time_t not_before,
                     time_t *not_after, bool *capped, sk_err *e);

/* Issue the organisation signing certificate for an order under a project profile:
 * subject CN and O = unit name, organizationIdentifier = USCC, C=CN, ST/L from the profile;
 * keyUsage digitalSignature+nonRepudiation (critical), basicConstraints CA:FALSE (critical),
 * SKI/AKI, CRL distribution point and AIA from the profile, validity from the profile
 * capped by ca_leaf_validity. */
int ca_issue_org_cert(ca *c, const station_project *p, const order *o, EVP_PKEY *subject_key,
                      const char *serial_hex, time_t not_before, X509 **out, sk_err *e);

/* ca_issue_org_cert with another keyUsage (OpenSSL config form, e.g. "critical,
 * keyEncipherment,dataEncipherment"): the same subject, validity and extensions otherwise. */
int ca_issue_org_cert_ku(ca *c, const station_project *p, const order *o, EVP_PKEY *subject_key,
                         const char *serial_hex, time_t not_before, const char *key_usage,
                         X509 **out, sk_err *e);

/* SM2 (issuer/ca/ca_sm2.c). An sm2 project needs an SM2 issuing CA (GM/T 0015: SM2
 * certificates signed SM2-with-SM3 with the SM2 ID 1234567812345678): SK_EINPUT naming the
 * project otherwise. */
int ca_check_project_alg(const ca *c, const station_project *p, sk_err *e);

/* ca_issue_org_cert for the public key of a request made on the token: the request's own
 * signature must verify (SM2 with the SM2 ID), its key must be of the project's
 * key_algorithm (SK_EFAIL / SK_EINPUT otherwise); the subject and extensions come from the
 * order and the profile, never from the request. */
int ca_issue_org_cert_csr(ca *c, const station_project *p, const order *o, X509_REQ *req,
                          const char *serial_hex, time_t not_before, X509 **out, sk_err *e);

/* The encryption certificate of a dual-certificate (双证书) SM2 token, beside the signing
 * one: from the request the KMC made for the encryption key (issuer/kmc/kmc.h), checked as in
 * ca_issue_org_cert_csr (SM2, sm2 project, SM2 CA); the same subject and profile with
 * keyUsage keyEncipherment + dataEncipherment (critical) instead of the signing usages. */
int ca_issue_org_enc_cert_csr(ca *c, const station_project *p, const order *o, X509_REQ *req,
                              const char *serial_hex, time_t not_before, X509 **out, sk_err *e);

/* The organisation subject name of the profile (also used for the CSR). */
int ca_org_subject(const station_project *p, const order *o, X509_NAME **out, sk_err *e);

/* Build a chain-verification store: root trusted, issuing and policy CAs untrusted
 * intermediates. Checks cert against it at time now. */
int ca_verify_cert(const ca *c, X509 *cert, sk_err *e);

/* Map a revocation reason ("lost", "faulty", "closed" or an RFC 5280 name) to its RFC 5280
 * name; SK_EINPUT for anything else. */
int ca_revocation_reason(const char *name, const char **canonical, sk_err *e);

/* A v2 CRL signed by the issuing CA: the revoked issuances with their dates and reasons,
 * CRL number, AKI, next update in days. */
int ca_make_crl(ca *c, const ledger_issuance *revoked, size_t n, long long number, int days,
                X509_CRL **out, sk_err *e);

/* The root's CRL (empty: the station revokes no CA), signed by root_key (ca_load_root_key),
 * so that the issuing CA's revocation status can be checked too. */
int ca_make_root_crl(ca *c, EVP_PKEY *root_key, long long number, int days, X509_CRL **out,
                     sk_err *e);

/* The file names the CRLs are published under, as the URLs in the certificates end: the
 * issuing CA's CRL under each distinct last segment of the projects' crl_url ("issuing.crl"
 * when none has one), the root's under that of the issuing CA certificate's CRL distribution
 * point (else ca.root_crl_url, else "root.crl"). SK_EINPUT naming the field for a URL that
 * does not end in a plain file name. */
#define CA_CRL_NAME_MAX 128
#define CA_CRL_NAMES_MAX 16
typedef struct ca_crl_names {
    char issuing[CA_CRL_NAMES_MAX][CA_CRL_NAME_MAX];
    size_t n_issuing;
    char root[CA_CRL_NAME_MAX];
    bool issuing_ca_has_dp; /* false: a CA made before ca.root_crl_url (no DP to point at) */
} ca_crl_names;
int ca_crl_names_get(const station_config *st, const ca *c, ca_crl_names *out, sk_err *e);

#endif
