// libjpeg-turbo's TurboJPEG API for Swift. TurboJPEG reports every failure as a return code and a
// message (tjGetErrorStr2, tjGetErrorCode): nothing longjmps through the caller, so Swift calls it
// directly. The shim only adds what Swift cannot call: the function-like macro TJSCALED.
#ifndef VAE_CTURBOJPEG_SHIM_H
#define VAE_CTURBOJPEG_SHIM_H

#include <turbojpeg.h>

/// TJSCALED(dimension, scalingFactor): the size of a dimension decoded at num/denom.
static inline int vae_tj_scaled(int dimension, int num, int denom) {
    tjscalingfactor factor = {num, denom};
    return TJSCALED(dimension, factor);
}

#endif
