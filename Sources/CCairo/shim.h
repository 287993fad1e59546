// Cairo for Swift: image surfaces, paths, the toy text API (fonts through fontconfig) and PNG output.
#include <cairo.h>
