/* Synthetic seal scans for the picture tests, the examples and the bench: fictional round
 * unit seals and square name seals drawn with Leptonica, stamped on noisy off-white paper,
 * optionally rotated, crossed by a signature or printed over blue text, then saved the way
 * a scanner would (JPEG at quality ~75 by default). Test code: it may print nothing and
 * returns NULL / -1 on failure. Deterministic for a given seed. */
#ifndef SCANGEN_H
#define SCANGEN_H

#include <leptonica/allheaders.h>
#include <stdint.h>

typedef enum { SCANGEN_OFFICIAL, SCANGEN_LEGAL_REP } scangen_kind;

typedef struct scangen_seal {
    scangen_kind kind;
    double size_mm;     /* diameter (official) or side (legal rep) */
    double rotate_deg;  /* clockwise */
    int faint;          /* washed-out, pale ink */
    const char *name;   /* ring text of the round seal */
    const char *serial; /* digits along the bottom of the round seal */
    const char *chars;  /* four characters, 2x2, of the square seal */
    double cx, cy;      /* centre on the page, pixels */
} scangen_seal;

typedef struct scangen_page {
    uint32_t seed;
    int dpi;
    int width, height; /* pixels */
    int noise;         /* amplitude of the paper grain, grey levels */
    int signature;     /* a black pen stroke across the first seal */
    int blue_text;     /* blue printed lines under the first seal */
} scangen_page;

/* The seal's ink coverage, 8 bpp (255 = full ink), centred in a square image and rotated. */
PIX *scangen_seal_alpha(const scangen_seal *s, int dpi);

/* A whole scan: paper, optional blue text, the seals, optional signature. 32 bpp. */
PIX *scangen_render(const scangen_page *p, const scangen_seal *seals, int nseals);

/* Write by the path's extension: .jpg/.jpeg (quality), .png, .bmp. 0 or -1. */
int scangen_write(PIX *pix, const char *path, int quality);

#endif
