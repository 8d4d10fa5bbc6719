/* Seal pictures: a scanned seal impression -> a clean seal picture for the electronic seal.
 *
 * The pipeline (pic.c): bound the input (bytes, then megapixels from the header, then a
 * JPEG's scans: pic_jpeg.c), decode (BMP by pic_bmp.c, JPEG and PNG by Leptonica),
 * measure red ink (R - max(G, B), which paper, grey noise, black pen and blue print do not
 * have), clean speckle, find seal-sized red regions, refuse what a reviewer would refuse
 * (pic_gate.c), straighten a square seal, crop, scale, and write an RGBA PNG whose ink is
 * pure seal red and whose background is fully transparent (pic_render.c).
 *
 * Nothing here prints. Leptonica itself writes messages to stderr unless a program calls
 * setMsgSeverity(L_SEVERITY_NONE) once (it is process-wide state, so the CLI does it). */
#ifndef SK_PIC_H
#define SK_PIC_H

#include <leptonica/allheaders.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/sk_err.h"

/* The values are the seal type codes of SEAL.md ("Seal types"). */
typedef enum { PIC_OFFICIAL = 1, PIC_LEGAL_REP = 5 } pic_kind;

#define PIC_MAX_BYTES_DEFAULT (1024u * 1024u) /* DOMAIN.md: scans are at most 1 MB */
#define PIC_MAX_MEGAPIXELS 40
/* libjpeg passes over the image once per scan. A progressive JPEG has about 10 (libjpeg's
 * own script: 10 for colour, 6 for grey); 100 bounds a hostile one at the 40 megapixel limit
 * to a few seconds of decoding (docs/seal-picture.md "Formats and limits"). */
#define PIC_MAX_JPEG_SCANS 100
#define PIC_RED 0xE6001200u /* seal red #E60012 as a Leptonica RGBA word */

typedef struct pic_opts {
    pic_kind kind;
    int size_mm;      /* physical size: official diameter 38-45, legal rep side 18-22 */
    size_t max_bytes; /* refuse larger files; 0 for PIC_MAX_BYTES_DEFAULT */
    int out_px;       /* side of the square picture, 64-4096; 0 for 800 / 600 */
} pic_opts;

/* Defaults for a kind: 40 mm / 800 px official, 20 mm / 600 px legal rep, 1 MB. */
void pic_opts_init(pic_opts *o, pic_kind kind);

/* What the pipeline measured and why it decided as it did (for --explain). Fields it did
 * not get to are left 0. */
typedef struct pic_report {
    size_t bytes;         /* input size, 0 for pic_convert_pix */
    int width, height;    /* scan, pixels */
    double megapixels;
    double red_fraction;  /* share of the scan's pixels that are red ink */
    int regions;          /* seal-sized red regions */
    int box_x, box_y, box_w, box_h; /* the chosen region in the scan, pixels */
    double ink_fill;      /* ink pixels / area of the region's outline */
    double roundness;     /* outline area / circle through its farthest point: 1 disc, .64 square */
    double squareness;    /* outline area / its box after straightening: 1 square, .79 disc */
    double aspect;        /* width / height of that box */
    double rotation_deg;  /* estimated tilt; corrected for the square seal only */
    double ink_strength;  /* median R - max(G, B) of the ink, 0-255; faint ink is low */
    double px_per_mm;     /* scan resolution across the seal */
    double out_px_per_mm; /* picture resolution across the seal */
    int size_mm;          /* physical size recorded for the seal */
    int out_px;
    int accepted;
    char decision[256];   /* one line: "accepted: ..." or the reason for refusal */
} pic_report;

/* Convert a scan file. On success *png (free() it) holds the RGBA PNG. Returns SK_OK,
 * SK_EINPUT (unreadable, too big, or refused by the quality gate: e->msg names the file and
 * the reason), SK_EIO or SK_EINTERNAL. r may be NULL; when given it is filled on refusal too. */
int pic_convert_file(const char *scan_path, const pic_opts *o, unsigned char **png,
                     size_t *png_len, pic_report *r, sk_err *e);

/* The same for a scan in memory; name labels messages ("order X: legal rep box"). */
int pic_convert_mem(const unsigned char *data, size_t len, const char *name, const pic_opts *o,
                    unsigned char **png, size_t *png_len, pic_report *r, sk_err *e);

/* The same for a decoded image (any depth; the byte limit does not apply). pix is not
 * modified or freed. */
int pic_convert_pix(PIX *pix, const char *name, const pic_opts *o, unsigned char **png,
                    size_t *png_len, pic_report *r, sk_err *e);

/* Decode a scan within the bounds (pic_decode.c): refused before decoding when the header
 * names another format (TIFF allowed with tiff_ok), more than PIC_MAX_MEGAPIXELS, or a JPEG
 * with more than PIC_MAX_JPEG_SCANS scans. *width and *height are set once the header is
 * read, even on refusal. SK_EINPUT naming the file and the reason. */
int pic_decode_bounded(const unsigned char *data, size_t len, const char *name, bool tiff_ok,
                       PIX **pix, int *width, int *height, sk_err *e);

/* --- stages, shared by the pic_*.c files --- */

/* The scans (SOS markers) libjpeg would decode in the JPEG data[0..len), which starts with
 * SOI: every one up to EOI, skipping segments by their lengths as libjpeg does. */
int pic_jpeg_scans(const unsigned char *data, size_t len);

/* A BMP's header, parsed without allocating (pic_bmp.c). */
typedef struct pic_bmp {
    int width, height; /* both > 0 */
    int top_down;      /* rows stored top row first */
    int bpp;           /* 1, 2, 4, 8, 16, 24 or 32 */
    int compression;   /* 0 none, 1 RLE8, 2 RLE4, 3 / 6 bit fields */
    unsigned mask[3];  /* red, green, blue bits of a 16- or 32-bit pixel */
    int ncolors;       /* palette entries stored, 1-256, for bpp <= 8 */
    int pal_entry;     /* 3 (core header) or 4 bytes */
    size_t pal_offset; /* where the palette starts */
    size_t offset;     /* where the pixels start, inside the file */
} pic_bmp;

/* Parse and check the headers of the BMP data[0..len) (it starts with "BM"): SK_EINPUT naming
 * the file and the variant when it is not one pic_bmp_decode reads. */
int pic_bmp_header(const unsigned char *data, size_t len, const char *name, pic_bmp *b,
                   sk_err *e);

/* Decode it into a new 32 bpp PIX (b from pic_bmp_header on the same data; bound its size
 * first). SK_EINPUT when the pixels are truncated, SK_EINTERNAL out of memory. */
int pic_bmp_decode(const pic_bmp *b, const unsigned char *data, size_t len, const char *name,
                   PIX **pix, sk_err *e);

/* Redness is R - max(G, B), clipped at 0, and 0 where R < PIC_INK_MIN_R; ink is redness
 * >= PIC_INK_MIN. */
#define PIC_INK_MIN_R 130
#define PIC_INK_MIN 30

/* Binary ink mask of the whole 32 bpp scan, isolated specks removed. One pass over the RGB
 * words: no 8 bpp redness image of the page is made, since only the seal's box needs one. */
int pic_ink_mask(PIX *pix32, PIX **mask, sk_err *e);

/* The 8 bpp redness of the part of pix32 inside box (clipped to the image) and, when hist
 * is not NULL, the 256-bin histogram of the redness under ink (1 bpp, the clipped box's
 * size), as pixGetGrayHistogramMasked would give it. */
int pic_redness(PIX *pix32, BOX *box, PIX *ink, PIX **red, NUMA **hist, sk_err *e);

/* The single seal-sized region: its box, its redness (*red, cropped to *box), its outline
 * (filled, at scan resolution, from the box's corner), measurements into r; SK_EINPUT with
 * the reason when the gate refuses. */
int pic_find_seal(PIX *mask, PIX *pix32, const char *name, const pic_opts *o, BOX **box,
                  PIX **red, PIX **outline, pic_report *r, sk_err *e);

/* Alpha from the seal's redness (cropped to its box) inside the outline, straightened,
 * cropped tight, squared, scaled to o->out_px, then the PNG. red is overwritten with the
 * unscaled alpha: it is the largest image left and nothing needs it afterwards. */
int pic_render(PIX *red, PIX *outline, const pic_opts *o, pic_report *r, unsigned char **png,
               size_t *png_len, sk_err *e);

#endif
