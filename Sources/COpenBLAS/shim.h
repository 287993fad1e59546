// OpenBLAS for Swift: the CBLAS interface and the thread-count controls.
#include <cblas.h>
