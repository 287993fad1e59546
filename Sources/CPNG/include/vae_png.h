// libpng for Swift: the interface of the CPNG C target, whose code is in vae_png.c. libpng reports
// errors with setjmp/longjmp, and a longjmp must never cross a Swift frame, so every call into
// libpng that can fail happens inside one of the small C functions declared below: each holds its own setjmp, returns a VAE_PNG_* status code and copies libpng's error
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
#ifndef VAE_PNG_H
#define VAE_PNG_H

#include <png.h>
#include <stddef.h>
#include <stdint.h>

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

/// A zeroed decoder, or NULL when out of memory.
vae_png_decoder *vae_png_decoder_create(void);

/// Frees the decoder and libpng's structures: the one place they are freed.
void vae_png_decoder_destroy(vae_png_decoder *d);

/// Checks the signature and the limits, reads the chunks up to the image data and sets the
/// transforms. On VAE_PNG_OK, `channels`, `rowbytes` and `height` say how large a buffer
/// vae_png_decoder_read needs.
int vae_png_decoder_begin(vae_png_decoder *d, const unsigned char *data, size_t size, char *message, size_t message_size);

/// Decodes all rows into `out` (rowbytes * height bytes, rows one after another) and reads the
/// chunks after the image data up to IEND.
int vae_png_decoder_read(vae_png_decoder *d, unsigned char *out, size_t out_size, char *message, size_t message_size);

// MARK: Encoding

/// A growing output buffer, allocated with malloc; free it with vae_png_sink_free.
typedef struct vae_png_sink {
    vae_png_message message;  // first member: the error pointer
    unsigned char *data;
    size_t size;
    size_t capacity;
} vae_png_sink;

/// Frees the sink's buffer and empties it.
void vae_png_sink_free(vae_png_sink *sink);

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
int vae_png_encode(const vae_png_encoding *e, vae_png_sink *sink, char *message, size_t message_size);

#endif
