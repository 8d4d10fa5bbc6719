/* A JPEG's scans, counted before it is decoded.
 *
 * libjpeg decodes a progressive JPEG by passing over every block of a scan's components once
 * per scan, and a scan can be a dozen bytes (one end-of-band run over the whole image), so a
 * 200 KB file with 5,000 scans costs seconds to minutes of CPU. Leptonica gives no hook to
 * stop it (libjpeg's progress monitor), so the markers are walked here the way libjpeg reads
 * them and pic_convert_mem refuses a file with more than PIC_MAX_JPEG_SCANS. One pass over
 * bytes already in memory: negligible beside the decode. */
#include <limits.h>

#include "seal/pic.h"

int pic_jpeg_scans(const unsigned char *d, size_t len)
{
    size_t p = 2; /* after SOI, which pixReadHeaderMem has seen */
    int scans = 0;

    while (p < len) {
        unsigned m;
        size_t seglen;

        /* A marker is 0xFF, any fill 0xFF bytes, then its code. Other bytes are entropy-coded
         * data or garbage between segments, which libjpeg skips the same way (with a warning). */
        if (d[p++] != 0xFF)
            continue;
        while (p < len && d[p] == 0xFF)
            p++;
        if (p >= len)
            break;
        m = d[p++];
        if (m == 0x00 || m == 0x01 || (m >= 0xD0 && m <= 0xD7))
            continue; /* a stuffed 0xFF data byte, TEM, RSTn: no length follows */
        if (m == 0xD8 || m == 0xD9)
            break; /* EOI: libjpeg reads no further; a second SOI is fatal to it */
        if (m == 0xDA && scans < INT_MAX)
            scans++;
        /* Every other marker has a length that counts itself; libjpeg either consumes exactly
         * that (APPn, COM, and the tables and SOS headers it checks) or stops with an error,
         * so skipping by it finds the same next marker, and an embedded thumbnail's scans
         * inside APP1 are not counted. */
        if (len - p < 2)
            break;
        seglen = (size_t)d[p] << 8 | d[p + 1];
        p += seglen >= 2 ? seglen : 2;
    }
    return scans;
}
