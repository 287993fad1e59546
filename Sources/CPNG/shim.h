// libpng for Swift. libpng reports errors with setjmp/longjmp, and a longjmp must never cross a
// Swift frame, so every call into libpng that can fail happens inside one of the small C functions
// below: each holds its own setjmp, returns a VAE_PNG_* status code and copies libpng's error
// message into a buffer the caller provides. Swift turns the code and the message into a DataError.
//
// Decoding works on a PNG held in memory, in two steps so that nothing is allocated from the
// header's claims before the claims are checked:
//   vae_png_decoder_begin  checks the signature, peeks at IHDR and enforces the limits below,
//                          then reads the header chunks and sets the transforms that normalize
//                          every color type and bit depth to 8-bit gray, gray+alpha, RGB or RGBA;
//   vae_png_decoder_read   decodes the rows into a buffer of rowbytes * height bytes.
// Encoding writes any color type and bit depth (the fixtures of the tests need them all; the
// pipeline itself writes 8-bit gray) into a growing memory buffer, with no time chunk, so the same
// pixels give the same bytes.
#ifndef VAE_CPNG_SHIM_H
#define VAE_CPNG_SHIM_H

#include <png.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// Status codes of every function below.
#define VAE_PNG_OK 0
#define VAE_PNG_NOT_PNG 1     // no PNG signature
#define VAE_PNG_TRUNCATED 2   // the data ends before the image does
#define VAE_PNG_CORRUPT 3     // libpng rejected the data; the message says why
#define VAE_PNG_TOO_LARGE 4   // the header claims more than the limits below
#define VAE_PNG_NO_MEMORY 5   // an allocation failed
#define VAE_PNG_INVALID 6     // the caller's arguments are inconsistent (a bug, not bad input)

// Decoding limits, checked on the IHDR bytes before libpng allocates anything.
#define VAE_PNG_MAX_SIDE 16384u              // width and height, each
#define VAE_PNG_MAX_PIXELS (1u << 26)        // width * height (67,108,864)
#define VAE_PNG_CHUNK_MALLOC_MAX (8u << 20)  // largest ancillary chunk, decompressed (zTXt, iCCP...)
#define VAE_PNG_CHUNK_CACHE_MAX 1000u        // most ancillary chunks kept

// Where libpng's error message goes: the caller's buffer, set at each call.
typedef struct vae_png_message {
    char *text;
    size_t size;
} vae_png_message;

static inline void vae_png_set_message(vae_png_message *m, char *text, size_t size) {
    m->text = text;
    m->size = size;
    if (text != NULL && size > 0) text[0] = '\0';
}

static inline void vae_png_copy_message(vae_png_message *m, const char *message) {
    if (m->text == NULL || m->size == 0) return;
    strncpy(m->text, message != NULL ? message : "unknown libpng error", m->size - 1);
    m->text[m->size - 1] = '\0';
}

// libpng's error callback: keep the message, jump back to the setjmp of the C function running.
// The error pointer always points at a vae_png_message (the first member of both structs below).
static inline void vae_png_error_fn(png_structp png, png_const_charp message) {
    vae_png_copy_message((vae_png_message *)png_get_error_ptr(png), message);
    png_longjmp(png, 1);
}

// Warnings (a bad CRC in an ancillary chunk, extra data after the image...) are not failures and
// libpng must not print them to stderr.
static inline void vae_png_warning_fn(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

// MARK: Decoding

typedef struct vae_png_decoder {
    vae_png_message message;  // first member: the error pointer
    png_structp png;
    png_infop info;
    const unsigned char *data;  // the whole PNG, owned by the caller
    size_t size;
    size_t offset;
    int hit_end;  // set when libpng asked for bytes past the end: truncated, not corrupt
    // The header as stored (valid after vae_png_decoder_begin; width and height also after
    // VAE_PNG_TOO_LARGE).
    png_uint_32 width, height;
    int bit_depth, color_type, interlaced;
    // The decoded rows after the transforms: 8 bits per sample.
    int channels;  // 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA
    size_t rowbytes;
    int passes;
} vae_png_decoder;

static inline vae_png_decoder *vae_png_decoder_create(void) {
    return (vae_png_decoder *)calloc(1, sizeof(vae_png_decoder));
}

/// Frees the decoder and libpng's structures: the one place they are freed.
static inline void vae_png_decoder_destroy(vae_png_decoder *d) {
    if (d == NULL) return;
    if (d->png != NULL) png_destroy_read_struct(&d->png, d->info != NULL ? &d->info : NULL, NULL);
    free(d);
}

static inline void vae_png_read_fn(png_structp png, png_bytep out, size_t length) {
    vae_png_decoder *d = (vae_png_decoder *)png_get_io_ptr(png);
    if (length > d->size - d->offset) {
        d->hit_end = 1;
        png_error(png, "the PNG data ends early");
    }
    memcpy(out, d->data + d->offset, length);
    d->offset += length;
}

static inline int vae_png_decoder_failure(vae_png_decoder *d) {
    return d->hit_end ? VAE_PNG_TRUNCATED : VAE_PNG_CORRUPT;
}

/// Checks the signature and the limits, reads the chunks up to the image data and sets the
/// transforms. On VAE_PNG_OK, `channels`, `rowbytes` and `height` say how large a buffer
/// vae_png_decoder_read needs.
static inline int vae_png_decoder_begin(
    vae_png_decoder *d, const unsigned char *data, size_t size, char *message, size_t message_size
) {
    vae_png_set_message(&d->message, message, message_size);
    if (d->png != NULL) return VAE_PNG_INVALID;  // one image per decoder
    d->data = data;
    d->size = size;
    d->offset = 0;
    d->hit_end = 0;
    if (data == NULL || size < 8 || png_sig_cmp(data, 0, 8) != 0) return VAE_PNG_NOT_PNG;

    // Peek at IHDR (8 signature + 4 length + 4 type + 13 data + 4 CRC) so that an absurd size is
    // refused before libpng sees it. libpng's own user limits below are the second line.
    if (size < 33) {
        vae_png_copy_message(&d->message, "the PNG data ends inside the IHDR chunk");
        return VAE_PNG_TRUNCATED;
    }
    if (memcmp(data + 12, "IHDR", 4) != 0) {
        vae_png_copy_message(&d->message, "the first chunk is not IHDR");
        return VAE_PNG_CORRUPT;
    }
    d->width = png_get_uint_32(data + 16);
    d->height = png_get_uint_32(data + 20);
    if (d->width > VAE_PNG_MAX_SIDE || d->height > VAE_PNG_MAX_SIDE
        || (uint64_t)d->width * d->height > VAE_PNG_MAX_PIXELS) {
        return VAE_PNG_TOO_LARGE;
    }

    d->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &d->message, vae_png_error_fn, vae_png_warning_fn);
    if (d->png == NULL) return VAE_PNG_NO_MEMORY;
    d->info = png_create_info_struct(d->png);
    if (d->info == NULL) return VAE_PNG_NO_MEMORY;
    if (setjmp(png_jmpbuf(d->png))) return vae_png_decoder_failure(d);

    png_set_user_limits(d->png, VAE_PNG_MAX_SIDE, VAE_PNG_MAX_SIDE);
    png_set_chunk_malloc_max(d->png, VAE_PNG_CHUNK_MALLOC_MAX);
    png_set_chunk_cache_max(d->png, VAE_PNG_CHUNK_CACHE_MAX);
    png_set_read_fn(d->png, d, vae_png_read_fn);
    png_read_info(d->png, d->info);

    d->width = png_get_image_width(d->png, d->info);
    d->height = png_get_image_height(d->png, d->info);
    d->bit_depth = png_get_bit_depth(d->png, d->info);
    d->color_type = png_get_color_type(d->png, d->info);
    d->interlaced = png_get_interlace_type(d->png, d->info) != PNG_INTERLACE_NONE;
    if (d->width > VAE_PNG_MAX_SIDE || d->height > VAE_PNG_MAX_SIDE
        || (uint64_t)d->width * d->height > VAE_PNG_MAX_PIXELS) {
        return VAE_PNG_TOO_LARGE;
    }

    // Normalize to 8 bits per sample: palette to RGB, 1/2/4-bit gray to 8-bit (scaled: 1-bit
    // 0/1 become 0/255), a tRNS chunk to an alpha channel, 16-bit samples scaled with rounding
    // (round(v * 255 / 65535)). Gamma chunks are ignored: samples are used as stored.
    if (d->color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(d->png);
    if (d->color_type == PNG_COLOR_TYPE_GRAY && d->bit_depth < 8) png_set_expand_gray_1_2_4_to_8(d->png);
    if (png_get_valid(d->png, d->info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(d->png);
    if (d->bit_depth == 16) png_set_scale_16(d->png);
    d->passes = png_set_interlace_handling(d->png);
    png_read_update_info(d->png, d->info);

    d->channels = png_get_channels(d->png, d->info);
    d->rowbytes = png_get_rowbytes(d->png, d->info);
    if (png_get_bit_depth(d->png, d->info) != 8 || d->channels < 1 || d->channels > 4
        || d->rowbytes != (size_t)d->width * (size_t)d->channels) {
        vae_png_copy_message(&d->message, "unexpected row format after the 8-bit transforms");
        return VAE_PNG_CORRUPT;
    }
    return VAE_PNG_OK;
}

/// Decodes all rows into `out` (rowbytes * height bytes, rows one after another) and reads the
/// chunks after the image data up to IEND.
static inline int vae_png_decoder_read(
    vae_png_decoder *d, unsigned char *out, size_t out_size, char *message, size_t message_size
) {
    vae_png_set_message(&d->message, message, message_size);
    if (d->png == NULL || out == NULL || out_size < d->rowbytes * (size_t)d->height) return VAE_PNG_INVALID;
    if (setjmp(png_jmpbuf(d->png))) return vae_png_decoder_failure(d);
    // Interlaced images: each pass combines its pixels into the full rows (as png_read_image).
    for (int pass = 0; pass < d->passes; pass++) {
        for (png_uint_32 y = 0; y < d->height; y++) {
            png_read_row(d->png, out + (size_t)y * d->rowbytes, NULL);
        }
    }
    png_read_end(d->png, NULL);
    return VAE_PNG_OK;
}

// MARK: Encoding

/// A growing output buffer, allocated with malloc; free it with vae_png_sink_free.
typedef struct vae_png_sink {
    vae_png_message message;  // first member: the error pointer
    unsigned char *data;
    size_t size;
    size_t capacity;
} vae_png_sink;

static inline void vae_png_sink_free(vae_png_sink *sink) {
    free(sink->data);
    sink->data = NULL;
    sink->size = 0;
    sink->capacity = 0;
}

static inline void vae_png_write_fn(png_structp png, png_bytep bytes, size_t length) {
    vae_png_sink *sink = (vae_png_sink *)png_get_io_ptr(png);
    if (length > sink->capacity - sink->size) {
        size_t capacity = sink->capacity < 4096 ? 4096 : sink->capacity;
        while (capacity - sink->size < length) {
            if (capacity > SIZE_MAX / 2) png_error(png, "PNG output too large");
            capacity *= 2;
        }
        unsigned char *grown = (unsigned char *)realloc(sink->data, capacity);
        if (grown == NULL) png_error(png, "out of memory for the PNG output");
        sink->data = grown;
        sink->capacity = capacity;
    }
    memcpy(sink->data + sink->size, bytes, length);
    sink->size += length;
}

static inline void vae_png_flush_fn(png_structp png) { (void)png; }

/// What to write: rows of samples exactly as a PNG stores them (sub-byte samples packed from the
/// high bits, 16-bit samples big-endian), `row_stride` bytes apart.
typedef struct vae_png_encoding {
    png_uint_32 width, height;
    int bit_depth;
    int color_type;  // PNG_COLOR_TYPE_*
    int interlaced;  // Adam7 when nonzero
    int compression_level;  // zlib 0-9
    const unsigned char *rows;
    size_t row_stride;
    const unsigned char *palette;  // palette_count RGB triples (color type 3)
    int palette_count;
    const unsigned char *palette_alpha;  // tRNS for a palette: alpha_count entries, or NULL
    int alpha_count;
    int has_transparent_color;  // tRNS for gray / RGB: transparent_color[0] (gray) or [0..2] (RGB)
    uint16_t transparent_color[3];
} vae_png_encoding;

/// Writes a whole PNG into `sink` (which the caller zeroes before and frees after).
static inline int vae_png_encode(
    const vae_png_encoding *e, vae_png_sink *sink, char *message, size_t message_size
) {
    vae_png_set_message(&sink->message, message, message_size);
    if (e == NULL || e->rows == NULL) return VAE_PNG_INVALID;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &sink->message, vae_png_error_fn, vae_png_warning_fn);
    if (png == NULL) return VAE_PNG_NO_MEMORY;
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_write_struct(&png, NULL);
        return VAE_PNG_NO_MEMORY;
    }
    // png and info are not modified after setjmp, so they keep their values after a longjmp.
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return VAE_PNG_CORRUPT;
    }
    png_set_write_fn(png, sink, vae_png_write_fn, vae_png_flush_fn);
    png_set_compression_level(png, e->compression_level);
    png_set_IHDR(png, info, e->width, e->height, e->bit_depth, e->color_type,
                 e->interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (e->color_type == PNG_COLOR_TYPE_PALETTE) {
        if (e->palette == NULL || e->palette_count < 1 || e->palette_count > 256) png_error(png, "bad palette");
        png_color colors[256];
        for (int i = 0; i < e->palette_count; i++) {
            colors[i].red = e->palette[3 * i];
            colors[i].green = e->palette[3 * i + 1];
            colors[i].blue = e->palette[3 * i + 2];
        }
        png_set_PLTE(png, info, colors, e->palette_count);
        if (e->palette_alpha != NULL && e->alpha_count > 0) {
            png_set_tRNS(png, info, e->palette_alpha, e->alpha_count, NULL);
        }
    } else if (e->has_transparent_color) {
        png_color_16 color;
        memset(&color, 0, sizeof color);
        color.gray = e->transparent_color[0];
        color.red = e->transparent_color[0];
        color.green = e->transparent_color[1];
        color.blue = e->transparent_color[2];
        png_set_tRNS(png, info, NULL, 0, &color);
    }
    png_write_info(png, info);
    int passes = png_set_interlace_handling(png);
    for (int pass = 0; pass < passes; pass++) {
        for (png_uint_32 y = 0; y < e->height; y++) {
            png_write_row(png, e->rows + (size_t)y * e->row_stride);
        }
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return VAE_PNG_OK;
}

/// Bytes in one packed row of `width` pixels, as vae_png_encode expects them.
static inline size_t vae_png_packed_row_bytes(png_uint_32 width, int color_type, int bit_depth) {
    int channels = color_type == PNG_COLOR_TYPE_GRAY ? 1
                 : color_type == PNG_COLOR_TYPE_GRAY_ALPHA ? 2
                 : color_type == PNG_COLOR_TYPE_RGB ? 3
                 : color_type == PNG_COLOR_TYPE_RGB_ALPHA ? 4 : 1;
    return ((size_t)width * (size_t)channels * (size_t)bit_depth + 7) / 8;
}

#endif
