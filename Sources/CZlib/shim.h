// zlib for Swift: the header, plus static inline wrappers for its function-like macros.
#include <zlib.h>

static inline int vae_deflateInit(z_streamp stream, int level, int strategy) {
    return deflateInit2(stream, level, Z_DEFLATED, 15, 8, strategy);
}

/// windowBits 15 + 32: accept a zlib or a gzip header, detected from the data.
static inline int vae_inflateInit_auto(z_streamp stream) {
    return inflateInit2(stream, 15 + 32);
}

static inline int vae_inflateInit(z_streamp stream) {
    return inflateInit(stream);
}
