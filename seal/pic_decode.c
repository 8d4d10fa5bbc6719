/* Decoding a scan within bounds: the header says how much memory and work decoding would
 * take, so an image too large, or a JPEG with too many scans, is refused before a pixel is
 * decoded. Shared by the seal pictures (pic.c) and scanned forms (templates/form_extract.c). */
#include <stdio.h>
#include <string.h>

#include "seal/pic.h"

static bool is_tiff(int fmt)
{
    return fmt == IFF_TIFF || (fmt >= IFF_TIFF_PACKBITS && fmt <= IFF_TIFF_ZIP) ||
           fmt == IFF_TIFF_JPEG;
}

int pic_decode_bounded(const unsigned char *data, size_t len, const char *name, bool tiff_ok,
                       PIX **pix, int *width, int *height, sk_err *e)
{
    pic_bmp bmp;
    int fmt = 0, w = 0, h = 0, bps = 0, spp = 0, scans, ret;
    double megapixels;

    *pix = NULL;
    *width = *height = 0;
    /* BMP is read by pic_bmp.c, which reads the variants Leptonica refuses and names the
     * others. */
    if (len >= 2 && data[0] == 'B' && data[1] == 'M') {
        if ((ret = pic_bmp_header(data, len, name, &bmp, e)) != SK_OK)
            return ret;
        fmt = IFF_BMP;
        w = bmp.width;
        h = bmp.height;
    } else if (pixReadHeaderMem(data, len, &fmt, &w, &h, &bps, &spp, NULL) != 0 ||
               (fmt != IFF_JFIF_JPEG && fmt != IFF_PNG && !(tiff_ok && is_tiff(fmt)))) {
        return sk_err_set(e, SK_EINPUT, "%s: not a JPEG, PNG%s or BMP image", name,
                          tiff_ok ? ", TIFF" : "");
    }
    *width = w;
    *height = h;
    megapixels = (double)w * h / 1e6;
    if (w <= 0 || h <= 0 || megapixels > PIC_MAX_MEGAPIXELS)
        return sk_err_set(e, SK_EINPUT, "%s: image is %d x %d (%.1f megapixels), the limit is %d",
                          name, w, h, megapixels, PIC_MAX_MEGAPIXELS);
    /* Decoding work grows with the scans times the pixels: bound both before it starts. */
    if (fmt == IFF_JFIF_JPEG && (scans = pic_jpeg_scans(data, len)) > PIC_MAX_JPEG_SCANS)
        return sk_err_set(e, SK_EINPUT,
                          "%s: the JPEG has %d scans; at most %d are read (a progressive JPEG "
                          "has about 10): save it as a baseline JPEG or PNG",
                          name, scans, PIC_MAX_JPEG_SCANS);
    if (fmt == IFF_BMP)
        return pic_bmp_decode(&bmp, data, len, name, pix, e);
    if ((*pix = pixReadMem(data, len)) == NULL)
        return sk_err_set(e, SK_EINPUT, "%s: cannot decode the image (corrupt or truncated?)",
                          name);
    return SK_OK;
}
