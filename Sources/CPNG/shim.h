// libpng for Swift. (Placeholder: the setjmp-holding wrappers are added with the PNG codec.)
#include <png.h>
