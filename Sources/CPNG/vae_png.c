// The CPNG C target: every call into libpng that can fail, each inside a function that holds its
// own setjmp (a longjmp must never cross a Swift frame). include/vae_png.h describes the interface.
#include "vae_png.h"

#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

static void vae_png_set_message(vae_png_message *m, char *text, size_t size) {
    m->text = text;
    m->size = size;
    if (text != NULL && size > 0) text[0] = '\0';
}

static void vae_png_copy_message(vae_png_message *m, const char *message) {
    if (m->text == NULL || m->size == 0) return;
    strncpy(m->text, message != NULL ? message : "unknown libpng error", m->size - 1);
    m->text[m->size - 1] = '\0';
}

// libpng's error callback: keep the message, jump back to the setjmp of the C function running.
// The error pointer always points at a vae_png_message (the first member of both structs below).
static void vae_png_error_fn(png_structp png, png_const_charp message) {
    vae_png_copy_message((vae_png_message *)png_get_error_ptr(png), message);
    png_longjmp(png, 1);
}

// Warnings (a bad CRC in an ancillary chunk, extra data after the image...) are not failures and
// libpng must not print them to stderr.
static void vae_png_warning_fn(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

// MARK: Decoding

vae_png_decoder *vae_png_decoder_create(void) {
    return (vae_png_decoder *)calloc(1, sizeof(vae_png_decoder));
}

/// Frees the decoder and libpng's structures: the one place they are freed.
void vae_png_decoder_destroy(vae_png_decoder *d) {
    if (d == NULL) return;
    if (d->png != NULL) png_destroy_read_struct(&d->png, d->info != NULL ? &d->info : NULL, NULL);
    free(d);
}

static void vae_png_read_fn(png_structp png, png_bytep out, size_t length) {
    vae_png_decoder *d = (vae_png_decoder *)png_get_io_ptr(png);
    if (length > d->size - d->offset) {
        d->hit_end = 1;
        png_error(png, "the PNG data ends early");
    }
    memcpy(out, d->data + d->offset, length);
    d->offset += length;
}

static int vae_png_decoder_failure(vae_png_decoder *d) {
    return d->hit_end ? VAE_PNG_TRUNCATED : VAE_PNG_CORRUPT;
}

/// Checks the signature and the limits, reads the chunks up to the image data and sets the
/// transforms. On VAE_PNG_OK, `channels`, `rowbytes` and `height` say how large a buffer
/// vae_png_decoder_read needs.
int vae_png_decoder_begin(
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
int vae_png_decoder_read(
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

void vae_png_sink_free(vae_png_sink *sink) {
    free(sink->data);
    sink->data = NULL;
    sink->size = 0;
    sink->capacity = 0;
}

static void vae_png_write_fn(png_structp png, png_bytep bytes, size_t length) {
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

static void vae_png_flush_fn(png_structp png) { (void)png; }

/// Writes a whole PNG into `sink` (which the caller zeroes before and frees after).
int vae_png_encode(
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

