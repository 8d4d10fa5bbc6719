/* Compile-time proof that skf/gmt0016.h lays the structures out as GM/T 0016-2012 does
 * (sizes and offsets with 1-byte packing, 32-bit ULONG), so a vendor library and sealkey
 * read the same bytes. A mistake here is a build failure, not a wrong signature. */
#include "skf/gmt0016.h"

#include <stddef.h>

_Static_assert(sizeof(ULONG) == 4, "ULONG is 32-bit unsigned (GM/T 0016 6.2)");
_Static_assert(sizeof(BOOL) == 4, "BOOL is 32-bit");
_Static_assert(sizeof(VERSION) == 2, "VERSION");
_Static_assert(sizeof(DEVINFO) == 294, "DEVINFO");
_Static_assert(offsetof(DEVINFO, Manufacturer) == 2, "DEVINFO.Manufacturer");
_Static_assert(offsetof(DEVINFO, Label) == 130, "DEVINFO.Label");
_Static_assert(offsetof(DEVINFO, SerialNumber) == 162, "DEVINFO.SerialNumber");
_Static_assert(offsetof(DEVINFO, AlgSymCap) == 198, "DEVINFO.AlgSymCap");
_Static_assert(offsetof(DEVINFO, TotalSpace) == 214, "DEVINFO.TotalSpace");
_Static_assert(offsetof(DEVINFO, Reserved) == 230, "DEVINFO.Reserved");
_Static_assert(sizeof(ECCPUBLICKEYBLOB) == 132, "ECCPUBLICKEYBLOB");
_Static_assert(offsetof(ECCPUBLICKEYBLOB, XCoordinate) == 4, "ECCPUBLICKEYBLOB.X");
_Static_assert(offsetof(ECCPUBLICKEYBLOB, YCoordinate) == 68, "ECCPUBLICKEYBLOB.Y");
_Static_assert(sizeof(ECCPRIVATEKEYBLOB) == 68, "ECCPRIVATEKEYBLOB");
_Static_assert(sizeof(ECCCIPHERBLOB) == 165, "ECCCIPHERBLOB");
_Static_assert(offsetof(ECCCIPHERBLOB, HASH) == 128, "ECCCIPHERBLOB.HASH");
_Static_assert(offsetof(ECCCIPHERBLOB, CipherLen) == 160, "ECCCIPHERBLOB.CipherLen");
_Static_assert(offsetof(ECCCIPHERBLOB, Cipher) == 164, "ECCCIPHERBLOB.Cipher");
_Static_assert(sizeof(ECCSIGNATUREBLOB) == 128, "ECCSIGNATUREBLOB");
_Static_assert(offsetof(ECCSIGNATUREBLOB, s) == 64, "ECCSIGNATUREBLOB.s");
_Static_assert(sizeof(BLOCKCIPHERPARAM) == 44, "BLOCKCIPHERPARAM");
_Static_assert(offsetof(ENVELOPEDKEYBLOB, cbEncryptedPriKey) == 12, "ENVELOPEDKEYBLOB.cbEnc");
_Static_assert(offsetof(ENVELOPEDKEYBLOB, PubKey) == 76, "ENVELOPEDKEYBLOB.PubKey");
_Static_assert(offsetof(ENVELOPEDKEYBLOB, ECCCipherBlob) == 208, "ENVELOPEDKEYBLOB.Cipher");
_Static_assert(sizeof(ENVELOPEDKEYBLOB) == 373, "ENVELOPEDKEYBLOB");
_Static_assert(sizeof(FILEATTRIBUTE) == 44, "FILEATTRIBUTE");
_Static_assert(offsetof(FILEATTRIBUTE, FileSize) == 32, "FILEATTRIBUTE.FileSize");

/* ISO C forbids an empty translation unit. */
int skf_gmt0016_layout_checked(void);
int skf_gmt0016_layout_checked(void) { return 1; }
