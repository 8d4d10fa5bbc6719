/* Internal to seal/: the GB/T 38540 (v4/v5) and GM/T 0031-2014 (v1) structures as OpenSSL
 * ASN.1 templates, and the SM2 helpers the parser, the verifier, the builder and the maker
 * share. Not for callers outside seal/ses_*.c and seal/sealmaker.c: use seal/ses.h. */
#ifndef SES_ASN1_H
#define SES_ASN1_H

#include <openssl/asn1.h>
#include <openssl/asn1t.h>
#include <openssl/evp.h>
#include <openssl/safestack.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "util/sk_err.h"

typedef struct SES_HEADER_st {
    ASN1_IA5STRING *ID; /* "ES" */
    ASN1_INTEGER *version;
    ASN1_IA5STRING *Vid;
} SES_HEADER;

typedef struct SES_PICTURE_st {
    ASN1_IA5STRING *type;
    ASN1_OCTET_STRING *data;
    ASN1_INTEGER *width;
    ASN1_INTEGER *height;
} SES_PICTURE;

typedef struct SES_EXTDATA_st {
    ASN1_OBJECT *extnID;
    ASN1_BOOLEAN critical; /* DEFAULT FALSE; an explicit FALSE in the input is accepted */
    ASN1_OCTET_STRING *extnValue;
} SES_EXTDATA;
DEFINE_STACK_OF(SES_EXTDATA)

typedef struct SES_CERTDIGEST_st {
    ASN1_PRINTABLESTRING *type;
    ASN1_OCTET_STRING *value;
} SES_CERTDIGEST;
DEFINE_STACK_OF(SES_CERTDIGEST)

/* The two SES_CertList alternatives are both SEQUENCE OF, which a CHOICE cannot tell apart
 * by tag; certListType decides, so v4 keeps certList as ANY and decodes it with one of these. */
typedef STACK_OF(ASN1_STRING) SES_CERTS;
typedef STACK_OF(SES_CERTDIGEST) SES_CERTDIGESTS;

typedef struct SES_PROPERTY_V4_st {
    ASN1_INTEGER *type;
    ASN1_UTF8STRING *name;
    ASN1_INTEGER *certListType;
    ASN1_TYPE *certList;
    ASN1_TIME *createDate; /* GeneralizedTime by the standard; UTCTime tolerated */
    ASN1_TIME *validStart;
    ASN1_TIME *validEnd;
} SES_PROPERTY_V4;

typedef struct SES_PROPERTY_V1_st {
    ASN1_INTEGER *type;
    ASN1_UTF8STRING *name;
    STACK_OF(ASN1_STRING) *certList; /* SEQUENCE OF OCTET STRING */
    ASN1_TIME *createDate;           /* UTCTime or GeneralizedTime in the field */
    ASN1_TIME *validStart;
    ASN1_TIME *validEnd;
} SES_PROPERTY_V1;

typedef struct SES_SEALINFO_V4_st {
    SES_HEADER *header;
    ASN1_IA5STRING *esID;
    SES_PROPERTY_V4 *property;
    SES_PICTURE *picture;
    STACK_OF(SES_EXTDATA) *extDatas;
} SES_SEALINFO_V4;

typedef struct SES_SEALINFO_V1_st {
    SES_HEADER *header;
    ASN1_IA5STRING *esID;
    SES_PROPERTY_V1 *property;
    SES_PICTURE *picture;
    STACK_OF(SES_EXTDATA) *extDatas;   /* untagged, as the 2014 text has it */
    STACK_OF(SES_EXTDATA) *extDatas0; /* [0] EXPLICIT, as some producers write it */
} SES_SEALINFO_V1;

typedef struct SES_SEAL_V4_st {
    SES_SEALINFO_V4 *eSealInfo;
    ASN1_OCTET_STRING *cert;
    ASN1_OBJECT *signAlgID;
    ASN1_BIT_STRING *signedValue;
    ASN1_BIT_STRING *timeStamp; /* v5: [0] EXPLICIT, optional */
} SES_SEAL_V4;

typedef struct SES_SIGNINFO_V1_st {
    ASN1_OCTET_STRING *cert;
    ASN1_OBJECT *signatureAlgorithm;
    ASN1_BIT_STRING *signData;
} SES_SIGNINFO_V1;

typedef struct SES_SEAL_V1_st {
    SES_SEALINFO_V1 *esealInfo;
    SES_SIGNINFO_V1 *signInfo;
} SES_SEAL_V1;

/* The document-signature structures. Only the seal inside them is read, so eseal is ANY:
 * it then keeps its original bytes, which go through the seal parser unchanged. */
typedef struct SES_TBS_SIGN_V4_st {
    ASN1_INTEGER *version;
    ASN1_TYPE *eseal;
    ASN1_TIME *timeInfo;
    ASN1_BIT_STRING *dataHash;
    ASN1_IA5STRING *propertyInfo;
    STACK_OF(SES_EXTDATA) *extDatas;
} SES_TBS_SIGN_V4;

typedef struct SES_SIGNATURE_V4_st {
    SES_TBS_SIGN_V4 *toSign;
    ASN1_OCTET_STRING *cert;
    ASN1_OBJECT *signatureAlgID;
    ASN1_BIT_STRING *signature;
    ASN1_BIT_STRING *timeStamp;
} SES_SIGNATURE_V4;

typedef struct SES_TBS_SIGN_V1_st {
    ASN1_INTEGER *version;
    ASN1_TYPE *eseal;
    ASN1_BIT_STRING *timeInfo;
    ASN1_BIT_STRING *dataHash;
    ASN1_IA5STRING *propertyInfo;
    ASN1_OCTET_STRING *cert;
    ASN1_OBJECT *signatureAlgorithm;
} SES_TBS_SIGN_V1;

typedef struct SES_SIGNATURE_V1_st {
    SES_TBS_SIGN_V1 *toSign;
    ASN1_BIT_STRING *signature;
} SES_SIGNATURE_V1;

DECLARE_ASN1_FUNCTIONS(SES_HEADER)
DECLARE_ASN1_FUNCTIONS(SES_PICTURE)
DECLARE_ASN1_FUNCTIONS(SES_EXTDATA)
DECLARE_ASN1_FUNCTIONS(SES_CERTDIGEST)
DECLARE_ASN1_FUNCTIONS(SES_CERTS)
DECLARE_ASN1_FUNCTIONS(SES_CERTDIGESTS)
DECLARE_ASN1_FUNCTIONS(SES_PROPERTY_V4)
DECLARE_ASN1_FUNCTIONS(SES_PROPERTY_V1)
DECLARE_ASN1_FUNCTIONS(SES_SEALINFO_V4)
DECLARE_ASN1_FUNCTIONS(SES_SEALINFO_V1)
DECLARE_ASN1_FUNCTIONS(SES_SEAL_V4)
DECLARE_ASN1_FUNCTIONS(SES_SIGNINFO_V1)
DECLARE_ASN1_FUNCTIONS(SES_SEAL_V1)
DECLARE_ASN1_FUNCTIONS(SES_TBS_SIGN_V4)
DECLARE_ASN1_FUNCTIONS(SES_SIGNATURE_V4)
DECLARE_ASN1_FUNCTIONS(SES_TBS_SIGN_V1)
DECLARE_ASN1_FUNCTIONS(SES_SIGNATURE_V1)

/* A seal's signature over tbs with the maker's key, SM2 with the user ID every seal
 * producer uses (OpenSSL 3.0's default is empty); signing is util/sk_sm2.h's sk_sm2_sign.
 * SK_OK, SK_EFAIL for a signature that does not check, SK_ECRYPTO for anything else. */
int ses_sm2_verify(EVP_PKEY *key, const EVP_MD *md, const unsigned char *tbs, size_t tbs_len,
                   const unsigned char *sig, size_t sig_len, sk_err *e);

#endif
